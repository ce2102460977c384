"""A scripted hostile DashScope, in-process (an httpx transport), for the fault matrix.

Each route answers from its own script, one behaviour per request, then from its default:
submit → a task id (``task-1``, then ``task-1-2``, …), query → PENDING, RUNNING …,
SUCCEEDED with a result URL, result → the sample MP4. A behaviour may answer anything
(HTML, JSON cut short, wrong types), drip its body byte by byte, hang, drop the connection
before or after the server saw the request, or refuse it; ``during`` answers a route one
way for a stretch of (virtual) time. Every request is recorded with its time, so a test
can count submits and how close together they came.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable

import httpx

Behaviour = Callable[[httpx.Request], Awaitable[httpx.Response]]

RESULT_HOST = "https://results.hostile"


def answer(status: int = 200, body=None, *, headers=None) -> Behaviour:
    """A JSON answer (any JSON value, however wrong)."""

    async def respond(request):
        return httpx.Response(status, json=body, headers=headers)

    return respond


def raw(content: bytes, status: int = 200, content_type: str = "text/html") -> Behaviour:
    """Bytes as they are: an HTML page, JSON cut short, garbage."""

    async def respond(request):
        return httpx.Response(status, content=content, headers={"content-type": content_type})

    return respond


def refuse() -> Behaviour:
    """The connection is never made: the server saw nothing."""

    async def respond(request):
        raise httpx.ConnectError("connection refused")

    return respond


def drop() -> Behaviour:
    """The server read the request, then the connection closed without an answer."""

    async def respond(request):
        raise httpx.RemoteProtocolError("server disconnected without sending a response")

    return respond


def fail_with(exc: BaseException) -> Behaviour:
    """Anything at all raised from below (a bug in a transport, say)."""

    async def respond(request):
        raise exc

    return respond


def hang(seconds: float = 10**6) -> Behaviour:
    """No answer for a very long time."""

    async def respond(request):
        await asyncio.sleep(seconds)
        return httpx.Response(200, json={})

    return respond


def drip(content: bytes, every: float = 0.5, status: int = 200) -> Behaviour:
    """A body sent one byte at a time: each byte resets a per-read timeout."""

    async def body():
        for byte in content:
            await asyncio.sleep(every)
            yield bytes([byte])

    async def respond(request):
        return httpx.Response(status, content=body())

    return respond


def cut(content: bytes, keep: int, *, announce: bool) -> Behaviour:
    """A body cut after ``keep`` bytes, with or without the full Content-Length."""

    async def body():
        yield content[:keep]

    async def respond(request):
        headers = {"content-length": str(len(content))} if announce else {}
        return httpx.Response(200, content=body(), headers=headers)

    return respond


class Endless:
    """A body of ``total`` bytes (10 GB by default), made lazily ``chunk`` bytes at a time,
    with or without its Content-Length; ``made`` counts the chunks handed out."""

    def __init__(self, chunk: int = 1 << 20, total: int = 10 << 30, *, announce: bool):
        self.block, self.total, self.announce = bytes(chunk), total, announce
        self.made = 0

    async def _body(self):
        for _ in range(self.total // len(self.block)):
            self.made += 1
            yield self.block

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        headers = {"content-length": str(self.total)} if self.announce else {}
        return httpx.Response(200, content=self._body(), headers=headers)


def status_answer(task_id: str, status: str, **output) -> dict:
    return {"request_id": "req-q", "output": {"task_id": task_id, "task_status": status, **output}}


class HostileServer:
    """The scripted server. ``script[route]`` is a deque of behaviours used before the
    defaults; routes: submit, query, cancel, list, policy, upload, result."""

    def __init__(self, video: bytes, task_id: str = "task-1", running_polls: int = 2):
        self.video = video
        self.task_id = task_id
        self.running_polls = running_polls
        self.script: dict[str, deque[Behaviour]] = {
            r: deque() for r in ("submit", "query", "cancel", "list", "policy", "upload", "result")
        }
        self.requests: list[tuple[str, httpx.Request]] = []
        #: (route, loop time) of every request, in order
        self.sent_at: list[tuple[str, float]] = []
        self.spells: dict[str, tuple[float, Behaviour]] = {}
        self.created: list[str] = []
        self._good_queries = 0

    def then(self, route: str, *behaviours: Behaviour) -> HostileServer:
        self.script[route].extend(behaviours)
        return self

    def during(self, route: str, seconds: float, behaviour: Behaviour) -> HostileServer:
        """Answer ``route`` with ``behaviour`` for ``seconds`` of loop time from now (before
        its script); needs the running loop."""
        self.spells[route] = (asyncio.get_running_loop().time() + seconds, behaviour)
        return self

    def count(self, route: str) -> int:
        return sum(1 for r, _ in self.requests if r == route)

    def paths(self, route: str) -> list[str]:
        return [req.url.path for r, req in self.requests if r == route]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        route = _route(request)
        if route in ("submit", "upload"):
            await request.aread()
        self.requests.append((route, request))
        now = asyncio.get_running_loop().time()
        self.sent_at.append((route, now))
        until, spell = self.spells.get(route, (now, None))
        if spell is not None and now < until:
            return await spell(request)
        if self.script.get(route):
            return await self.script[route].popleft()(request)
        return await self._default(route, request)

    async def _default(self, route: str, request: httpx.Request) -> httpx.Response:
        if route == "submit":
            n = len(self.created) + 1
            self.created.append(self.task_id if n == 1 else f"{self.task_id}-{n}")
            return httpx.Response(
                200,
                json={
                    "request_id": "req-s",
                    "output": {"task_id": self.created[-1], "task_status": "PENDING"},
                },
            )
        if route == "query":
            task_id = request.url.path.rsplit("/", 1)[-1]
            self._good_queries += 1
            if self._good_queries <= self.running_polls:
                return httpx.Response(200, json=status_answer(task_id, "RUNNING"))
            return httpx.Response(
                200,
                json={
                    **status_answer(
                        task_id,
                        "SUCCEEDED",
                        video_url=f"{RESULT_HOST}/{task_id}.mp4?Signature=x",
                        end_time="2026-11-25 10:00:00.000",
                    ),
                    "usage": {"video_duration": 3, "video_ratio": "standard", "video_count": 1},
                },
            )
        if route == "result":
            return httpx.Response(200, content=self.video)
        if route == "cancel":
            return httpx.Response(200, json={"request_id": "req-c"})
        if route == "list":
            return httpx.Response(200, json={"request_id": "l", "total": 0, "data": []})
        return httpx.Response(404, json={"code": "NotFound", "message": "no such route"})


def _route(request: httpx.Request) -> str:
    path = request.url.path
    if str(request.url).startswith(RESULT_HOST):
        return "result"
    if path.endswith("/video-synthesis"):
        return "submit"
    if path.endswith("/cancel"):
        return "cancel"
    if path.rstrip("/") == "/api/v1/tasks":
        return "list"
    if path.startswith("/api/v1/tasks/"):
        return "query"
    if path == "/api/v1/uploads":
        return "policy"
    return "upload"


def json_bytes(value) -> bytes:
    return json.dumps(value).encode()
