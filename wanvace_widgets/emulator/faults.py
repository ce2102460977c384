"""Faults a test or a demo switches on: error answers, dropped connections, slow answers,
failed tasks; by schedule (the next N matching requests) or by a seeded probability."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["ROUTES", "Fault", "Faults"]

ROUTES = ("submit", "query", "cancel", "list", "policy", "upload", "result", "sample", "*")
ACTIONS = ("status", "drop", "drop_after", "delay", "fail_task")


@dataclass
class Fault:
    """One rule. ``status`` answers ``status_code`` with DashScope's body; ``drop`` closes
    the connection before handling; ``drop_after`` handles the request, then closes
    without answering (a submit that may have created a task); ``delay`` waits ``seconds``
    first; ``fail_task`` makes the next submitted task end FAILED with ``code``/``message``.
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
        if self.route not in ROUTES or self.action not in ACTIONS:
            raise ValueError(f"route must be one of {ROUTES}, action one of {ACTIONS}")


class Faults:
    """The active rules; each matching request consumes one use of the first rule that fires."""

    def __init__(self, seed: int = 0):
        self._rules: list[Fault] = []
        self._random = random.Random(seed)

    def add(self, route: str, action: str, **options: object) -> Fault:
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
