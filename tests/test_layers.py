"""Layer rules as tests (docs/architecture.md): each folder of the package is a layer, and a
layer never loads the layers above it.

* ``contract/`` (request models, the parameter table) never loads ``jobs/``, ``widgets/``,
  ``apps/``, ipywidgets or httpx: a request model never does I/O;
* ``jobs/`` and ``quota/`` never load ``widgets/``, ``apps/`` or ipywidgets;
* ``emulator/`` never loads ``jobs/``, ``widgets/`` or ``apps/``;
* ``widgets/`` never talk HTTP: no module there imports httpx or ``jobs/http/``;
* the package loads the widgets only when one is asked for.

Each runtime check imports every module of a layer in a fresh interpreter and reads its
``sys.modules``; the widget check reads the widgets' source, since a widget reaches the
client (and so httpx) through ``apps/backend.py`` when it needs one."""

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
PACKAGE = ROOT / "wanvace_widgets"
WIDGETS = {"ipywidgets", "wanvace_widgets.widgets"}
APPS = {"wanvace_widgets.apps"}
JOBS = {"wanvace_widgets.jobs"}
HTTP = {"httpx", "wanvace_widgets.jobs.http"}


def modules_of(folder: str) -> list[str]:
    """Every module in one folder of the package, as dotted names."""
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (PACKAGE / folder).rglob("*.py")
        # the Redis store needs the [team] extra; its imports are read by ruff like any other
        if path.name != "redis.py"
    )


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
    "folder, forbidden",
    [
        ("contract", JOBS | WIDGETS | APPS | HTTP),
        ("jobs", WIDGETS | APPS),
        ("quota", JOBS | WIDGETS | APPS),
        ("media", JOBS | WIDGETS | APPS | HTTP),
        ("emulator", JOBS | WIDGETS | APPS),
    ],
)
def test_a_layer_never_loads_the_layers_above_it(folder, forbidden):
    names = modules_of(folder)
    assert len(names) > 3, names
    modules = loaded_after("\n".join(f"import {name}" for name in names))
    assert set(names) <= modules
    assert _within(modules, forbidden) == set()


def test_importing_the_package_loads_no_layer_below_the_public_names():
    modules = loaded_after("import wanvace_widgets")
    assert _within(modules, JOBS | WIDGETS | APPS | HTTP) == set()


def _imports_of(path: Path) -> set[str]:
    """The absolute names of every module ``path`` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).parent.parts)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return found


def test_widgets_never_talk_http():
    sources = sorted((PACKAGE / "widgets").rglob("*.py"))
    assert len(sources) > 10
    talking = {p.name: _within(_imports_of(p), HTTP) for p in sources}
    assert {name: found for name, found in talking.items() if found} == {}


def test_the_source_check_sees_an_http_import():
    """The check above can fail: the HTTP layer's own modules import httpx."""
    assert "httpx" in _within(_imports_of(PACKAGE / "jobs" / "http" / "api.py"), HTTP)


def test_the_check_sees_a_forbidden_import():
    """The check above can fail: a widget module does load ipywidgets."""
    modules = loaded_after("import wanvace_widgets.widgets.fields")
    assert {"ipywidgets", "wanvace_widgets.widgets.fields"} <= _within(modules, WIDGETS)
    assert _within(loaded_after("import wanvace_widgets.apps.backend"), JOBS)


def test_the_package_loads_widgets_when_one_is_asked_for():
    modules = loaded_after(
        "import sys, wanvace_widgets as wv\n"
        "assert 'ipywidgets' not in sys.modules\n"
        "request = wv.VideoOutpainting(prompt='p', video='https://e.com/v.mp4')\n"
        "assert 'ipywidgets' not in sys.modules and 'wanvace_widgets.jobs.client' not in sys.modules\n"
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
