"""What the history's page shows of each job: one small JSON row, and the day's totals.

Pure functions of a :class:`JobRecord` and the time, so they are tested without a widget.
Rows hold text only (the page writes it with ``textContent``, never as HTML): a prompt of
a page, a status a server made up or a path with markup in it cannot inject anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from ..jobs import lifecycle as s
from .job_records import JobRecord, function_title
from .player import display_path

__all__ = ["PROMPT_EXCERPT", "job_row", "totals_text"]

PROMPT_EXCERPT = 140
_TONES = {
    s.SUCCEEDED: "ok",
    s.FAILED: "bad",
    s.ERROR: "bad",
    s.UNKNOWN: "bad",
    s.UNCONFIRMED: "bad",
    s.CANCELED: "off",
}


def job_row(record: JobRecord, number: int, now: float, actions: Sequence[str]) -> dict[str, Any]:
    """The page's row of one job; ``actions`` are the buttons it offers."""
    prompt = record.prompt
    if len(prompt) > PROMPT_EXCERPT:
        prompt = prompt[: PROMPT_EXCERPT - 1] + "…"
    elapsed = record.elapsed_s(now)
    return {
        "id": record.job_id,
        "n": number,
        "function": record.function,
        "title": function_title(record.function),
        "status": record.status,
        "tone": "live" if record.live else _TONES.get(record.status, "off"),
        "note": _note(record, now),
        "prompt": prompt,
        "when": _when(record.created_at, now),
        "elapsed": None if elapsed is None else round(elapsed, 1),
        # the page counts the seconds of a job followed here; the kernel sends nothing
        "ticking": record.live and record.watching,
        "cost": _cost(record),
        "path": display_path(record.local_path) if record.local_path else "",
        "task": record.task_id or "",
        "actions": list(actions),
    }


def totals_text(records: Sequence[JobRecord], now: float) -> str:
    """Jobs in all, and today's jobs and money: billed, and at most to come from live jobs."""
    today = _day(now)
    todays = [r for r in records if r.created_at is not None and _day(r.created_at) == today]
    billed = sum(r.billed_usd or 0.0 for r in todays)
    live = [r for r in todays if r.live]
    text = f"{_count(len(records))} · today: {len(todays)}, ${billed:.2f} billed"
    if live:
        coming = sum(r.estimated_usd or 0.0 for r in live)
        text += f", up to ${coming:.2f} more for {len(live)} live"
    return text


def _count(jobs: int) -> str:
    return "1 job" if jobs == 1 else f"{jobs} jobs"


def _note(record: JobRecord, now: float) -> str:
    if record.status == s.UNCONFIRMED:
        return _lost_submit_note(record)
    if record.error:
        return record.error
    if record.status == s.SUCCEEDED and record.local_path and not record.has_video_file():
        return "the saved video is gone (moved or deleted)"
    if record.status == s.SUCCEEDED and not record.finished and record.watching:
        return "downloading the result…"
    if record.live and not record.watching:
        if record.resumable(now):
            return "not followed here: Resume follows it again"
        return "not followed, and older than the server keeps tasks (24 h)"
    return ""


def _lost_submit_note(record: JobRecord) -> str:
    """An UNCONFIRMED job: what the client does about it, or what is left to the user."""
    if record.candidates:
        return (
            f"the submit's answer was lost, and {len(record.candidates)} tasks could be it: "
            f"{', '.join(record.candidates)}; check them in the Model Studio console, then "
            "await task.adopt(task_id) follows yours"
        )
    if record.finished:
        stopped = f" ({record.error})" if record.error else ""
        return (
            f"the submit's answer was lost and the search of the task list stopped{stopped}; "
            "await task.reconcile() searches again"
        )
    return (
        "the submit's answer was lost: the client is searching the server's task list for "
        "it (about 3 minutes after the submit)"
    )


def _cost(record: JobRecord) -> str:
    if record.billed_usd is not None:
        return f"${record.billed_usd:.2f} billed"
    if record.estimated_usd is not None:
        return f"≤ ${record.estimated_usd:.2f} est."
    return ""


def _when(created_at: float | None, now: float) -> str:
    """14:03 today, "Mar 3 14:03" this year, "2024-03-03" before."""
    if created_at is None:
        return ""
    try:
        moment, today = datetime.fromtimestamp(created_at), datetime.fromtimestamp(now)
    except (OverflowError, OSError, ValueError):
        return ""
    if moment.date() == today.date():
        return moment.strftime("%H:%M")
    if moment.year == today.year:
        return moment.strftime("%b %d %H:%M")
    return moment.strftime("%Y-%m-%d")


def _day(epoch: float) -> date | None:
    try:
        return date.fromtimestamp(epoch) if math.isfinite(epoch) else None
    except (OverflowError, OSError, ValueError):
        return None
