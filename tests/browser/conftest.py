"""A real JupyterLab and Debian's Chromium (driven by Playwright) for the browser tests.

One JupyterLab per test, so that kernels left by one test cannot stall the next, and a
fresh browser context per test in one Chromium per module. Each Lab has its own temporary
root, settings and runtime folders, with widget state saved into notebooks (so the
secret-leak test can look at it).
Chromium is Debian's (`apt-get install chromium`); Playwright never downloads a browser.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nbformat
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class Lab:
    """A running JupyterLab (or Notebook 7): its root folder, URL and token."""

    def __init__(
        self, root: Path, port: int, token: str, process: subprocess.Popen, app: str = "lab"
    ):
        self.root, self.port, self.token, self.process = root, port, token, process
        self.app = app
        self.base = f"http://127.0.0.1:{port}"

    def write_notebook(self, name: str, *cells: str) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        path = self.root / name
        nbformat.write(nb, path)
        return path

    def url(self, name: str) -> str:
        route = "lab/tree" if self.app == "lab" else "notebooks"
        return f"{self.base}/{route}/{name}?token={self.token}"


#: JupyterLab's themes by the name the tests give them
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
#: the two front ends: the Python module that starts each, and its application class
APPS = {"lab": ("jupyterlab", "LabApp"), "notebook": ("notebook", "JupyterNotebookApp")}


def _write_settings(settings: Path, plugin: str, values: dict) -> None:
    folder = settings / Path(plugin.split(":")[0])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{plugin.split(':')[1]}.jupyterlab-settings").write_text(json.dumps(values))


@contextlib.contextmanager
def running_jupyter(
    base: Path, app: str = "lab", save_widget_state: bool = True, theme: str = "light"
):
    """A JupyterLab or Notebook 7 with its own root, settings and runtime folders under
    ``base``; its whole process group is killed afterwards. ``save_widget_state=False`` is
    the front ends' own default (the tests mostly want the state saved, to search it).
    ``theme``: "light" or "dark" (JupyterLab's own themes, set as the settings editor does)."""
    module, app_class = APPS[app]
    root, settings = base / "root", base / "settings"
    root.mkdir()
    _write_settings(
        settings, "@jupyter-widgets/jupyterlab-manager:plugin", {"saveState": save_widget_state}
    )
    # no "get notified about Jupyter news?" toast over the widgets in screenshots
    _write_settings(settings, "@jupyterlab/apputils-extension:notification", {"fetchNews": "false"})
    _write_settings(settings, "@jupyterlab/apputils-extension:themes", {"theme": THEMES[theme]})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = {
        k: v for k, v in os.environ.items() if k not in ("DASHSCOPE_API_KEY", "WANVACE_BASE_URL")
    }
    env |= {
        "WANVACE_HOME": str(base / "home"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            module,
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            "--allow-root",
            f"--ServerApp.root_dir={root}",
            f"--{app_class}.user_settings_dir={settings}",
            f"--{app_class}.workspaces_dir={base / 'ws'}",
            f"--{app_class}.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--ServerApp.disable_check_xsrf=True",
        ],
        env=env,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=open(base / "lab.log", "w"),
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/status?token={token}").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail(f"{module} did not start: " + (base / "lab.log").read_text()[-2000:])
    try:
        yield Lab(root, port, token, process, app)
    finally:
        try:
            httpx.post(f"http://127.0.0.1:{port}/api/shutdown?token={token}", timeout=10)
            process.wait(timeout=20)
        except Exception:  # noqa: BLE001 - make sure nothing is left behind
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the server's kernels live in its session


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install chromium (scripts/test does)")


@pytest.fixture
def lab(tmp_path_factory):
    require_chromium()
    with running_jupyter(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(params=["lab", "notebook"])
def server(request, tmp_path_factory):
    """JupyterLab, then Notebook 7: a test that takes ``server`` runs in both."""
    require_chromium()
    with running_jupyter(tmp_path_factory.mktemp(request.param), request.param) as jupyter:
        yield jupyter


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module; each test gets its own context (see browser_page).
    Not per session: Playwright's sync API holds an event loop while it is open, and the
    other tests of a pytest worker need to run their own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def browser_page(browser):
    """A page in a fresh browser context, 2400 px tall so whole widgets fit."""
    context = browser.new_context(viewport={"width": 1100, "height": 2400})
    context.set_default_timeout(120_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser, request):
    """A page on the test's front end: ``server`` if the test takes it, else ``lab``."""
    request.getfixturevalue("server" if "server" in request.fixturenames else "lab")
    with browser_page(browser) as page:
        yield page
