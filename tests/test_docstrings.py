"""Every docstring example in the package runs as written, offline, as the cells of one
notebook per docstring (top-level ``await`` included, see tests/cells.py).

Each docstring is a test of its own, so a failure names the function it documents.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import wanvace_widgets
from tests.cells import run_doctest
from wanvace_widgets.apps.backend import reset_default_client


def docstring_examples() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = []
    for module in pkgutil.walk_packages(wanvace_widgets.__path__, "wanvace_widgets."):
        if module.name.endswith(".__main__"):
            continue  # importing it would run it
        for test in finder.find(importlib.import_module(module.name)):
            if test.examples:
                found.append(test)
    return sorted(found, key=lambda t: t.name)


EXAMPLES = docstring_examples()


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """A fresh folder with no key and no Jupyter server to be found."""
    for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_API_KEY_FILE_PATH", "WANVACE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WANVACE_HOME", str(tmp_path / "wanvace-home"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.chdir(tmp_path)
    reset_default_client()
    yield tmp_path
    reset_default_client()


@pytest.mark.parametrize("test", EXAMPLES, ids=[t.name for t in EXAMPLES])
def test_docstring_example_runs_as_written(test, offline):
    failures = run_doctest(test)
    assert not failures, "\n\n".join(failures)


def test_the_examples_of_the_packaging_modules_are_found():
    names = {t.name for t in EXAMPLES}
    assert {
        "wanvace_widgets.apps.voila_app.studio_app",
        "wanvace_widgets.apps.tutorials.copy_tutorials",
        "wanvace_widgets.widgets.player.files_url",
    } <= names


def run_text(text: str) -> list[str]:
    test = doctest.DocTestParser().get_doctest(text, {}, "sample", "sample.py", 0)
    return run_doctest(test)


def test_the_runner_awaits_shows_values_and_reports_wrong_output():
    assert run_text(">>> import asyncio\n>>> await asyncio.sleep(0, 'slept')\n'slept'\n") == []
    assert run_text(">>> 1 + 1\n3\n")  # a wrong expected value fails
    assert run_text(">>> print('a')\n")  # output nobody expected fails too


def test_the_runner_keeps_one_loop_for_a_docstring_like_a_kernel():
    text = (
        ">>> import asyncio\n"
        ">>> job = asyncio.get_running_loop().create_task(asyncio.sleep(0.01, 'done'))\n"
        ">>> await job\n'done'\n"
    )
    assert run_text(text) == []


def test_the_runner_checks_expected_exceptions():
    expected = ">>> int('x')\nTraceback (most recent call last):\nValueError: invalid literal for int() with base 10: 'x'\n"
    assert run_text(expected) == []
    assert run_text(">>> int('1')\nTraceback (most recent call last):\nValueError: no\n")
    assert run_text(">>> int('x')\n")  # an unexpected exception fails
