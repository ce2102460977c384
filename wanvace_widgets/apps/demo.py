"""``wanvace demo``: the tutorials in a folder of the user's, opened in JupyterLab.

The tutorials are copied from the installed package into the folder (default
``./wanvace-tutorials``), keeping any copy the user has edited, and JupyterLab opens on the
quickstart there. The jobs go to the offline emulator unless a key is set.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from ..jobs.client import find_api_key
from .launch import allow_root_flags, require_extra, serve
from .tutorials import QUICKSTART, copy_tutorials

__all__ = ["DEFAULT_FOLDER", "backend_notice", "lab_url", "run_demo"]

DEFAULT_FOLDER = "wanvace-tutorials"


def run_demo(
    folder: str | Path = DEFAULT_FOLDER, no_browser: bool = False, port: int = 8888
) -> int:
    """Copy the tutorials into ``folder`` and serve them with JupyterLab, open on the
    quickstart; returns JupyterLab's exit code."""
    require_extra("jupyterlab", "JupyterLab", "demo")
    report = copy_tutorials(folder)
    print(report.describe(), flush=True)
    print(backend_notice(), flush=True)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={report.folder}",
        f"--port={port}",
        *allow_root_flags(),
        *(["--no-browser"] if no_browser else []),
        QUICKSTART,  # JupyterLab opens it in the browser it starts
    ]
    return serve(command, cwd=report.folder, ready_url=lambda p: lab_url(p, QUICKSTART))


def backend_notice() -> str:
    """Which service the notebook's jobs will reach, said before anything is paid for."""
    if find_api_key():
        return "DASHSCOPE_API_KEY found: jobs go to the real service and are billed."
    return "No DASHSCOPE_API_KEY: the widgets use the offline emulator (free, not Wan output)."


def lab_url(process: subprocess.Popen, notebook: str) -> str | None:
    """The URL opening ``notebook`` in the JupyterLab run by ``process``, token included,
    once that server has written its runtime file (so it listens); else None."""
    from jupyter_server.serverapp import list_running_servers

    try:
        servers = list(list_running_servers())
    except (OSError, ValueError):  # a runtime file being written: look again later
        return None
    for info in servers:
        if info.get("pid") == process.pid and isinstance(info.get("url"), str):
            token = info.get("token")
            query = f"?token={quote(token)}" if isinstance(token, str) and token else ""
            return f"{info['url'].rstrip('/')}/lab/tree/{quote(notebook)}{query}"
    return None
