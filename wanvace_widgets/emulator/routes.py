"""The emulator's HTTP surface: DashScope's routes (VACE, wan2.7-videoedit), temporary
storage, result files.

Routes and bodies follow ``docs/api-contract.md`` (§2, §11–§13). Whatever a request
holds, the answer is DashScope's JSON (``request_id``, ``code``, ``message``): a malformed
body, query or header is a 400 ``InvalidParameter`` naming what is wrong, never a 500 or
plain text (§15). A fault layer in front of the routes answers errors, drops connections
or delays answers when a test asks it to, and counts requests per route so tests can
prove, for example, that a submit was sent once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import re
import secrets
import tempfile
import uuid
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..contract import constants as c
from ..contract.server_time import parse_list_time, server_time_text
from ..media import codec as media_io
from ..media.samples import SAMPLE_NAMES, write_samples
from .profiles import EmulatorConfig
from .render import render
from .store import EmulatedTask, TaskStore
from .uploads import UPLOAD_PATH, UploadStore
from .validation import (
    ApiFailure,
    TaskFailure,
    bad_parameter,
    check_media,
    check_submit,
    media_fields,
)

__all__ = ["Emulator", "create_app"]


def _error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"request_id": str(uuid.uuid4()), "code": code, "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


def _ok(body: dict) -> JSONResponse:
    return JSONResponse({"request_id": str(uuid.uuid4()), **body})


class Emulator:
    """State and handlers of one emulated DashScope region."""

    def __init__(self, config: EmulatorConfig):
        self.config = config
        self.tasks = TaskStore(config, self._render_task)
        self.uploads = UploadStore(config)
        self.stats: Counter[str] = Counter()
        self._secret = secrets.token_bytes(16)
        self._samples_dir: Path | None = None

    # -- auth --------------------------------------------------------------------------

    def _key(self, request: Request) -> str:
        auth = request.headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not key:
            raise ApiFailure(401, "InvalidApiKey", "No API-key provided.")
        accepted = self.config.api_keys
        if key in self.config.other_region_keys or (accepted is not None and key not in accepted):
            raise ApiFailure(401, "InvalidApiKey", "Invalid API-key provided.")
        return key

    # -- task routes -----------------------------------------------------------------------

    async def submit(self, request: Request) -> Response:
        key = self._key(request)
        if request.headers.get(c.ASYNC_HEADER, "").lower() != "enable":
            raise ApiFailure(
                403, "AccessDenied", "current user api does not support synchronous calls"
            )
        body = _parse_json(await _read_body(request, self.config.max_body_bytes))
        oss = request.headers.get(c.OSS_RESOLVE_HEADER, "").lower() == "enable"
        body = check_submit(body, model=self.config.models, oss_resolve=oss)
        forced = self.config.faults.take("submit", ("fail_task",))
        failure = (forced.code, forced.message) if forced else None
        task = self.tasks.submit(key, body, failure)
        return _ok({"output": {"task_status": task.status, "task_id": task.task_id}})

    async def query(self, request: Request) -> Response:
        key = self._key(request)
        self.tasks.count_query(key)
        task_id = request.path_params["task_id"]
        task = self.tasks.get(task_id)
        if task is None:
            return _ok({"output": {"task_id": task_id, "task_status": c.UNKNOWN}})
        task.queries += 1
        return _ok(self._describe(task))

    async def cancel(self, request: Request) -> Response:
        self._key(request)
        self.tasks.cancel(request.path_params["task_id"])
        return _ok({})

    async def list_tasks(self, request: Request) -> Response:
        self._key(request)
        q = request.query_params
        start, end = _window(q.get("start_time"), q.get("end_time"), self.tasks.now)
        page_no, page_size = _page_number(q, "page_no", 1), _page_number(q, "page_size", 10)
        status = q.get("status")
        if status is not None:
            status = c.normalize_status(status)
            if status not in c.SERVER_STATUSES:
                allowed = ", ".join(c.SERVER_STATUSES)
                raise bad_parameter(f"The query parameter status must be one of {allowed}.")
        self.tasks.advance()
        rows = [
            t
            for t in self.tasks.tasks.values()
            if start <= t.submitted_at <= end
            and q.get("task_id") in (None, t.task_id)
            and q.get("model_name") in (None, t.body["model"])
            and status in (None, t.status)
        ]
        page = rows[(page_no - 1) * page_size : page_no * page_size]
        return _ok(
            {
                "total": len(rows),
                "total_page": math.ceil(len(rows) / page_size) if rows else 0,
                "page_no": page_no,
                "page_size": page_size,
                "data": [self._list_row(t) for t in page],
            }
        )

    def _describe(self, task: EmulatedTask) -> dict:
        out: dict = {
            "task_id": task.task_id,
            "task_status": task.status,
            "submit_time": server_time_text(task.submitted_at),
        }
        if task.started_at is not None:
            out["scheduled_time"] = server_time_text(task.started_at)
        if task.ended_at is not None:
            out["end_time"] = server_time_text(task.ended_at)
        body: dict = {"output": out}
        if task.status == c.FAILED:
            out |= {"code": task.code, "message": task.message}
        if task.status == c.SUCCEEDED:
            prompt = task.body["input"].get("prompt")  # wan2.7-videoedit's is optional
            out["video_url"] = self._result_url(task)
            if prompt is not None:
                out["orig_prompt"] = prompt
            if prompt is not None and task.body["parameters"].get("prompt_extend", True):
                out["actual_prompt"] = prompt + " Cinematic lighting, smooth camera motion."
            body["usage"] = _usage(task)
        return body

    def _list_row(self, task: EmulatedTask) -> dict:
        row = {
            "api_key_id": hashlib.sha256(task.key.encode()).hexdigest()[:12],
            "caller_parent_id": "emulated",
            "caller_uid": "emulated",
            "gmt_create": int(task.submitted_at * 1000),
            "start_time": int((task.started_at or task.submitted_at) * 1000),
            "model_name": task.body["model"],
            "region": "ap-southeast-1" if self.config.region == "intl" else "cn-beijing",
            "request_id": str(uuid.uuid4()),
            "status": task.status,
            "task_id": task.task_id,
            "user_api_unique_key": "apikey:v1:aigc:video-generation:video-synthesis:"
            + task.body["model"],
        }
        if task.ended_at is not None:
            row["end_time"] = int(task.ended_at * 1000)
        return row

    # -- results -------------------------------------------------------------------------

    def _sign(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    def _result_url(self, task: EmulatedTask) -> str:
        if task.ended_at is None:
            raise RuntimeError(f"task {task.task_id} has a result but no end time")
        expires = int(task.ended_at + c.RESULT_URL_TTL_S)
        signature = self._sign(f"{task.task_id}:{expires}")
        return (
            f"{self.config.public_base_url}/results/{task.task_id}.mp4"
            f"?Expires={expires}&Signature={signature}"
        )

    def _result_bytes(self, task_id: str, expires: str, signature: str) -> bytes:
        task = self.tasks.tasks.get(task_id)
        if task is None or not hmac.compare_digest(self._sign(f"{task_id}:{expires}"), signature):
            raise ApiFailure(403, "AccessDenied", "Access denied.")
        if not expires.isdigit() or self.tasks.now > int(expires):
            raise ApiFailure(403, "AccessDenied", "Request has expired.")
        video = self.tasks.video(task)
        if video is None:  # dropped from the result budget (contract §15)
            raise ApiFailure(404, "NoSuchKey", "The emulator no longer keeps this result video.")
        return video

    async def result(self, request: Request) -> Response:
        q = request.query_params
        data = self._result_bytes(
            request.path_params["task_id"], q.get("Expires", ""), q.get("Signature", "")
        )
        return _ranged(data, request.headers.get("range"), "video/mp4")

    async def sample(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in SAMPLE_NAMES:
            raise ApiFailure(404, "NotFound", "No such sample.")
        kind = "video/mp4" if name.endswith(".mp4") else "image/png"
        return _ranged(self._sample_bytes(name), request.headers.get("range"), kind)

    def _sample_bytes(self, name: str) -> bytes:
        if self._samples_dir is None:
            self._samples_dir = Path(tempfile.mkdtemp(prefix="wanvace-samples-"))
        return write_samples(self._samples_dir)[Path(name).stem].read_bytes()

    # -- uploads -------------------------------------------------------------------------

    async def get_policy(self, request: Request) -> Response:
        self._key(request)
        q = request.query_params
        if q.get("action") != "getPolicy" or not q.get("model"):
            raise ApiFailure(400, "InvalidParameter", "action=getPolicy and model are required.")
        return _ok({"data": self.uploads.new_policy(q["model"])})

    async def upload(self, request: Request) -> Response:
        async with request.form(max_part_size=(self.config.upload_max_mb + 1) << 20) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise ApiFailure(400, "InvalidArgument", "The form has no file field.")
            data = await upload.read()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        self.uploads.store(fields, data)
        return Response(status_code=200)

    # -- the emulator's own routes ----------------------------------------------------------

    async def faults(self, request: Request) -> Response:
        """``POST /emulator/faults`` adds one rule (a JSON object of :class:`Fault`'s
        fields), ``DELETE`` clears them all. A rule is checked whole before it is kept, so
        a bad one is refused and never breaks another route."""
        if request.method == "DELETE":
            self.config.faults.clear()
            return JSONResponse({"faults": "cleared"})
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise bad_parameter("A fault is a JSON object: send Content-Type application/json.")
        spec = _parse_json(await _read_body(request, self.config.max_body_bytes))
        if not isinstance(spec, dict):
            raise bad_parameter("A fault is a JSON object with route and action.")
        try:
            self.config.faults.add(**spec)
        except (TypeError, ValueError) as exc:
            raise bad_parameter(f"Invalid fault: {exc}") from exc
        return JSONResponse({"faults": "added"})

    # -- rendering ---------------------------------------------------------------------

    async def _fetch(self, url: str, model: str) -> bytes:
        if url.startswith(c.OSS_SCHEME):
            data = self.uploads.resolve(url, model)
            if data is None:
                raise TaskFailure("InvalidURL", f"The oss URL is expired or unknown: {url}")
            return data
        own = urlsplit(self.config.public_base_url)
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) == (own.scheme, own.netloc):
            return self._own_file(parts)
        try:
            async with httpx.AsyncClient(timeout=self.config.fetch_timeout_s) as http:
                response = await http.get(url, follow_redirects=True)
                response.raise_for_status()
                return response.content
        except httpx.HTTPError as exc:
            raise TaskFailure(
                "InvalidURL", f"Failed to download the media resource: {url} ({type(exc).__name__})"
            ) from exc

    def _own_file(self, parts) -> bytes:
        try:
            if parts.path.startswith("/samples/"):
                name = parts.path.rsplit("/", 1)[-1]
                if name in SAMPLE_NAMES:
                    return self._sample_bytes(name)
            if parts.path.startswith("/results/"):
                q = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
                task_id = parts.path.rsplit("/", 1)[-1].removesuffix(".mp4")
                return self._result_bytes(task_id, q.get("Expires", ""), q.get("Signature", ""))
        except ApiFailure:
            pass
        raise TaskFailure("InvalidURL", f"Failed to download the media resource: {parts.geturl()}")

    async def _render_task(self, task: EmulatedTask) -> tuple[bytes, float]:
        inp, params = task.body["input"], task.body["parameters"]
        urls = media_fields(inp)
        fetched: dict[str, list[bytes]] = {}
        for name, value in urls.items():
            items = value if isinstance(value, list) else [value]
            fetched[name] = list(
                await asyncio.gather(*(self._fetch(u, task.body["model"]) for u in items))
            )
        infos = {}
        for name, blobs in fetched.items():
            try:
                infos[name] = [media_io.probe(b) for b in blobs]
            except media_io.MediaReadError as exc:
                raise TaskFailure(
                    "InvalidFile.Format", f"The file of {name} cannot be read: {exc}"
                ) from exc
        check_media(inp, infos, params)
        lists = ("ref_images_url", c.EDIT27_REFERENCE_TYPE)
        media = {k: (v if k in lists else v[0]) for k, v in fetched.items()}
        result = await asyncio.to_thread(render, task.function, inp, params, media)
        return result.data, result.duration_s


def _usage(task: EmulatedTask) -> dict:
    """What a SUCCEEDED task reports it billed: VACE the output's whole seconds (§10);
    wan2.7-videoedit the source's seconds used plus the output's, and the tier (§17.7)."""
    seconds = task.video_duration or 0.0
    if task.function != c.INSTRUCTION_EDIT:
        return {
            "video_duration": max(1, round(seconds)),
            "video_ratio": "standard",
            "video_count": 1,
        }
    tier = task.body["parameters"].get("resolution", c.EDIT27_DEFAULT_RESOLUTION)
    return {
        "duration": round(2 * seconds, 2),
        "input_video_duration": round(seconds, 2),
        "output_video_duration": round(seconds, 2),
        "video_count": 1,
        "SR": int(tier.removesuffix("P")),
    }


def _window(start: str | None, end: str | None, now: float) -> tuple[float, float]:
    """The list route's time window: at most 24 h, defaulting to the last 24 h (§11.5)."""

    def parse(text: str) -> float:
        moment = parse_list_time(text)
        if moment is None:
            message = "The query parameters start_time and end_time are YYYYMMDDhhmmss."
            raise bad_parameter(message)
        return moment

    day = 24 * 3600
    if start and end:
        s, e = parse(start), parse(end)
        if e - s > day or e < s:
            raise ApiFailure(400, "InvalidParameter", "The time window must be within 24 hours.")
        return s, e
    if start:
        return parse(start), parse(start) + day
    if end:
        return parse(end) - day, parse(end)
    return now - day, now


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused past ``limit`` bytes before it is all read (§15)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise bad_parameter(f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _parse_json(data: bytes):
    """Strict JSON: no NaN or Infinity, and a nesting too deep to parse is malformed."""
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise bad_parameter("The request body is not valid JSON.") from exc


def _page_number(query, name: str, default: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not re.fullmatch(r"[1-9][0-9]{0,8}", text):
        raise bad_parameter(f"The query parameter {name} must be a whole number from 1.")
    return int(text)


_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})")


def _ranged(data: bytes, range_header: str | None, media_type: str) -> Response:
    """Serve bytes, honouring one ``Range: bytes=a-b`` so browsers can seek."""
    headers = {"Accept-Ranges": "bytes"}
    span = _byte_range(range_header, len(data))
    if span is None:
        return Response(data, headers=headers, media_type=media_type)
    start, stop = span
    headers["Content-Range"] = f"bytes {start}-{stop}/{len(data)}"
    return Response(data[start : stop + 1], 206, headers=headers, media_type=media_type)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range a Range header asks for, (start, stop) inclusive; None for the whole
    file. As OSS does (contract §15), a malformed header or several ranges are ignored,
    and a range that starts past the end is answered 416."""
    match = _RANGE.fullmatch(header.strip()) if header else None
    first, last = match.groups() if match else ("", "")
    if first:
        start, stop = int(first), int(last) if last else size - 1
        if last and stop < start:
            return None  # malformed
    elif last:
        start, stop = size - int(last), size - 1
        if int(last) == 0:
            start = size  # an empty suffix: nothing to serve
    else:
        return None
    if start >= size:
        raise ApiFailure(
            416,
            "InvalidRange",
            "The requested range cannot be satisfied.",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return max(start, 0), min(stop, size - 1)


def _route_of(method: str, path: str) -> str:
    if path == c.SUBMIT_PATH:
        return "submit"
    if path.startswith(c.TASKS_PATH + "/") and path.endswith("/cancel"):
        return "cancel"
    if path.rstrip("/") == c.TASKS_PATH:
        return "list"
    if path.startswith(c.TASKS_PATH + "/"):
        return "query"
    if path == c.UPLOADS_PATH:
        return "policy"
    if path == UPLOAD_PATH:
        return "upload"
    if path.startswith("/results/"):
        return "result"
    if path.startswith("/samples/"):
        return "sample"
    return "other"


class _FaultLayer:
    """ASGI middleware: counts requests per route and plays the configured faults."""

    def __init__(self, app, emulator: Emulator):
        self.app, self.emulator = app, emulator

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        route = _route_of(scope["method"], scope["path"])
        self.emulator.stats[route] += 1
        fault = self.emulator.config.faults.take(
            route, ("status", "drop", "drop_after", "delay", "delay_after")
        )
        if fault is None:
            return await self.app(scope, receive, send)
        if fault.action == "delay":
            await asyncio.sleep(fault.seconds)
            return await self.app(scope, receive, send)
        if fault.action == "delay_after":
            held: list[dict] = []

            async def hold(message: dict) -> None:
                held.append(message)

            await self.app(scope, receive, hold)
            await asyncio.sleep(fault.seconds)
            for message in held:
                await send(message)
            return None
        if fault.action == "status":
            response = _error(fault.status_code, fault.code, fault.message, fault.headers)
            return await response(scope, receive, send)
        if fault.action == "drop_after":

            async def swallow(message):
                return None

            await self.app(scope, receive, swallow)
        # start an answer and break it off: over HTTP the client sees the connection close
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


_HTTP_CODES = {400: "InvalidParameter", 404: "NotFound", 405: "MethodNotAllowed"}


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no such route, wrong method, a malformed form) as
    DashScope's JSON, not plain text."""
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    code = _HTTP_CODES.get(exc.status_code, "InvalidParameter")
    return _error(exc.status_code, code, str(exc.detail), exc.headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug in the emulator still answers DashScope's JSON (and is logged by the server)."""
    return _error(500, "InternalError", "Internal server error (emulator bug).")


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """The emulator as an ASGI app; its state is ``app.state.emulator``."""
    emulator = Emulator(config or EmulatorConfig())

    def handle(fn):
        async def endpoint(request: Request) -> Response:
            try:
                return await fn(request)
            except ApiFailure as failure:
                return _error(failure.status, failure.code, failure.message, failure.headers)

        return endpoint

    async def stats(request: Request) -> Response:
        return JSONResponse(dict(emulator.stats))

    routes = [
        Route(c.SUBMIT_PATH, handle(emulator.submit), methods=["POST"]),
        Route(c.TASKS_PATH, handle(emulator.list_tasks), methods=["GET"]),
        Route(c.TASKS_PATH + "/", handle(emulator.list_tasks), methods=["GET"]),
        Route(c.TASKS_PATH + "/{task_id}", handle(emulator.query), methods=["GET"]),
        Route(c.TASKS_PATH + "/{task_id}/cancel", handle(emulator.cancel), methods=["POST"]),
        Route(c.UPLOADS_PATH, handle(emulator.get_policy), methods=["GET"]),
        Route(UPLOAD_PATH, handle(emulator.upload), methods=["POST"]),
        Route("/results/{task_id}.mp4", handle(emulator.result), methods=["GET"]),
        Route("/samples/{name}", handle(emulator.sample), methods=["GET"]),
        Route("/emulator/faults", handle(emulator.faults), methods=["POST", "DELETE"]),
        Route("/emulator/stats", stats, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_exception, Exception: _internal_error},
    )
    app.state.emulator = emulator
    app.add_middleware(_FaultLayer, emulator=emulator)
    return app
