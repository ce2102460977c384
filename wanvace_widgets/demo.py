"""``wanvace demo``: JupyterLab on the quickstart notebook, offline unless a key is set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .client import find_api_key

__all__ = ["quickstart_path", "run_demo"]


def quickstart_path() -> Path:
    """The quickstart notebook: in the current folder's notebooks/, or the checkout's."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[1]):
        candidate = root / "notebooks" / "quickstart.ipynb"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "notebooks/quickstart.ipynb not found: run `wanvace demo` in a wanvace-widgets checkout"
    )


def run_demo(no_browser: bool = False, port: int = 8888) -> int:
    """Start JupyterLab on the quickstart; returns JupyterLab's exit code."""
    notebook = quickstart_path()
    root = notebook.parent.parent
    if find_api_key():
        print("DASHSCOPE_API_KEY found: jobs go to the real service and are billed.", flush=True)
    else:
        print(
            "No DASHSCOPE_API_KEY: the widgets use the offline emulator (free, not Wan output).",
            flush=True,
        )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={root}",
        f"--port={port}",
        str(notebook.relative_to(root)),
    ]
    if no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    return subprocess.call(command, cwd=root, env=os.environ.copy())
