"""Round-robin by user: the order in which waiting jobs get slots, as a pure function.

Every store keeps the same two facts, the waiting requests (job, user, time asked) and when
each user was last granted a slot, and asks :func:`serving_order` who goes next.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["Waiting", "serving_order"]


@dataclass(frozen=True)
class Waiting:
    job_id: str
    user: str
    asked_at: float


def serving_order(waiting: Iterable[Waiting], last_granted: Mapping[str, float]) -> list[Waiting]:
    """The waiting jobs in the order they will be served.

    Users take turns: every user's first waiting job comes before anyone's second. Within
    a round, the user served least recently (never served: first) goes first, ties broken
    by who asked first; each user's own jobs keep the order they were asked in.
    """
    items = sorted(waiting, key=lambda w: (w.asked_at, w.job_id))
    rank: dict[str, int] = {}
    first_asked: dict[str, float] = {}
    keyed = []
    for item in items:
        rank[item.user] = rank.get(item.user, -1) + 1
        first_asked.setdefault(item.user, item.asked_at)
        keyed.append((rank[item.user], item))
    keyed.sort(
        key=lambda pair: (
            pair[0],
            last_granted.get(pair[1].user, float("-inf")),
            first_asked[pair[1].user],
            pair[1].user,
        )
    )
    return [item for _, item in keyed]
