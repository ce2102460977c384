"""`wanvace demo FOLDER --no-browser`: the tutorials copied into FOLDER, JupyterLab serving
them, and a printed URL (token included) that opens the quickstart; SIGTERM to `wanvace`
stops JupyterLab too."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.commands import isolated_env, running, wait_for_url
from wanvace_widgets.emulator.server import free_port

ROOT = Path(__file__).resolve().parents[1]


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
    command = [sys.executable, "-m", "wanvace_widgets.apps.cli", "demo", str(folder), "--no-browser"]
    env = isolated_env(tmp_path) | {"PYTHONPATH": str(ROOT)}
    with running([*command, f"--port={free_port()}"], tmp_path, env, log) as process:
        url = wait_for_url(log, process)
        assert (folder / "quickstart.ipynb").read_bytes() == (
            ROOT / "notebooks" / "quickstart.ipynb"
        ).read_bytes()
        check_quickstart_is_served(url)
        process.send_signal(signal.SIGTERM)  # to `wanvace` alone, as a process manager does
        process.wait(timeout=60)
        with pytest.raises(httpx.ConnectError):
            httpx.get(url)  # JupyterLab went with it
    assert "offline emulator" in log.read_text()
