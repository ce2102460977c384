"""`wanvace demo FOLDER --no-browser`: the tutorials copied into FOLDER, JupyterLab serving
them, and a printed URL (token included) that opens the quickstart; SIGTERM to `wanvace`
stops JupyterLab too."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from wanvace_widgets.emulator.server import free_port

ROOT = Path(__file__).resolve().parents[1]


def wait_for_url(log: Path, process: subprocess.Popen, seconds: float = 90) -> str:
    """The URL `wanvace demo` prints once JupyterLab listens."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        found = re.search(r"^Open (http://\S+)", log.read_text(), re.MULTILINE)
        if found:
            return found.group(1)
        time.sleep(0.2)
    pytest.fail(
        f"no URL within {seconds} s (exit code {process.poll()}):\n{log.read_text()[-3000:]}"
    )


def jupyter_env(tmp_path: Path) -> dict[str, str]:
    """No key, and Jupyter's own folders in ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if k not in ("DASHSCOPE_API_KEY", "JUPYTER_TOKEN")}
    return env | {
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "WANVACE_HOME": str(tmp_path / "wanvace-home"),
    }


def check_quickstart_is_served(url: str) -> None:
    """The printed URL opens JupyterLab on the quickstart; its token opens the REST API."""
    parts = urlsplit(url)
    assert parts.path == "/lab/tree/quickstart.ipynb"
    token = parse_qs(parts.query)["token"][0]
    assert httpx.get(url).status_code == 200
    api = f"{parts.scheme}://{parts.netloc}/api/contents/quickstart.ipynb"
    assert httpx.get(api).status_code == 403  # the token is needed
    notebook = httpx.get(api, headers={"Authorization": f"token {token}"}).json()
    assert notebook["name"] == "quickstart.ipynb" and notebook["type"] == "notebook"
    assert any("VaceStudio" in "".join(c["source"]) for c in notebook["content"]["cells"])


def test_demo_copies_the_tutorials_serves_the_quickstart_and_stops_on_sigterm(tmp_path):
    log = tmp_path / "demo.log"
    folder = tmp_path / "my tutorials"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "wanvace_widgets.cli", "demo", str(folder), "--no-browser"]
            + [f"--port={free_port()}"],
            cwd=tmp_path,
            env=jupyter_env(tmp_path) | {"PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = wait_for_url(log, process)
        assert (folder / "quickstart.ipynb").read_bytes() == (
            ROOT / "notebooks" / "quickstart.ipynb"
        ).read_bytes()
        check_quickstart_is_served(url)
        process.send_signal(signal.SIGTERM)  # to `wanvace` alone, as a process manager does
        process.wait(timeout=60)
        with pytest.raises(httpx.ConnectError):
            httpx.get(url)  # JupyterLab went with it
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert "offline emulator" in log.read_text()
