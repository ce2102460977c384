"""Painting like a user, for the painter's browser tests and its benchmark: drag the
mouse, count the comm messages."""

from __future__ import annotations

import json

from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1


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
