"""The life of one job as an explicit state machine: the states, the allowed moves, and
what each state means for the quota slot, the bill and the user (``docs/lifecycle.md``).

::

    QUEUED ──► UPLOADING ──► SUBMITTING ──► PENDING ──► RUNNING ──► SUCCEEDED
      │            │           │    │          │  │        │  │
      ▼            ▼           ▼    ▼          ▼  ▼        ▼  ▼
    CANCELED  ERROR/CANCELED  ERROR  UNCONFIRMED  CANCELED  FAILED · UNKNOWN

QUEUED, UPLOADING, SUBMITTING, ERROR and UNCONFIRMED are ours; the others are the server's
(reference §7.1). Apart from its status, a task is *followed* (polled here) or not, and
*finished* once nothing more will happen here (for SUCCEEDED: once the video is saved or
its download failed). A server that reports a move this table does not allow (RUNNING
back to PENDING, say) is not believed: the task keeps its state.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..contract import constants as c

__all__ = [
    "CANCELED",
    "ENDED",
    "ERROR",
    "FAILED",
    "LIVE_ON_SERVER",
    "PENDING",
    "QUEUED",
    "RUNNING",
    "STATES",
    "SUBMITTING",
    "SUCCEEDED",
    "TRANSITIONS",
    "UNCONFIRMED",
    "UNKNOWN",
    "UPLOADING",
    "State",
    "allowed",
]

QUEUED, UPLOADING, SUBMITTING = "QUEUED", "UPLOADING", "SUBMITTING"
ERROR, UNCONFIRMED = "ERROR", "UNCONFIRMED"
PENDING, RUNNING, SUCCEEDED = c.PENDING, c.RUNNING, c.SUCCEEDED
FAILED, CANCELED, UNKNOWN = c.FAILED, c.CANCELED, c.UNKNOWN


@dataclass(frozen=True)
class State:
    """What one status means.

    ``holds_slot``: the job counts against the account's 2 live tasks. ``ended``: nothing
    more happens by itself (an UNCONFIRMED task is not ended: the client searches the
    server's task list for it, ``recovery.py``). ``bill`` says what the state costs, ``next`` what
    the user does in it.
    """

    name: str
    ours: bool
    holds_slot: bool
    ended: bool
    bill: str
    next: str


STATES: dict[str, State] = {
    s.name: s
    for s in (
        State(QUEUED, True, False, False, "nothing", "wait; Cancel removes it"),
        State(UPLOADING, True, True, False, "nothing", "wait; Cancel stops it"),
        State(SUBMITTING, True, True, False, "the task may be created", "wait a few seconds"),
        State(PENDING, False, True, False, "billed if it succeeds", "wait; Cancel still works"),
        State(RUNNING, False, True, False, "billed if it succeeds", "wait (5–10 minutes)"),
        State(SUCCEEDED, False, False, True, "billed: output seconds × price", "play it"),
        State(FAILED, False, False, True, "not billed", "read the code and message; fix"),
        State(CANCELED, False, False, True, "not billed", "nothing"),
        State(UNKNOWN, False, False, True, "unknown", "the id is wrong or older than 24 h"),
        State(ERROR, True, False, True, "nothing: nothing was created", "fix and retry"),
        State(
            UNCONFIRMED,
            True,
            False,
            False,
            "maybe: the task may exist",
            "wait: the server's task list is searched for it; it is never resubmitted",
        ),
    )
}

_SERVER_OUTCOMES = frozenset({PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED, UNKNOWN})

#: every allowed move; a status always may stay what it is
TRANSITIONS: dict[str, frozenset[str]] = {
    # QUEUED → SUBMITTING: a submit tried again after a 429 (its uploads are done)
    QUEUED: frozenset({UPLOADING, SUBMITTING, CANCELED, ERROR}),
    UPLOADING: frozenset({SUBMITTING, CANCELED, ERROR}),
    # SUBMITTING → QUEUED: a 429 created nothing; the job waits for the server's slots
    SUBMITTING: frozenset({QUEUED, ERROR, UNCONFIRMED} | _SERVER_OUTCOMES),
    # a task we attach to starts PENDING until its first answer, so it may jump anywhere
    PENDING: _SERVER_OUTCOMES,
    RUNNING: frozenset({SUCCEEDED, FAILED, CANCELED, UNKNOWN}),
    # the server's task list found the task, or showed that nothing was created
    UNCONFIRMED: _SERVER_OUTCOMES | {ERROR},
    SUCCEEDED: frozenset(),
    FAILED: frozenset(),
    CANCELED: frozenset(),
    UNKNOWN: frozenset(),
    ERROR: frozenset(),
}

#: statuses in which the server may still change the task
LIVE_ON_SERVER = frozenset({PENDING, RUNNING})
#: statuses after which nothing more happens by itself
ENDED = frozenset(name for name, state in STATES.items() if state.ended)


def allowed(old: str, new: str) -> bool:
    """Whether a task may move from ``old`` to ``new``."""
    return old == new or new in TRANSITIONS.get(old, frozenset())
