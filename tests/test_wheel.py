"""The built wheel works outside the checkout: a fresh environment with the wheel installed
runs `wanvace tutorials` and `wanvace demo --no-browser`, and the quickstart opens through
the Jupyter server's REST API.

What is proven, and how: the wheel is built from this checkout with pip and installed with
``pip install --no-deps`` into a new venv in a temporary folder, so the package, its
tutorials and its ``wanvace`` command come from the wheel alone. Its dependencies are not
downloaded (minutes on 2 cores): a ``.pth`` file appends the test environment's
site-packages after the venv's own, so a copy of the package there (an editable install of
the checkout) can never shadow the wheel's, which the test checks. The wheel's declared
dependencies are checked against that environment, extras included. JupyterLab's page
assets are found through ``JUPYTERLAB_DIR``, as they would be in the venv's own
``share/`` after ``pip install "wanvace-widgets[demo]"``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import httpx
import pytest

from tests.commands import isolated_env, running, wait_for_url
from tests.test_demo import check_quickstart_is_served
from wanvace_widgets.emulator.server import free_port

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
CHECK_REQUIREMENTS = """
import json, sys
from importlib.metadata import PackageNotFoundError, requires, version
from packaging.requirements import Requirement
declared = [Requirement(r) for r in requires("wanvace-widgets")]
unmet = []
for extra in ("", "demo", "app"):
    for req in declared:
        if req.marker is None or req.marker.evaluate({"extra": extra}):
            try:
                if not req.specifier.contains(version(req.name), prereleases=True):
                    unmet.append(str(req))
            except PackageNotFoundError:
                unmet.append(str(req))
print(json.dumps({"declared": [str(r) for r in declared], "unmet": unmet}))
"""


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A venv outside the checkout with only the wheel installed into it."""
    base = tmp_path_factory.mktemp("fresh")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(base / "dist"), str(ROOT)],
        check=True,
        timeout=300,
    )
    (wheel,) = (base / "dist").glob("wanvace_widgets-*.whl")
    venv.create(base / "venv", with_pip=False)
    python = base / "venv" / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel],
        check=True,
        timeout=300,
    )
    env = isolated_env(base)
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    env |= {
        "PATH": f"{python.parent}{os.pathsep}{env['PATH']}",
        "JUPYTERLAB_DIR": str(Path(sys.prefix) / "share" / "jupyter" / "lab"),
    }
    work = base / "work"  # the user's folder, outside the checkout
    work.mkdir()
    return python, env, work


def run(fresh, *args: str) -> subprocess.CompletedProcess:
    python, env, work = fresh
    return subprocess.run(
        args, cwd=work, env=env, capture_output=True, text=True, timeout=120, check=True
    )


def test_the_package_and_its_tutorials_come_from_the_wheel(fresh):
    python = fresh[0]
    where = run(
        fresh,
        str(python),
        "-c",
        "import wanvace_widgets, wanvace_widgets.apps.tutorials as t; "
        "print(wanvace_widgets.__file__); print(t.tutorial_folder())",
    ).stdout.split()
    venv_root = python.parents[1]
    assert all(Path(p).is_relative_to(venv_root) for p in where), where


def test_the_wheel_declares_its_dependencies_and_extras(fresh):
    found = json.loads(run(fresh, str(fresh[0]), "-c", CHECK_REQUIREMENTS).stdout)
    assert any(r.startswith("jupyterlab") and "demo" in r for r in found["declared"])
    assert any(r.startswith("voila") and "app" in r for r in found["declared"])
    assert found["unmet"] == []


def test_wanvace_tutorials_from_the_wheel(fresh):
    out = run(fresh, "wanvace", "tutorials", "lesson").stdout
    folder = fresh[2] / "lesson"
    assert sorted(p.name for p in folder.iterdir()) == NOTEBOOKS
    assert (folder / "quickstart.ipynb").read_bytes() == (
        ROOT / "notebooks" / "quickstart.ipynb"
    ).read_bytes()
    assert f"copied {len(NOTEBOOKS)}" in out


def test_wanvace_demo_from_the_wheel_serves_the_quickstart(fresh):
    python, env, work = fresh
    log = work / "demo.log"
    command = ["wanvace", "demo", "--no-browser", f"--port={free_port()}"]
    with running(command, work, env, log) as process:
        url = wait_for_url(log, process)
        assert (work / "wanvace-tutorials" / "quickstart.ipynb").is_file()
        check_quickstart_is_served(url)
        base, _, query = url.partition("/lab/")
        token = query.partition("token=")[2]
        httpx.post(f"{base}/api/shutdown", headers={"Authorization": f"token {token}"})
        assert process.wait(timeout=60) == 0  # `wanvace demo` ends with the server
