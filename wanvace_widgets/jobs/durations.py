"""How long jobs take, learnt from the journal and from the jobs that end in this session.

The poll plan (``poll_plan.py``) asks here when a job will probably end, so that it can
poll rarely while the end is far and often around it. Durations come from the server's own
texts of SUCCEEDED jobs: ``end_time - scheduled_time`` (how long the job ran) and
``end_time - submit_time`` (from submit to end). The server writes them without a time
zone; their differences do not need one, and the client's clock plays no part.

A job's running time follows how many pixels and seconds it makes, so durations are kept
per *kind* of job (:func:`kind_of`):

* ``image_reference`` and ``video_edit``: the function and its ``size`` parameter;
* ``video_repainting``, ``video_extension`` and ``video_outpainting``, whose output follows
  the input video: the function and its media inputs as given (path, URL, or byte count),
  which fix the source's size and duration, with outpainting's scales, which grow the
  output. The client never downloads or probes a video only to time a job.
* ``instruction_edit`` (wan2.7-videoedit): its source video as given, with the
  ``resolution``, ``ratio`` and ``duration`` that size its output.

A kind with no history falls back to every job of the same function (a wider spread); a
function with none gets no estimate here (the plan then uses its prior). Only the latest
``keep`` jobs of a kind count, so a service that got faster is followed within a few jobs.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..contract import constants as c
from ..contract.server_time import seconds_between
from . import lifecycle as s
from .job_entry import JobEntry

__all__ = ["FIVE_TO_TEN_MINUTES", "Durations", "Spread", "kind_of"]
#: the spread of one kind's durations before history shows it (σ of the log: ±8%), and how
#: many jobs' worth of weight that guess has
_SIGMA_GUESS, _GUESS_WEIGHT = 0.08, 2
#: never trust history to be tighter than this
_SIGMA_FLOOR = 0.02
_SIZED = frozenset({"image_reference", "video_edit"})
_SHAPING = (
    "video",
    "first_clip",
    "last_clip",
    "first_frame",
    "last_frame",
    "top_scale",
    "bottom_scale",
    "left_scale",
    "right_scale",
)
#: functions whose output is shaped by other fields than :data:`_SHAPING`
_SHAPING_OF = {c.INSTRUCTION_EDIT: ("video", "resolution", "ratio", "duration")}


@dataclass(frozen=True)
class Spread:
    """A log-normal duration: its ``median`` in seconds and ``sigma``, the standard
    deviation of its log. ``samples`` is how many jobs it was learnt from (0: a prior)."""

    median: float
    sigma: float
    samples: int = 0

    @classmethod
    def between(cls, low: float, high: float) -> Spread:
        """A prior that puts 95% of jobs between ``low`` and ``high`` seconds."""
        return cls(math.sqrt(low * high), math.log(high / low) / (2 * 1.96))

    def quantile(self, z: float) -> float:
        """The duration ``z`` standard deviations from the median (z=-1.645: 5% end sooner)."""
        return self.median * math.exp(z * self.sigma)

    def scaled(self, factor: float) -> Spread:
        """The same spread for jobs ``factor`` times as long (benchmarks scale time down)."""
        return Spread(self.median * factor, self.sigma, self.samples)


#: the reference's "5–10 minutes" (§1), for a service we have no history of
FIVE_TO_TEN_MINUTES = Spread.between(300.0, 600.0)


def kind_of(function: Any, request: Any) -> tuple[str, str]:
    """The kind of job whose durations are comparable (see the module docstring)."""
    function = function if isinstance(function, str) else "unknown"
    request = request if isinstance(request, Mapping) else {}
    if function in _SIZED:
        size = request.get("size")
        return function, f"size={size if isinstance(size, str) else c.DEFAULT_SIZE}"
    names = _SHAPING_OF.get(function, _SHAPING)
    shaping = [f"{name}={request[name]!r}" for name in names if request.get(name) is not None]
    return function, " ".join(shaping)


class Durations:
    """Durations of the jobs that ended, by kind: what :meth:`running` and :meth:`total`
    estimate from. ``history`` gives journal entries, read once at first use; only those of
    ``host`` count (the emulator's jobs say nothing about DashScope's)."""

    def __init__(
        self,
        history: Callable[[], Iterable[JobEntry]] | None = None,
        *,
        host: str | None = None,
        keep: int = 20,
    ):
        self._history = history
        self.host = host
        self._running: dict[tuple[str, str], deque[float]] = defaultdict(lambda: deque(maxlen=keep))
        self._total: dict[tuple[str, str], deque[float]] = defaultdict(lambda: deque(maxlen=keep))
        self._learnt: set[str] = set()

    def learn(self, entry: JobEntry) -> bool:
        """Learn from one job (a journal entry or ``task.to_entry()``); False when it
        teaches nothing: not SUCCEEDED, another host, already learnt, or times that are
        missing, unreadable or absurd."""
        self._load()
        return self._learn(entry)

    def running(self, function: str, request: Any) -> Spread | None:
        """How long a job of this kind runs once started, or None with no history."""
        self._load()
        return _estimate(self._running, kind_of(function, request))

    def total(self, function: str, request: Any) -> Spread | None:
        """How long a job of this kind takes from submit to end, or None with no history."""
        self._load()
        return _estimate(self._total, kind_of(function, request))

    def _load(self) -> None:
        history, self._history = self._history, None
        for entry in history() if history is not None else ():
            self._learn(entry)

    def _learn(self, entry: JobEntry) -> bool:
        task_id = entry.task_id
        if (
            entry.status != s.SUCCEEDED
            or task_id is None
            or task_id in self._learnt
            or (self.host is not None and entry.host not in (None, self.host))
        ):
            return False
        total = seconds_between(entry.submit_time, entry.end_time)
        if total is None:
            return False
        kind = kind_of(entry.function, entry.request)
        self._learnt.add(task_id)
        self._total[kind].append(total)
        running = seconds_between(entry.scheduled_time, entry.end_time)
        if running is not None and running <= total:
            self._running[kind].append(running)
        return True


Kind = tuple[str, str]


def _estimate(table: Mapping[Kind, deque[float]], kind: Kind) -> Spread | None:
    """The kind's spread, else the pooled spread of its function's kinds, else None."""
    seconds = list(table.get(kind, ()))
    if not seconds:
        seconds = [d for (function, _), ds in table.items() if function == kind[0] for d in ds]
    return _spread(seconds) if seconds else None


def _spread(seconds: list[float]) -> Spread:
    """Median and a robust σ of the logs (median absolute deviation), pooled with the
    guess for few samples, widened for what a few samples cannot tell (a predictive σ)."""
    logs = [math.log(max(d, 0.1)) for d in seconds]
    n, middle = len(logs), statistics.median(logs)
    if n >= 3:
        mad = 1.4826 * statistics.median(abs(x - middle) for x in logs)
        variance = (_GUESS_WEIGHT * _SIGMA_GUESS**2 + (n - 1) * mad**2) / (_GUESS_WEIGHT + n - 1)
    else:
        variance = _SIGMA_GUESS**2
    sigma = max(_SIGMA_FLOOR, math.sqrt(variance * (1 + 1 / n)))
    return Spread(math.exp(middle), sigma, n)
