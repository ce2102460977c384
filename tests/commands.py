"""Running the `wanvace` command as a user does, for the tests of demo, app and the wheel:
in its own process group (so nothing it starts outlives a test), with Jupyter's folders and
the journal in a temporary folder, no key, and its output in a log file."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """This environment without a key, with Jupyter's and wanvace's folders in ``tmp_path``."""
    dropped = ("DASHSCOPE_API_KEY", "WANVACE_BASE_URL", "JUPYTER_TOKEN")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return env | {
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "WANVACE_HOME": str(tmp_path / "wanvace-home"),
    }


@contextlib.contextmanager
def running(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Iterator:
    """Start ``command`` in a process group of its own; kill what is left of it after."""
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_url(log: Path, process: subprocess.Popen, seconds: float = 90) -> str:
    """The URL `wanvace demo` or `wanvace app` prints once its server listens."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        found = re.search(r"^Open (http://\S+)", log.read_text(), re.MULTILINE)
        if found:
            return found.group(1)
        time.sleep(0.2)
    pytest.fail(
        f"no URL within {seconds} s (exit code {process.poll()}):\n{log.read_text()[-3000:]}"
    )


def whole_address(printed: str, folder: Path) -> str:
    """The address `wanvace app` printed, token included: printed whole on a terminal only,
    so a test (whose output is a file) reads it from the owner-only file in the app's folder."""
    if "token=…" not in printed:
        return printed
    address = (folder / ".address").read_text().strip()
    assert address.startswith(printed.split("?")[0]), (printed, address)
    return address
