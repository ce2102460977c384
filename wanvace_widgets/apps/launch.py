"""Running a web front end (JupyterLab, Voilà) for the ``wanvace`` command.

The front ends come with extras, not with the package, so a missing one is named with the
exact ``pip`` command. The server runs as a child process; once it answers, the address
to open is printed (token included, as a user needs it on a headless machine), and Ctrl-C
or a SIGTERM to ``wanvace`` stops the server through SIGTERM, so that it shuts its kernels
down and outlives nothing.

Given the server's token as ``secret``, the token is never written to an output that may
be a log: the server's output (its access log, its kernels') passes through here with the
token replaced by ``…``, and the address is printed whole only on a terminal; otherwise
it goes to an owner-only file in the server's folder, removed when the server stops.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import IO, TextIO
from urllib.parse import quote, quote_plus

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
#: where the address with its token goes when the output is not a terminal
ADDRESS_FILE = ".address"
#: what a secret becomes in the output
HIDDEN = "…"


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
    secret: str | None = None,
) -> int:
    """Run ``command`` until it exits; print the URL ``ready_url`` finds once it answers.

    ``ready_url`` is asked every 0.2 s until it returns a URL or the server exits.
    ``secret`` (the server's token) is kept out of every output (see the module doc).
    Returns the server's exit code.
    """
    pipe = subprocess.PIPE if secret else None
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=pipe, stderr=pipe)
    relays = _relay_output(process, secret) if secret else []
    address_file = Path(cwd) / ADDRESS_FILE
    previous = signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        url = _wait_for_url(process, ready_url)
        if url:
            shown = _address(url, secret, address_file)
            print(f"\nOpen {shown}\n(Ctrl-C stops the server.)", flush=True)
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
        for relay in relays:
            relay.join(timeout=5)  # what the server said last (its kernels may hold the pipe)
        address_file.unlink(missing_ok=True)


def _address(url: str, secret: str | None, address_file: Path) -> str:
    """The address as printed: whole on a terminal, else without the secret, which goes to
    ``address_file`` (owner-only)."""
    if secret is None or secret not in url or sys.stdout.isatty():
        return url
    address_file.unlink(missing_ok=True)
    fd = os.open(address_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(url + "\n")
    return (
        f"{url.replace(secret, HIDDEN)}\n(the token is kept out of logs; the whole address is "
        f"in {address_file}, readable by you only)"
    )


def _relay_output(process: subprocess.Popen, secret: str) -> list[threading.Thread]:
    """Threads that copy the server's stdout and stderr to ours, the secret hidden."""
    relays = [
        threading.Thread(target=_relay, args=(source, sink, secret), daemon=True)
        for source, sink in ((process.stdout, sys.stdout), (process.stderr, sys.stderr))
    ]
    for relay in relays:
        relay.start()
    return relays


def _relay(source: IO[bytes], sink: TextIO, secret: str) -> None:
    secrets = {s.encode() for s in (secret, quote(secret, safe=""), quote_plus(secret))}
    hidden = HIDDEN.encode()
    raw = getattr(sink, "buffer", None)
    for line in iter(source.readline, b""):
        for known in secrets:
            line = line.replace(known, hidden)
        if raw is not None:
            raw.write(line)
            raw.flush()
        else:
            sink.write(line.decode("utf-8", "replace"))
            sink.flush()


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
