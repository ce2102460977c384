"""Run the emulator over loopback: in a background thread (tests, notebooks) or in front."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from .profiles import EmulatorConfig
from .routes import create_app

__all__ = ["EmulatorServer", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class EmulatorServer:
    """An emulator served by uvicorn in a daemon thread; use as a context manager.

    ``base_url`` is what a client needs; result URLs point back at it.
    """

    def __init__(
        self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ):
        self.host, self.port = host, port or free_port(host)
        self.base_url = f"http://{host}:{self.port}"
        self.config = config or EmulatorConfig()
        self.config.public_base_url = self.base_url
        self.app = create_app(self.config)
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, host=host, port=self.port, log_level="warning", lifespan="off")
        )
        self._thread = threading.Thread(
            target=self._server.run, daemon=True, name="wanvace-emulator"
        )

    @property
    def emulator(self):
        return self.app.state.emulator

    def start(self) -> EmulatorServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the emulator did not start on {self.base_url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
