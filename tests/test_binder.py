"""binder/start: the emulator on loopback unless a key is set; binder/ installs the package."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.lockfiles import LOCK_PYTHON, REQUIREMENTS, read_lock
from wanvace_widgets.emulator.server import free_port

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import os, time, httpx
url = os.environ.get("WANVACE_BASE_URL")
if url:
    for _ in range(100):
        try:
            print(url, httpx.get(url + "/api/v1/tasks/x", headers={"Authorization": "Bearer k"}).json()["output"]["task_status"])
            break
        except httpx.HTTPError:
            time.sleep(0.1)
else:
    print("no emulator")
"""


def run_start(extra_env: dict[str, str]) -> str:
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("DASHSCOPE_API_KEY", "WANVACE_BASE_URL")
    }
    env |= {
        "WANVACE_EMULATOR_PORT": str(port),
        "PATH": f"{Path(sys.executable).parent}:{env['PATH']}",
    }
    env |= extra_env
    process = subprocess.Popen(
        [str(ROOT / "binder" / "start"), sys.executable, "-c", PROBE],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the emulator start leaves behind stays in this group
    )
    try:
        out = process.communicate(timeout=60)[0]
        assert process.returncode == 0
        return out.strip()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)


def test_start_runs_the_emulator_when_no_key_is_set():
    out = run_start({})
    assert out.startswith("http://127.0.0.1:") and out.endswith(" UNKNOWN")


def test_start_leaves_the_real_service_alone_with_a_key():
    assert run_start({"DASHSCOPE_API_KEY": "sk-real"}) == "no emulator"


def test_binder_installs_the_package_at_the_demo_locks_versions_on_its_python():
    """repo2docker installs binder/requirements.txt with pip: the checkout (editable, so
    without hashes) and every package at requirements/demo.txt's version, on the Python
    the locks are made for (binder/runtime.txt)."""
    binder = read_lock(ROOT / "binder" / "requirements.txt")
    demo = read_lock(REQUIREMENTS / "demo.txt")
    assert binder.options == ("-e .",)
    versions = {(p.name, p.marker and str(p.marker)): p.version for p in demo.pins}
    for pin in binder.pins:
        assert versions[(pin.name, pin.marker and str(pin.marker))] == pin.version, pin
    names = {pin.name for pin in binder.pins}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["demo"]]
    assert {canonicalize_name(Requirement(line).name) for line in wanted} <= names
    assert "jupyterlab" in names
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == f"python-{LOCK_PYTHON}"
