"""Running a web front end (JupyterLab, Voilà) for the ``wanvace`` command.

The front ends come with extras, not with the package, so a missing one is named with the
exact ``pip`` command. The server runs as a child process; once it answers, the address
to open is printed (token included, as a user needs it on a headless machine), and Ctrl-C
or a SIGTERM to ``wanvace`` stops the server through SIGTERM, so that it shuts its kernels
down and outlives nothing.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "MissingExtraError",
    "allow_root_flags",
    "available_port",
    "listening",
    "require_extra",
    "serve",
]

#: how long a front end may take to answer before we say so (it keeps starting after)
READY_TIMEOUT_S = 120.0


class MissingExtraError(ModuleNotFoundError):
    """A front end that an extra of wanvace-widgets installs is not installed."""


def require_extra(module: str, product: str, extra: str) -> None:
    """Raise MissingExtraError naming ``product`` and the pip command, if ``module`` is
    not importable."""
    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(
            f"{product} is not installed. Install it with:\n"
            f'    pip install "wanvace-widgets[{extra}]"',
            name=module,
        )


def allow_root_flags() -> list[str]:
    """Jupyter refuses to run as root without --allow-root (containers and CI often do)."""
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def available_port(preferred: int, host: str = "127.0.0.1") -> int:
    """``preferred`` if it is free, else a free port that the system picks."""
    with socket.socket() as sock:
        try:
            sock.bind((host, preferred))
        except OSError:
            sock.bind((host, 0))
        return sock.getsockname()[1]


def listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def serve(
    command: list[str],
    cwd: Path,
    ready_url: Callable[[subprocess.Popen], str | None],
    open_browser: bool = False,
    env: dict[str, str] | None = None,
) -> int:
    """Run ``command`` until it exits; print the URL ``ready_url`` finds once it answers.

    ``ready_url`` is asked every 0.2 s until it returns a URL or the server exits.
    Returns the server's exit code.
    """
    process = subprocess.Popen(command, cwd=cwd, env=env)
    previous = signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        url = _wait_for_url(process, ready_url)
        if url:
            print(f"\nOpen {url}\n(Ctrl-C stops the server.)", flush=True)
            if open_browser:
                webbrowser.open(url)
        elif process.poll() is None:
            print("The server has not answered yet; see its log above.", file=sys.stderr)
        return process.wait()
    except KeyboardInterrupt:
        return _stop(process)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if process.poll() is None:  # we are failing: the server must not outlive us
            _stop(process)


def _stop(process: subprocess.Popen) -> int:
    process.terminate()  # the server shuts its kernels down on SIGTERM
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def _wait_for_url(
    process: subprocess.Popen, ready_url: Callable[[subprocess.Popen], str | None]
) -> str | None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        url = ready_url(process)
        if url:
            return url
        time.sleep(0.2)
    return None
