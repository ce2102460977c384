"""The README's examples run as written, offline: its Python blocks in order, as cells of
one notebook (top-level await included), and every `wanvace` and `pip install` command
its shell blocks show is one the package accepts."""

from __future__ import annotations

import ast
import os
import re
import shlex
from pathlib import Path

import pytest

from tests.cells import Cells, markdown_code_blocks
from wanvace_widgets.apps.backend import reset_default_client
from wanvace_widgets.apps.cli import build_parser
from wanvace_widgets.apps.voila_app import MEDIA_FILES

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """A reader's fresh folder with no key: the examples reach the emulator only."""
    for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_API_KEY_FILE_PATH", "WANVACE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.dashscope/api_key either
    monkeypatch.setenv("WANVACE_HOME", str(tmp_path / "wanvace-home"))
    monkeypatch.chdir(tmp_path)
    reset_default_client()
    yield tmp_path
    reset_default_client()


def test_readme_python_blocks_run_in_order_like_notebook_cells(offline):
    blocks = markdown_code_blocks(README, "python")
    assert len(blocks) >= 2, "the README's Python examples are gone"
    cells = Cells()
    try:
        for line, source in blocks:
            cells.run(source, f"README.md, block at line {line}")
    finally:
        cells.close()
    task = cells.namespace["task"]
    assert task.status == "SUCCEEDED" and task.local_path.is_file()
    assert task.local_path.is_relative_to(offline)  # results land beside the reader's work


def shell_lines() -> list[list[str]]:
    """Every command of the README's bash blocks, split as the shell splits it."""
    return [
        shlex.split(line, comments=True)
        for _, block in markdown_code_blocks(README, "bash")
        for line in block.splitlines()
        if line.strip()
    ]


def test_readme_wanvace_commands_are_accepted_by_the_cli():
    commands = [words[1:] for words in shell_lines() if words[0] == "wanvace"]
    assert {c[0] for c in commands} >= {"demo", "tutorials", "app"}
    parser = build_parser()
    for words in commands:
        parser.parse_args(words)  # exits (and fails the test) on an unknown option


def test_readme_pip_extras_exist():
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = set(pyproject["project"]["optional-dependencies"])
    named = set()
    for words in shell_lines():
        if words[:2] == ["pip", "install"]:
            for word in words[2:]:
                if word.startswith("wanvace-widgets["):
                    named |= set(word.removeprefix("wanvace-widgets[").rstrip("]").split(","))
    assert {"demo", "app"} <= named <= extras


def test_readme_voila_command_allows_what_wanvace_app_allows():
    (words,) = [w for w in shell_lines() if w[0] == "voila"]
    option = "--VoilaConfiguration.file_allowlist="
    (allowlist,) = [ast.literal_eval(w.removeprefix(option)) for w in words if w.startswith(option)]
    assert allowlist == [MEDIA_FILES]
    assert re.fullmatch(allowlist[0], "wanvace-results/a.mp4")
    assert not re.fullmatch(allowlist[0], "studio.ipynb")


def test_readme_scripts_exist_and_take_the_options_shown():
    """Each ./scripts/... command of the README is an executable script of the checkout, and
    each option it is shown with is one the script reads."""
    commands = [words for words in shell_lines() if words[0].startswith("./scripts/")]
    assert {words[0] for words in commands} >= {
        "./scripts/demo",
        "./scripts/test",
        "./scripts/lock",
    }
    for script, *args in commands:
        path = ROOT / script
        assert path.is_file() and os.access(path, os.X_OK), script
        for option in (arg for arg in args if arg.startswith("--")):
            assert option in path.read_text(), (script, option)
