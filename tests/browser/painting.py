"""Driving a notebook like a user, for the painter's browser tests and its benchmark:
open it once the kernel is ready, run it, drag the mouse, count the comm messages."""

from __future__ import annotations

import json

import pytest
from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.test_widgets_browser import error_outputs

#: true once the notebook's kernel is connected and idle (JupyterLab and Notebook 7 alike)
KERNEL_READY = """() => {
    const context = window.jupyterapp?.shell?.currentWidget?.sessionContext;
    const kernel = context?.session?.kernel;
    return !!(context?.isReady && kernel?.connectionStatus === "connected"
              && kernel.status === "idle");
}"""


def wait_for(page, script: str, what: str, timeout_ms: int = 120_000, arg=None) -> None:
    """Wait until ``script`` is true in the page; fail saying ``what`` did not happen,
    with the notebook's error outputs if there are any."""
    try:
        page.wait_for_function(script, arg=arg, timeout=timeout_ms)
    except PlaywrightTimeout:
        errors = error_outputs(page)
        pytest.fail(f"{what} within {timeout_ms / 1000:g} s; error outputs: {errors}")


def open_and_run(page, server, name: str) -> None:
    """Open a notebook, wait until its kernel is ready, then run all its cells."""
    page.goto(server.url(name))
    wait_for(page, KERNEL_READY, "the kernel was not connected and idle")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def drag(page, target, points: list[tuple[float, float]], steps: int = 20) -> dict:
    """Press at the first point and move through the others (``steps`` moves each); the
    caller releases. Points are fractions of the target's box; returns the box."""
    box = target.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for point in xy[1:]:
        page.mouse.move(*point, steps=steps)
    return box


def comm_message(frame: bytes | str) -> dict | None:
    """The comm message a kernel websocket frame carries (with its size), else None."""
    if isinstance(frame, str):
        msg = json.loads(frame)
        header, content = msg.get("header", {}), msg.get("content", {})
    else:
        _channel, parts = deserialize_msg_from_ws_v1(frame)
        header, content = json.loads(parts[0]), json.loads(parts[3])
    if header.get("msg_type") != "comm_msg":
        return None
    return {"content": content, "bytes": len(frame)}


class CommTraffic:
    """The comm messages on the page's kernel websockets, each way, as they happen."""

    def __init__(self, page):
        self.sent: list[dict] = []
        self.received: list[dict] = []
        page.on("websocket", self._watch)

    def _watch(self, socket) -> None:
        if "/api/kernels/" in socket.url:
            socket.on("framesent", lambda frame: self._keep(self.sent, frame))
            socket.on("framereceived", lambda frame: self._keep(self.received, frame))

    @staticmethod
    def _keep(into: list[dict], frame) -> None:
        message = comm_message(frame)
        if message is not None:
            into.append(message)

    def mark(self) -> tuple[int, int]:
        return len(self.sent), len(self.received)

    def since(self, mark: tuple[int, int]) -> tuple[list[dict], list[dict]]:
        return self.sent[mark[0] :], self.received[mark[1] :]
