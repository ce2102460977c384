"""`wanvace demo --no-browser` serves JupyterLab on the quickstart notebook."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from wanvace_widgets.emulator.server import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_demo_serves_the_quickstart(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DASHSCOPE_API_KEY"}
    env |= {
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
        "JUPYTER_TOKEN": "demo-test-token",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "wanvace_widgets.cli", "demo", "--no-browser", f"--port={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents/notebooks/quickstart.ipynb?content=0"
        answer = None
        for _ in range(150):
            try:
                answer = httpx.get(url, headers={"Authorization": "token demo-test-token"})
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert answer is not None and answer.json()["name"] == "quickstart.ipynb"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert "offline emulator" in output
