"""The servers' times, read and written in one place, always in the servers' zone.

DashScope writes ``submit_time``, ``scheduled_time`` and ``end_time`` as
``YYYY-MM-DD HH:mm:ss.SSS`` with no zone, and reads the task list's ``start_time`` and
``end_time`` as ``YYYYMMDDhhmmss``; both are UTC+8 (``docs/api-contract.md`` §11.2). A
machine's own zone never takes part: a laptop in Berlin and a server in Singapore must
agree on the same instant.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

from . import constants as c

__all__ = [
    "LONGEST_TASK_S",
    "SERVER_ZONE",
    "list_time",
    "parse_list_time",
    "parse_server_time",
    "seconds_between",
    "server_day",
    "server_time_text",
]

SERVER_ZONE = timezone(timedelta(hours=c.SERVER_UTC_OFFSET_HOURS), "UTC+08:00")
#: a job that has not ended three hours after its submit fails (reference §7.1): no
#: difference of server times longer than this is believed
LONGEST_TASK_S = 3 * 3600.0
_LIST_FORMAT = "%Y%m%d%H%M%S"
#: the longest text that can be a server time (a longer one is not parsed at all)
_MAX_TEXT = 40
_FORMATS = (c.TIME_FORMAT, "%Y-%m-%d %H:%M:%S")


def parse_server_time(text: Any) -> float | None:
    """Seconds since the epoch of a server time text, or None when it is not one."""
    if not isinstance(text, str) or len(text) > _MAX_TEXT:
        return None
    for layout in _FORMATS:
        try:
            moment = datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
        return moment.replace(tzinfo=SERVER_ZONE).timestamp()
    return None


def seconds_between(start: Any, end: Any, longest: float = LONGEST_TASK_S) -> float | None:
    """Seconds from one server time text to another, or None when either is not one or the
    difference is absurd (negative, or longer than ``longest``)."""
    first, last = parse_server_time(start), parse_server_time(end)
    if first is None or last is None:
        return None
    seconds = last - first
    return seconds if 0.0 <= seconds <= longest else None


def server_time_text(epoch: float) -> str:
    """``epoch`` as the server writes it (milliseconds, UTC+8)."""
    moment = datetime.fromtimestamp(epoch, SERVER_ZONE)
    return moment.strftime(c.TIME_FORMAT)[:-3]


def list_time(epoch: float) -> str:
    """``epoch`` as the task list's ``start_time``/``end_time`` (whole seconds, UTC+8).

    A time that is not a finite number is refused: a window from NaN would ask the server
    for nothing and read as "no such task".
    """
    if not isinstance(epoch, (int, float)) or not math.isfinite(epoch):
        raise ValueError(f"not a time: {epoch!r}")
    return datetime.fromtimestamp(epoch, SERVER_ZONE).strftime(_LIST_FORMAT)


def parse_list_time(text: Any) -> float | None:
    """Seconds since the epoch of a task list's ``start_time``/``end_time`` text
    (``YYYYMMDDhhmmss``, UTC+8), or None when it is not one."""
    if not isinstance(text, str) or len(text) != 14 or not text.isdigit():
        return None
    try:
        moment = datetime.strptime(text, _LIST_FORMAT)
    except ValueError:
        return None
    return moment.replace(tzinfo=SERVER_ZONE).timestamp()


def server_day(epoch: float) -> str:
    """The server's date at ``epoch`` (``YYYY-MM-DD``, UTC+8): its day, not this machine's."""
    return datetime.fromtimestamp(epoch, SERVER_ZONE).strftime("%Y-%m-%d")
