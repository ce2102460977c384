"""Faults a test or a demo switches on: error answers, dropped connections, slow answers,
failed tasks; by schedule (the next N matching requests) or by a seeded probability."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ROUTES", "Fault", "Faults"]

ROUTES = ("submit", "query", "cancel", "list", "policy", "upload", "result", "sample", "*")
ACTIONS = ("status", "drop", "drop_after", "delay", "delay_after", "fail_task")
#: a delay fault waits at most this long: longer would only hang the test that asked
MAX_DELAY_S = 600
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name
_VALUE = re.compile(r"[\x20-\x7e]*")  # a header value: printable ASCII, one line


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object, low: float, high: float) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return low <= value <= high  # NaN fails both comparisons


@dataclass
class Fault:
    """One rule. ``status`` answers ``status_code`` with DashScope's body; ``drop`` closes
    the connection before handling; ``drop_after`` handles the request, then closes
    without answering (a submit that may have created a task); ``delay`` waits ``seconds``
    first; ``delay_after`` handles the request, then waits ``seconds`` before answering (a
    task created while its answer is still on the way); ``fail_task`` makes the next
    submitted task end FAILED with ``code``/``message``.
    """

    route: str
    action: str
    times: int | None = 1
    probability: float | None = None
    status_code: int = 500
    code: str = "InternalError"
    message: str = "Internal server error (emulated fault)."
    seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check every field, so a rule that is kept can always be played."""
        if self.route not in ROUTES or self.action not in ACTIONS:
            raise ValueError(f"route must be one of {ROUTES}, action one of {ACTIONS}")
        if self.times is not None and not (_is_int(self.times) and self.times >= 1):
            raise ValueError("times must be a whole number from 1, or null for always")
        if self.probability is not None and not _is_number(self.probability, 0, 1):
            raise ValueError("probability must be a number from 0 to 1, or null")
        if not (_is_int(self.status_code) and 400 <= self.status_code <= 599):
            raise ValueError("status_code must be a whole number from 400 to 599")
        for name in ("code", "message"):
            if not isinstance(getattr(self, name), str) or len(getattr(self, name)) > 1000:
                raise ValueError(f"{name} must be a string of at most 1000 characters")
        if not _is_number(self.seconds, 0, MAX_DELAY_S):
            raise ValueError(f"seconds must be a number from 0 to {MAX_DELAY_S}")
        if not isinstance(self.headers, dict) or not all(
            isinstance(k, str)
            and _TOKEN.fullmatch(k)
            and isinstance(v, str)
            and _VALUE.fullmatch(v)
            for k, v in self.headers.items()
        ):
            raise ValueError("headers must map header names to printable one-line values")


class Faults:
    """The active rules; each matching request consumes one use of the first rule that fires."""

    def __init__(self, seed: int = 0):
        self._rules: list[Fault] = []
        self._random = random.Random(seed)

    def add(self, route: str, action: str, **options: Any) -> Fault:
        """Add a rule; raises TypeError or ValueError for an unknown or ill-typed field."""
        rule = Fault(route, action, **options)
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        self._rules.clear()

    def take(self, route: str, actions: tuple[str, ...] = ACTIONS) -> Fault | None:
        for rule in self._rules:
            if rule.route not in (route, "*") or rule.action not in actions:
                continue
            if rule.probability is not None and self._random.random() >= rule.probability:
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._rules.remove(rule)
            return rule
        return None
