"""A throwaway Redis server for the quota tests, and the stores of the contract suite.

Debian's ``redis-server`` (``scripts/test`` installs it) on a free loopback port, with no
persistence; ready once it answers PING, which is tried for a bounded time.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis

from wanvace_widgets.emulator.server import free_port
from wanvace_widgets.quota import LocalQuota, SqliteQuota
from wanvace_widgets.quota.redis import RedisQuota

READY_WITHIN_S = 10.0


class RedisServer:
    """``redis-server`` as a child process; ``url`` reaches it."""

    def __init__(self, folder: Path, password: str | None = None):
        self.folder, self.password = folder, password
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: apt-get install redis-server")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.folder)]
        if self.password:
            command += ["--requirepass", self.password]
        log = open(self.folder / f"redis-{self.port}.log", "wb")  # noqa: SIM115 - kept by the child
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(log.name)
        return self

    def _wait_ready(self, log: str) -> None:
        probe = redis.Redis(port=self.port, password=self.password, socket_timeout=0.5)
        deadline = time.monotonic() + READY_WITHIN_S
        try:
            while True:
                try:
                    if probe.ping():
                        return
                except redis.ConnectionError:
                    pass
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    output = Path(log).read_text(errors="replace")[-2000:]
                    pytest.fail(
                        f"redis-server on port {self.port} did not answer PING within "
                        f"{READY_WITHIN_S} s (exit code {self.process.returncode}):\n{output}"
                    )
                time.sleep(0.05)
        finally:
            probe.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def make_store(kind: str, *, where: Path, redis_url: str, clock=None, scope=None, **limits):
    """A store of ``kind``; stores made with the same ``where``/``scope`` share their state."""
    scope = scope or "test/" + uuid.uuid4().hex[:8]
    if kind == "local":
        return LocalQuota(clock=clock, **limits)
    if kind == "sqlite":
        return SqliteQuota(where / "quota.sqlite3", scope=scope, clock=clock, **limits)
    return RedisQuota.from_url(redis_url, scope=scope, clock=clock, **limits)
