"""Layer rules as tests (DESIGN: "a widget never talks HTTP, the client never imports
ipywidgets, a request model never does I/O"): request models, the client and the emulator
never load the widgets or ipywidgets, the emulator never loads the client, and the package
loads the widgets only when one is asked for. Each check imports in a fresh interpreter
and reads its ``sys.modules``."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import wanvace_widgets

ROOT = Path(__file__).resolve().parents[1]
WIDGETS = {"ipywidgets", "wanvace_widgets.widgets"}
CLIENT = {"wanvace_widgets.client", "wanvace_widgets.backend"}


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` on this checkout."""
    script = (
        "import json, sys\n"
        f"{code}\n"
        "import wanvace_widgets\n"
        f"assert wanvace_widgets.__file__.startswith({str(ROOT)!r}), wanvace_widgets.__file__\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def _within(modules: set[str], forbidden: set[str]) -> set[str]:
    return {m for m in modules if m in forbidden or m.startswith(tuple(f + "." for f in forbidden))}


@pytest.mark.parametrize(
    "module, forbidden",
    [
        ("wanvace_widgets", WIDGETS | CLIENT),
        ("wanvace_widgets.requests", WIDGETS | CLIENT),
        ("wanvace_widgets.params", WIDGETS | CLIENT),
        ("wanvace_widgets.client", WIDGETS),
        ("wanvace_widgets.emulator", WIDGETS | CLIENT),
        ("wanvace_widgets.emulator.server", WIDGETS | CLIENT),
    ],
)
def test_a_layer_never_loads_the_layers_above_it(module, forbidden):
    modules = loaded_after(f"import {module}")
    assert module in modules
    assert _within(modules, forbidden) == set()


def test_the_check_sees_a_forbidden_import():
    """The check above can fail: a widget module does load ipywidgets."""
    modules = loaded_after("import wanvace_widgets.widgets.fields")
    assert {"ipywidgets", "wanvace_widgets.widgets.fields"} <= _within(modules, WIDGETS)


def test_the_package_loads_widgets_when_one_is_asked_for():
    modules = loaded_after(
        "import sys, wanvace_widgets as wv\n"
        "assert 'ipywidgets' not in sys.modules\n"
        "request = wv.VideoOutpainting(prompt='p', video='https://e.com/v.mp4')\n"
        "assert 'ipywidgets' not in sys.modules and 'wanvace_widgets.client' not in sys.modules\n"
        "wv.VaceStudio"
    )
    assert {"ipywidgets", "wanvace_widgets.widgets.studio"} <= modules


def test_every_public_name_loads_and_type_checkers_see_the_same_names():
    tree = ast.parse(Path(wanvace_widgets.__file__).read_text(encoding="utf-8"))
    block = next(
        n
        for n in tree.body
        if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"
    )
    seen = {alias.name: "." + node.module for node in block.body for alias in node.names}
    assert seen == wanvace_widgets._EXPORTS
    for name in wanvace_widgets.__all__:
        assert getattr(wanvace_widgets, name) is not None
    with pytest.raises(AttributeError):
        wanvace_widgets.NoSuchName  # noqa: B018
