"""The local record of submitted tasks and their results, so nothing is lost.

One JSON object per line, appended on every change and read back as "the last line per
task wins". Appending never rewrites what is there, so a crash can at worst leave a torn
last line, which is skipped. The file is compacted (rewritten atomically) when it holds
many more lines than tasks. Entries carry no API key and no media bytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import contract as c

__all__ = ["Journal", "default_home"]

_TERMINAL_WITHOUT_RESULT = (c.FAILED, c.CANCELED, c.UNKNOWN, "ERROR")


def default_home() -> Path:
    """``WANVACE_HOME``, else ``~/.wanvace``: where the journal and results live."""
    return Path(os.environ.get("WANVACE_HOME") or Path.home() / ".wanvace")


class Journal:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_home() / "journal.jsonl"

    def record(self, entry: dict[str, Any]) -> None:
        """Add the latest state of one task (keyed by ``task_id``)."""
        if not entry.get("task_id"):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        self._maybe_compact()

    def _lines(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash
            if isinstance(item, dict) and item.get("task_id"):
                out.append(item)
        return out

    def entries(self) -> list[dict[str, Any]]:
        """The latest state of every task, oldest first."""
        latest: dict[str, dict[str, Any]] = {}
        for item in self._lines():
            latest[item["task_id"]] = {**latest.get(item["task_id"], {}), **item}
        return list(latest.values())

    def get(self, task_id: str) -> dict[str, Any] | None:
        return next((e for e in self.entries() if e["task_id"] == task_id), None)

    def unfinished(self) -> list[dict[str, Any]]:
        """Tasks still running, or finished without a local copy of their video."""
        return [
            e
            for e in self.entries()
            if e.get("status") not in _TERMINAL_WITHOUT_RESULT
            and not (e.get("local_path") and Path(e["local_path"]).exists())
        ]

    def _maybe_compact(self) -> None:
        lines = self._lines()
        tasks = {item["task_id"] for item in lines}
        if len(lines) < 200 or len(lines) < 4 * len(tasks):
            return
        temp = self.path.with_suffix(".tmp")
        temp.write_text(
            "".join(json.dumps(e, ensure_ascii=False, default=str) + "\n" for e in self.entries()),
            encoding="utf-8",
        )
        os.replace(temp, self.path)
