"""One job as the journal keeps it: a frozen, typed record parsed in one place.

Every reader of the journal (the client's resume, the recovery of interrupted submits, the
history, the poll plan's durations) takes a :class:`JobEntry`, never a raw dict: a journal
may hold anything (a crash of another program, a hand edit, an older version), and
:meth:`JobEntry.parse` is the one place that decides what of it can be believed. A field
of the wrong type is dropped (the entry keeps what is sound); an entry without a job id,
function, status or creation time, or with a task id that could be a path, is no job.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract.constants import is_task_id
from ..errors import server_text
from . import lifecycle as s
from .owners import Owner

__all__ = ["ErrorRecord", "JobEntry"]

#: statuses a restart may leave without an ending
_NOT_SENT = frozenset({s.QUEUED, s.UPLOADING})
_MAYBE_SENT = frozenset({s.SUBMITTING, s.UNCONFIRMED})
#: seconds since the epoch beyond this are not times (year 5138)
_MAX_EPOCH = 1e11
_MAX_PATH = 4096
_MAX_PROMPT = 20_000


@dataclass(frozen=True)
class ErrorRecord:
    """Why a job ended without a video, as kept: the error's class name, code, message."""

    type: str
    code: str | None
    message: str

    @classmethod
    def parse(cls, value: Any) -> ErrorRecord | None:
        if not isinstance(value, dict):
            return None
        kind = server_text(value.get("type"), 60)
        message = server_text(value.get("message"), 1000) or ""
        if kind is None:
            return None
        return cls(kind, server_text(value.get("code"), 100), message)


@dataclass(frozen=True)
class JobEntry:
    """The latest known state of one job (see ``tasks.TaskSnapshot`` for the fields).

    Beyond the task's own state it says where the job went (``host``, ``region``,
    ``model``), for whom (``user``), which process runs it (``owner``), when its submit
    left (``submitting_at``, written before the POST) and when this entry was written
    (``updated_at``, which decides between two copies of one job). ``candidates`` lists the
    server's tasks an interrupted submit could be, when more than one could.
    """

    job_id: str
    function: str
    status: str
    created_at: float
    updated_at: float = 0.0
    task_id: str | None = None
    request_id: str | None = None
    submitting_at: float | None = None
    submitted_at: float | None = None
    submit_time: str | None = None
    scheduled_time: str | None = None
    end_time: str | None = None
    video_url: str | None = None
    video_url_expires_at: float | None = None
    usage: dict[str, float | str] | None = None
    orig_prompt: str | None = None
    actual_prompt: str | None = None
    estimated_usd: float | None = None
    billed_usd: float | None = None
    request: dict[str, Any] | None = None
    error: ErrorRecord | None = None
    local_path: Path | None = None
    finished: bool = False
    host: str | None = None
    region: str | None = None
    model: str | None = None
    user: str | None = None
    owner: Owner | None = None
    candidates: tuple[str, ...] = ()

    # -- what it means -------------------------------------------------------------------

    @property
    def never_sent(self) -> bool:
        """Stopped before its submit could leave: nothing was created, nothing billed."""
        return self.status in _NOT_SENT

    @property
    def maybe_sent(self) -> bool:
        """Its submit may have reached the server, and no task id is known for it."""
        return self.status in _MAYBE_SENT and self.task_id is None

    @property
    def followable(self) -> bool:
        """Has a task on the server whose end is not known here yet (or whose video is not
        saved yet): a restart follows it again."""
        return (
            self.task_id is not None
            and self.status in (s.PENDING, s.RUNNING, s.SUCCEEDED)
            and not (self.status == s.SUCCEEDED and self.has_video_file())
        )

    @property
    def without_ending(self) -> bool:
        """Nothing says how this job ended: a restart must recover it."""
        if self.never_sent or self.maybe_sent:
            return True
        return self.followable

    def has_video_file(self) -> bool:
        """The saved result is still there, as a regular file."""
        try:
            return self.local_path is not None and self.local_path.is_file()
        except (OSError, ValueError):
            return False

    # -- reading and writing -------------------------------------------------------------

    @classmethod
    def parse(cls, value: Any) -> JobEntry | None:
        """The entry in a stored JSON text or object, or None when it is no job."""
        if isinstance(value, (str, bytes)):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                return None
        if not isinstance(value, dict):
            return None
        job_id = _token(value.get("job_id"))
        function = server_text(value.get("function"), 60) if _is_str(value, "function") else None
        status = server_text(value.get("status"), 40) if _is_str(value, "status") else None
        # a job whose creation time was lost is still a job (shown as "unknown")
        created_at = _epoch(value.get("created_at", 0.0), allow_zero=True) or 0.0
        task_id = value.get("task_id")
        if job_id is None or function is None or status is None:
            return None
        if task_id is not None and not is_task_id(task_id):
            return None
        return cls(
            job_id=job_id,
            function=function,
            status=status,
            created_at=created_at,
            updated_at=_epoch(value.get("updated_at")) or 0.0,
            task_id=task_id,
            request_id=server_text(value.get("request_id"), 100),
            submitting_at=_epoch(value.get("submitting_at")),
            submitted_at=_epoch(value.get("submitted_at")),
            submit_time=_text(value.get("submit_time"), 40),
            scheduled_time=_text(value.get("scheduled_time"), 40),
            end_time=_text(value.get("end_time"), 40),
            video_url=_text(value.get("video_url"), 8192),
            video_url_expires_at=_epoch(value.get("video_url_expires_at")),
            usage=_usage(value.get("usage")),
            orig_prompt=_text(value.get("orig_prompt"), _MAX_PROMPT),
            actual_prompt=_text(value.get("actual_prompt"), _MAX_PROMPT),
            estimated_usd=_price(value.get("estimated_usd")),
            billed_usd=_price(value.get("billed_usd")),
            request=value.get("request") if isinstance(value.get("request"), dict) else None,
            error=ErrorRecord.parse(value.get("error")),
            local_path=_path(value.get("local_path")),
            finished=value.get("finished") is True,
            host=_text(value.get("host"), 300),
            region=_text(value.get("region"), 40),
            model=_text(value.get("model"), 100),
            user=_text(value.get("user"), 64),
            owner=Owner.parse(value.get("owner")),
            candidates=tuple(c for c in value.get("candidates") or () if is_task_id(c))[:20]
            if isinstance(value.get("candidates"), list)
            else (),
        )

    def to_json(self) -> str:
        """The stored text: ASCII escapes (a lone surrogate in a prompt is kept, not
        refused), a number that is not finite stored as null, anything else as its text."""
        record: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, Owner):
                value = value.to_json()
            elif isinstance(value, ErrorRecord):
                value = dataclasses.asdict(value)
            elif isinstance(value, tuple):
                value = list(value)
            record[f.name] = value
        return json.dumps(_finite(record), default=str, allow_nan=False)

    def replace(self, **changes: Any) -> JobEntry:
        return dataclasses.replace(self, **changes)


def _finite(value: Any) -> Any:
    """``value`` with every float that is not finite replaced by None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _is_str(value: dict[str, Any], name: str) -> bool:
    return isinstance(value.get(name), str)


def _token(value: Any) -> str | None:
    """A job id: a printable text of at most 128 characters."""
    if not isinstance(value, str) or not 0 < len(value) <= 128 or not value.isprintable():
        return None
    return value


def _text(value: Any, limit: int) -> str | None:
    """A text field kept as it is (prompts may hold anything), or None when it is not one
    or too long to be ours."""
    return value if isinstance(value, str) and len(value) <= limit else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _epoch(value: Any, *, allow_zero: bool = False) -> float | None:
    number = _number(value)
    if number is None or not (0 <= number < _MAX_EPOCH) or (number == 0 and not allow_zero):
        return None
    return number


def _price(value: Any) -> float | None:
    number = _number(value)
    return number if number is not None and 0 <= number < 1e6 else None


def _path(value: Any) -> Path | None:
    if not isinstance(value, str) or not value or len(value) > _MAX_PATH or "\0" in value:
        return None
    return Path(value)


def _usage(value: Any) -> dict[str, float | str] | None:
    if not isinstance(value, dict):
        return None
    usage: dict[str, float | str] = {}
    for name, item in value.items():
        if not isinstance(name, str) or len(name) > 60:
            continue
        number = _number(item)
        if number is not None and number >= 0:
            usage[name] = number
        elif isinstance(item, str) and len(item) <= 60:
            usage[name] = item
    return usage
