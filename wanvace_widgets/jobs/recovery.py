"""Finding a submit whose answer never arrived: the server's task list, read with care.

A submit whose POST may have reached the server (its answer was lost, or the process died
while it was on its way) has no task id. The only road back is the server's task list
(``GET /api/v1/tasks``): the tasks created for this model while the submit could have
arrived. This module decides, as a pure function of that list and of what everyone else
is known to have submitted, which of three things is true (``docs/lifecycle.md``):

* **found**: exactly one task in the window belongs to nobody else, and no other
  unsettled submit (another kernel's, another user's of the same key) could have made it;
* **not created**: the window has closed long enough ago that a task made then would be
  listed, and no unclaimed task is there: nothing was created, nothing will be billed;
* **ambiguous**: more than one task could be it, or another unsettled submit could have
  made it. Nothing is guessed: the candidates are shown and the user chooses.

Two submits of different prompts made at the same moment (two students on one key) can be
told apart without guessing once their tasks end: a finished task names the prompt it was
asked for (``orig_prompt``). :func:`match_by_prompt` adopts the one candidate whose prompt
is this submit's, when every other candidate's prompt is known to differ.

The window runs from when the POST left to when the submit deadline ended, widened on
both sides by how far this machine's clock may be from the server's (``Deadlines``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..contract import constants as c
from ..contract.constants import is_task_id
from .deadlines import Deadlines

__all__ = [
    "FOUND",
    "AMBIGUOUS",
    "NOT_CREATED",
    "WAIT",
    "ListedTask",
    "OtherSubmit",
    "SubmitWindow",
    "Verdict",
    "decide",
    "listed_task",
    "match_by_prompt",
]

FOUND, NOT_CREATED, AMBIGUOUS, WAIT = "found", "not created", "ambiguous", "wait"


@dataclass(frozen=True)
class SubmitWindow:
    """When, in this machine's seconds since the epoch, the server may have created the
    task; ``settled_at``: from then on, a task created in the window is surely listed."""

    start: float
    end: float
    settled_at: float

    @classmethod
    def around(cls, sent_at: float, deadlines: Deadlines) -> SubmitWindow:
        """The window of a POST that left at ``sent_at`` (and was given up after the
        submit deadline, or answered before it)."""
        start = sent_at - deadlines.clock_skew
        end = sent_at + deadlines.submit + deadlines.clock_skew
        return cls(start, end, end + deadlines.list_settle)

    def holds(self, moment: float) -> bool:
        return self.start <= moment <= self.end

    def overlaps(self, other: SubmitWindow) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True)
class ListedTask:
    """One row of the server's task list: its id, creation time (epoch seconds), status."""

    task_id: str
    created_at: float
    status: str


@dataclass(frozen=True)
class OtherSubmit:
    """A submit of another job (this journal's, or the shared quota store's): when it could
    have created a task, and the task id it got, if it got one."""

    job_id: str
    window: SubmitWindow
    task_id: str | None = None


@dataclass(frozen=True)
class Verdict:
    """What the list says: ``kind`` is one of FOUND, NOT_CREATED, AMBIGUOUS, WAIT (the
    window has not settled yet: ask again at ``window.settled_at``)."""

    kind: str
    task: ListedTask | None = None
    candidates: tuple[str, ...] = ()


def listed_task(row: Any) -> ListedTask | None:
    """A list row as a :class:`ListedTask`, or None when it is not a usable one (no safe
    task id, or no creation time: such a task can never be matched to a submit)."""
    if not isinstance(row, Mapping) or not is_task_id(row.get("task_id")):
        return None
    created = row.get("gmt_create")
    if isinstance(created, bool) or not isinstance(created, (int, float)) or created != created:
        return None
    if not 0 < created < 1e14:
        return None
    raw = row.get("status")
    status = c.normalize_status(raw) if isinstance(raw, str) else c.PENDING
    return ListedTask(row["task_id"], created / 1000, status)


def decide(
    window: SubmitWindow,
    listed: Iterable[ListedTask],
    *,
    known: set[str],
    others: Iterable[OtherSubmit],
    now: float,
) -> Verdict:
    """Which listed task, if any, is the submit of ``window`` (see the module docstring).
    ``known``: task ids that some job already holds (this journal, the shared store)."""
    if now < window.settled_at:
        return Verdict(WAIT)
    others = list(others)
    claimed = known | {o.task_id for o in others if o.task_id}
    candidates = sorted(
        (t for t in listed if window.holds(t.created_at) and t.task_id not in claimed),
        key=lambda t: t.created_at,
    )
    if not candidates:
        return Verdict(NOT_CREATED)
    unsettled = [o for o in others if o.task_id is None]
    ids = tuple(t.task_id for t in candidates)
    if len(candidates) == 1 and not any(
        o.window.holds(candidates[0].created_at) for o in unsettled
    ):
        return Verdict(FOUND, candidates[0], ids)
    return Verdict(AMBIGUOUS, None, ids)


def match_by_prompt(prompt: str | None, asked: Mapping[str, str | None | bool]) -> str | None:
    """The one candidate whose finished task was asked for ``prompt``, or None.

    ``asked`` maps each candidate to the prompt its finished task reports, None when it
    reports none (a failed task), or False while it has not ended. Only a match that every
    other candidate's known, different prompt confirms counts."""
    if not prompt or any(value is False for value in asked.values()):
        return None
    same = [task_id for task_id, value in asked.items() if value == prompt]
    others = [value for task_id, value in asked.items() if task_id not in same]
    if len(same) == 1 and all(isinstance(value, str) for value in others):
        return same[0]
    return None
