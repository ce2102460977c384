"""The server's answers, read and checked before anything in them is used.

A hostile or broken server may answer HTML, JSON cut short, a list, a number where a text
belongs, a task id that is a path, a result URL that is not a URL. Every field a job uses
is checked here; an answer that fails is a :class:`MalformedAnswerError`, which status
queries treat as passing (poll again) and a submit treats as "maybe created".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from ...contract import constants as c
from ...contract.constants import is_task_id
from ...errors import MalformedAnswerError, server_text

__all__ = [
    "MAX_ANSWER_BYTES",
    "StatusAnswer",
    "SubmitAnswer",
    "decode_json",
    "read_status_answer",
    "read_submit_answer",
]

#: no JSON answer of this API is near this size; a larger one is not read
MAX_ANSWER_BYTES = 1 << 20
_MAX_URL = 8192
_MAX_PROMPT = 20_000


def decode_json(content: bytes) -> Any:
    """The JSON value of an answer body, or MalformedAnswerError (HTML, cut short, too deep)."""
    if len(content) > MAX_ANSWER_BYTES:
        raise MalformedAnswerError(f"the answer is {len(content)} bytes, too large to be ours")
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        start = content[:60].decode("utf-8", "replace")
        shown = "".join(ch for ch in start if ch.isprintable())
        raise MalformedAnswerError(f"the answer is not JSON: {shown!r}") from None


@dataclass(frozen=True)
class SubmitAnswer:
    task_id: str
    status: str
    request_id: str | None


@dataclass(frozen=True)
class StatusAnswer:
    """One status query's answer. ``status`` is our spelling of a known status, or None
    when the server named one we do not know (``raw_status`` keeps it, for the user)."""

    status: str | None
    raw_status: str
    request_id: str | None = None
    submit_time: str | None = None
    scheduled_time: str | None = None
    end_time: str | None = None
    video_url: str | None = None
    orig_prompt: str | None = None
    actual_prompt: str | None = None
    code: str | None = None
    message: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)


def read_submit_answer(body: Any) -> SubmitAnswer:
    """Check a 2xx answer to the submit POST: ``output.task_id`` is required."""
    output = _output(body)
    task_id = output.get("task_id")
    if not is_task_id(task_id):
        raise MalformedAnswerError(
            f"the submit answer has no usable task id ({server_text(repr(task_id), 80)})"
        )
    raw = output.get("task_status")
    status = c.normalize_status(raw) if isinstance(raw, str) else c.PENDING
    if status not in c.SERVER_STATUSES:
        status = c.PENDING
    return SubmitAnswer(task_id, status, server_text(body.get("request_id"), 100))


def read_status_answer(body: Any, task_id: str) -> StatusAnswer:
    """Check a 200 answer to ``GET /tasks/{task_id}``."""
    output = _output(body)
    if output.get("task_id") not in (None, task_id):
        raise MalformedAnswerError("the status answer is about another task")
    raw = output.get("task_status")
    if not isinstance(raw, str) or not raw.strip():
        raise MalformedAnswerError(f"task_status is {server_text(repr(raw), 60)}, not a status")
    normalized = c.normalize_status(raw)
    status = normalized if normalized in c.SERVER_STATUSES else None
    answer = StatusAnswer(
        status=status,
        raw_status=server_text(raw, 60) or "?",
        request_id=server_text(body.get("request_id"), 100),
        submit_time=server_text(output.get("submit_time"), 40),
        scheduled_time=server_text(output.get("scheduled_time"), 40),
        end_time=server_text(output.get("end_time"), 40),
        video_url=_result_url(output.get("video_url")) if status == c.SUCCEEDED else None,
        orig_prompt=_prompt(output.get("orig_prompt")),
        actual_prompt=_prompt(output.get("actual_prompt")),
        code=server_text(output.get("code"), 100),
        message=server_text(output.get("message"), 1000),
        usage=_usage(body.get("usage")),
    )
    return answer


def _output(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise MalformedAnswerError(f"the answer is a {type(body).__name__}, not an object")
    output = body.get("output")
    if not isinstance(output, dict):
        raise MalformedAnswerError(f"the answer's output is {type(output).__name__}")
    return output


def _result_url(value: Any) -> str:
    """A SUCCEEDED answer must carry an http(s) URL we can fetch, with nothing odd in it."""
    if not isinstance(value, str) or len(value) > _MAX_URL:
        raise MalformedAnswerError("a SUCCEEDED answer without a usable video_url")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MalformedAnswerError("the video_url is not an http(s) URL")
    if any(not ch.isprintable() or ch.isspace() for ch in value):
        raise MalformedAnswerError("the video_url holds control characters or spaces")
    return value


def _is_count(value: Any) -> TypeGuard[int | float]:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _prompt(value: Any) -> str | None:
    return value[:_MAX_PROMPT] if isinstance(value, str) else None


#: the billed figures a task's ``usage`` may hold: VACE's output seconds; wan2.7-videoedit's
#: seconds billed (input + output) and their parts, and its tier (``SR``: 720 or 1080)
_USAGE_NUMBERS = (
    "video_duration",
    "video_count",
    "duration",
    "input_video_duration",
    "output_video_duration",
    "SR",
)


def _usage(value: Any) -> dict[str, Any]:
    """The billed figures, when they are numbers (durations in seconds)."""
    if not isinstance(value, dict):
        return {}
    usage: dict[str, Any] = {}
    for name in _USAGE_NUMBERS:
        number = value.get(name)
        if _is_count(number):
            usage[name] = min(number, 3600) if name != "SR" else number
    ratio = server_text(value.get("video_ratio"), 40)
    if ratio:
        usage["video_ratio"] = ratio
    return usage
