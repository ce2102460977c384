"""When a failed request is sent again: exponential backoff with jitter, and the server's
``Retry-After``.

Only idempotent requests retry (queries, cancel, list, the upload policy); a submit that
may have reached the server never does (``scheduler.py``). A new retry rule goes here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["RetryPolicy", "jittered", "parse_retry_after"]


def jittered(base: float, jitter: float, rand: float | None = None) -> float:
    """``base`` moved by up to ±``jitter`` of itself (``rand`` in [0, 1], else random), so
    that tasks started together do not query on the same instant."""
    rand = random.random() if rand is None else rand
    return max(0.0, base * (1 + jitter * (2 * rand - 1)))


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of idempotent requests (queries, cancel, list, upload policy).

    Exponential backoff with jitter; a server's ``Retry-After`` wins, up to ``max_retry_after``.
    """

    max_retries: int = 4
    base: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def delay(
        self, attempt: int, retry_after: float | None = None, rand: float | None = None
    ) -> float:
        if retry_after is not None:
            return min(max(0.0, retry_after), self.max_retry_after)
        base = min(self.base * 2**attempt, self.max_delay)
        return jittered(base, self.jitter, rand)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None
