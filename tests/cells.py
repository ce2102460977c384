"""Run documentation code the way a notebook runs cells, for the README and docstring tests.

A notebook compiles each cell with top-level ``await`` allowed and runs it on the kernel's
one event loop, which keeps running between cells, so background tasks started by one
cell go on during the next. ``Cells`` does the same: one loop per document, every cell
executed inside it (so code that needs a running loop finds one), awaited when it awaits.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import doctest
import inspect
import io
import re
import traceback
from pathlib import Path

FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


class Cells:
    """One document's namespace and event loop; ``run`` executes one cell."""

    def __init__(self, namespace: dict | None = None):
        self.namespace = namespace if namespace is not None else {"__name__": "__main__"}
        self.loop = asyncio.new_event_loop()

    def run(self, source: str, name: str = "<cell>", mode: str = "exec") -> str:
        """Run ``source``; returns what it printed (in ``single`` mode, with the value of an
        expression statement, as the interactive prompt shows it)."""
        code = compile(source, name, mode, flags=FLAGS, dont_inherit=True)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.loop.run_until_complete(self._execute(code))
        return out.getvalue()

    async def _execute(self, code) -> None:
        result = eval(code, self.namespace)  # noqa: S307 - the project's own documentation
        if code.co_flags & inspect.CO_COROUTINE:
            await result

    def close(self) -> None:
        """Let background tasks settle, then close the loop."""
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()


def markdown_code_blocks(path: Path, language: str) -> list[tuple[int, str]]:
    """The fenced ``language`` blocks of a Markdown file, with their first line numbers."""
    blocks = []
    pattern = re.compile(rf"^```{language}\n(.*?)^```", re.MULTILINE | re.DOTALL)
    text = path.read_text(encoding="utf-8")
    for match in pattern.finditer(text):
        blocks.append((text.count("\n", 0, match.start(1)) + 1, match.group(1)))
    return blocks


OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def run_doctest(test: doctest.DocTest) -> list[str]:
    """Run one docstring's examples as cells of one notebook; returns the failures."""
    cells = Cells(test.globs)
    checker = doctest.OutputChecker()
    failures = []
    try:
        for example in test.examples:
            options = OPTIONS
            for flag, on in example.options.items():
                options = options | flag if on else options & ~flag
            where = f"{test.name}, line {test.lineno + example.lineno + 1}"
            try:
                got = cells.run(example.source, where, "single")
            except Exception as error:  # noqa: BLE001 - compared with the expected one
                if example.exc_msg is None:
                    trace = "".join(traceback.format_exception(error))
                    failures.append(f"{where}: {example.source.strip()}\nraised:\n{trace}")
                    break
                got = "".join(traceback.format_exception_only(type(error), error))
                if not checker.check_output(example.exc_msg, got, options):
                    failures.append(f"{where}: expected {example.exc_msg!r}, raised {got!r}")
                continue
            if example.exc_msg is not None:
                failures.append(f"{where}: expected {example.exc_msg!r}, nothing was raised")
            elif not checker.check_output(example.want, got, options):
                failures.append(
                    f"{where}: {example.source.strip()}\nexpected:\n{example.want}got:\n{got}"
                )
    finally:
        cells.close()
    return failures
