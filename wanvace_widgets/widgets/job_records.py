"""One job as the history shows it, made from a live task or from a journal entry.

Journal entries are read from a file that other kernels, other versions of this package or
a hand edit may have written, so every field is checked here for its type and size: the
widgets never meet a NaN price, a prompt of a megabyte, a control character or a path that
is not text. What cannot be read becomes None and is shown as unknown.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import constants as c
from ..contract.params import params_of
from ..contract.request_models import REQUEST_CLASSES, VaceRequest
from ..contract.server_time import seconds_between
from ..errors import server_text
from ..jobs import lifecycle as s
from ..jobs.job_entry import JobEntry
from ..jobs.tasks import TaskSnapshot

__all__ = ["JobRecord", "function_title", "request_code", "request_from_summary"]

#: how a request summary writes media given as bytes (``VaceRequest.summary``): not a file
_BYTES_PLACEHOLDER = re.compile(r"<\d+ bytes>")
_MAX_TEXT = 20_000  # the journal keeps prompts of at most 5000 characters; a longer one is cut
#: the latest plausible time (year 5000): anything later is not a time of ours
_MAX_EPOCH = 95_617_584_000.0
_LIVE = frozenset({s.QUEUED, s.UPLOADING, s.SUBMITTING, s.PENDING, s.RUNNING})


def function_title(function: str) -> str:
    """``video_edit`` → ``Video edit`` (the tab titles of the studio read the same)."""
    return function.replace("_", " ").capitalize()


@dataclass(frozen=True)
class JobRecord:
    """What the history knows of one job. ``in_session``: a task of this kernel's client
    (live status); otherwise a journal entry of an earlier session, as last recorded."""

    job_id: str
    function: str
    status: str
    created_at: float | None = None
    submitted_at: float | None = None
    #: the server's own run time (end_time − submit_time, both in the server's clock)
    server_seconds: float | None = None
    task_id: str | None = None
    request: dict[str, Any] | None = None
    local_path: Path | None = None
    estimated_usd: float | None = None
    billed_usd: float | None = None
    error: str | None = None
    finished: bool = False
    watching: bool = False
    in_session: bool = False
    #: the server's tasks a lost submit could be (UNCONFIRMED, when the list cannot tell)
    candidates: tuple[str, ...] = ()

    # -- made from ---------------------------------------------------------------------

    @classmethod
    def from_snapshot(cls, snapshot: TaskSnapshot) -> JobRecord:
        """A task of this session (its state is ours, so already typed)."""
        error = snapshot.error
        return cls(
            job_id=snapshot.job_id,
            function=snapshot.function,
            status=snapshot.status,
            created_at=_epoch(snapshot.created_at),
            submitted_at=_epoch(snapshot.submitted_at),
            server_seconds=seconds_between(
                snapshot.submit_time, snapshot.end_time, longest=2 * c.TASK_RETENTION_S
            ),
            task_id=snapshot.task_id,
            request=_summary(snapshot.request),
            local_path=snapshot.local_path,
            estimated_usd=_price(snapshot.estimated_usd),
            billed_usd=_price(snapshot.billed_usd),
            error=server_text(getattr(error, "message", None) or str(error), 300)
            if error is not None
            else None,
            finished=snapshot.finished,
            watching=snapshot.watching,
            in_session=True,
            candidates=snapshot.candidates,
        )

    @classmethod
    def from_entry(cls, entry: JobEntry) -> JobRecord:
        """A journal entry of an earlier session (``JobEntry.parse`` checked its fields)."""
        error = entry.error
        return cls(
            job_id=entry.job_id,
            function=entry.function,
            status=entry.status,
            created_at=_epoch(entry.created_at),
            submitted_at=_epoch(entry.submitted_at),
            server_seconds=seconds_between(
                entry.submit_time, entry.end_time, longest=2 * c.TASK_RETENTION_S
            ),
            task_id=entry.task_id,
            request=_summary(entry.request),
            local_path=entry.local_path,
            estimated_usd=_price(entry.estimated_usd),
            billed_usd=_price(entry.billed_usd),
            error=server_text(error.message or error.code, 300) if error else None,
            finished=entry.finished,
            candidates=entry.candidates,
        )

    # -- read ----------------------------------------------------------------------------

    @property
    def prompt(self) -> str:
        prompt = (self.request or {}).get("prompt")
        return prompt if isinstance(prompt, str) else ""

    @property
    def live(self) -> bool:
        """Still moving here or on the server, as last known."""
        return not self.finished and self.status in _LIVE

    @property
    def known_function(self) -> bool:
        return self.function in REQUEST_CLASSES

    def elapsed_s(self, now: float) -> float | None:
        """The server's run time once it ended; while live, the time since the real submit
        (or since it was asked for, before the server took it); None when unknown."""
        if self.server_seconds is not None:
            return self.server_seconds
        start = self.submitted_at or self.created_at
        if self.live and start is not None and now >= start:
            return now - start
        return None

    def resumable(self, now: float) -> bool:
        """Could be followed again: live on the server (or succeeded without a saved
        video) as last known, not followed here, and younger than the server keeps tasks."""
        start = self.submitted_at or self.created_at
        return (
            self.task_id is not None
            and not self.finished
            and not self.watching
            and self.status in (s.PENDING, s.RUNNING, s.SUCCEEDED)
            and start is not None
            and now - start < c.TASK_RETENTION_S
        )

    def video_file(self) -> Path | None:
        """The saved result while it is still there, as a regular MP4 file (not a folder,
        device or FIFO a hand-edited journal might point at); None otherwise."""
        path = self.local_path
        try:
            found = path is not None and path.suffix.lower() == ".mp4" and path.is_file()
        except (OSError, ValueError):
            return None
        return path if found else None

    def has_video_file(self) -> bool:
        return self.video_file() is not None


def request_from_summary(function: str, summary: dict[str, Any]) -> tuple[VaceRequest, list[str]]:
    """The request a job asked for, rebuilt from its summary, and the fields left out
    because they held bytes (not kept). Raises ValidationError or TypeError when the
    summary does not make a valid request."""
    kwargs, dropped = _arguments(function, summary)
    return REQUEST_CLASSES[function](**kwargs), dropped


def request_code(function: str, summary: dict[str, Any]) -> str:
    """A runnable ``wv.<Request>(...)`` snippet of a job's request (``import
    wanvace_widgets as wv`` first)."""
    kwargs, dropped = _arguments(function, summary)
    lines = [f"wv.{REQUEST_CLASSES[function].__name__}("]
    lines += [f"    {name}={value!r}," for name, value in kwargs.items()]
    lines.append(")")
    notes = [f"# {name}: given as bytes, which the journal does not keep" for name in dropped]
    return "\n".join(notes + lines)


def _arguments(function: str, summary: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Only the attributes the function has, with JSON values; media given as bytes
    dropped."""
    kwargs: dict[str, Any] = {}
    dropped: list[str] = []
    for row in params_of(function):
        value = summary.get(row.attr)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and _BYTES_PLACEHOLDER.fullmatch(v) for v in items):
            dropped.append(row.attr)
            continue
        kwargs[row.attr] = value
    return kwargs, dropped


def _summary(value: Any) -> dict[str, Any] | None:
    """A request summary with only JSON scalars and lists of them; texts cut to size."""
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            continue
        if isinstance(item, list):
            items = [_scalar(v) for v in item[:16]]
            if all(v is not None for v in items):
                out[key] = items
        elif _scalar(item) is not None:
            out[key] = _scalar(item)
    return out


def _scalar(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        # ASCII-safe for the page: control characters and lone surrogates dropped
        return "".join(ch for ch in value[:_MAX_TEXT] if ch.isprintable())
    return None


def _epoch(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0 < value < _MAX_EPOCH else None


def _price(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and 0 <= value < 1e6 else None
