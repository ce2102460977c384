"""What the outcome column says: readiness, the job's stage in plain words, elapsed time,
progress, the shared queue, the price and the bill, and a notice for when the kernel dies.

Pure functions from a task's snapshot to escaped HTML, so every wording is testable
without a kernel. It is one HTML value on purpose: a status change is one message to the
browser (``bench/run_benchmarks.py`` counts them).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..errors import APIError, TaskError, VaceError
from ..jobs import lifecycle as s
from ..jobs.tasks import TaskSnapshot
from ..quota import QueueStatus
from .prices import Charge, Price, price_text

__all__ = ["Backend", "JobView", "announcement", "error_html", "format_seconds", "status_html"]

#: each state in plain words: (headline, what is going on); the bill comes from lifecycle
_STAGES = {
    s.QUEUED: ("Waiting for a free slot", "the account runs 2 jobs at a time"),
    s.UPLOADING: ("Uploading your local files", "to the service's temporary storage"),
    s.SUBMITTING: ("Sending the request", "a few seconds"),
    s.PENDING: ("Accepted: waiting for the server to start it", "Cancel still works"),
    s.RUNNING: ("Generating the video", ""),
    s.SUCCEEDED: ("Done", ""),
    s.FAILED: ("Failed: the server could not make the video", ""),
    s.CANCELED: ("Canceled", ""),
    s.UNKNOWN: ("Unknown to the server", "the id is wrong, or older than 24 h"),
    s.ERROR: ("Not created", "nothing was billed"),
    s.UNCONFIRMED: (
        "Unconfirmed: the request may have created a job, but its answer was lost",
        "do not generate again: the client is looking for it on the server's task list by "
        "itself (about 3 minutes after the submit), then follows the job it finds or says "
        "that none was created and nothing billed",
    ),
}
#: an UNCONFIRMED job whose search has stopped: several tasks could be it, or the list
#: could not be read (``snap.problem`` or the error says why)
_UNCONFIRMED_STOPPED = {
    True: "do not generate again: several tasks on the server could be this job, and their "
    "prompts cannot tell which",
    False: "do not generate again: the search of the server's task list stopped; Look again "
    "(await task.reconcile()) searches it again",
}
_BAD = frozenset({s.FAILED, s.ERROR, s.UNCONFIRMED, s.UNKNOWN})
#: how long a job usually takes, when no earlier job of its kind tells
_USUAL = {True: "the emulator takes a few seconds", False: "usually 5–10 minutes"}


@dataclass(frozen=True)
class Backend:
    """Where a form's jobs go: the host, the model and its list ``price`` (the price line)."""

    label: str
    model: str
    emulator: bool
    price: Price


@dataclass(frozen=True)
class JobView:
    """One job as the status shows it: its snapshot, and its elapsed seconds (from the
    real submit time, or from the click while it was not yet submitted)."""

    snapshot: TaskSnapshot
    elapsed_s: float
    expected_end_at: float | None = None


def status_html(
    *,
    readiness: str,
    job: JobView | None,
    others: tuple[TaskSnapshot, ...],
    backend: Backend,
    charge: Charge | None = None,
) -> str:
    """The whole outcome text. ``readiness`` says whether Generate would start a job now
    ("" while a job is live); ``others`` are the form's earlier jobs still live;
    ``charge`` the most the form's job may cost (None: the form is not valid)."""
    lines = []
    if job is not None:
        lines += _job_lines(job, backend)
    if readiness:
        lines.append(f"<div class='wanvace-readiness'>{readiness}</div>")
    if others:
        ids = ", ".join(f"{_code(o.task_id or 'not yet submitted')} ({o.status})" for o in others)
        lines.append(f"<div>Also live from this form: {ids}</div>")
    lines.append(_price_line(backend, charge))
    lines.append(_kernel_gone(job))
    return "".join(lines)


def _job_lines(job: JobView, backend: Backend) -> list[str]:
    snap = job.snapshot
    headline, detail = _STAGES.get(snap.status, (snap.status, ""))
    if snap.status == s.SUCCEEDED and not snap.finished:
        headline = "Done: saving the video…"
    if snap.status == s.UNCONFIRMED and snap.finished:
        detail = _UNCONFIRMED_STOPPED[bool(snap.candidates)]
    tone = "wanvace-bad" if snap.status in _BAD or snap.error else "wanvace-live"
    tone = "wanvace-ok" if snap.status == s.SUCCEEDED and not snap.error else tone
    if snap.finished:
        since = "in all" if snap.submitted_at else ""
    else:
        since = "since submit" if snap.submitted_at else "since Generate"
    head = [
        f"<b class='{tone}'>{html.escape(snap.status)}</b>",
        html.escape(headline),
        f"{format_seconds(job.elapsed_s)} {since}".strip(),
    ]
    lines = [f"<div class='wanvace-stage'>{' · '.join(head)}</div>"]
    ids = []
    if snap.task_id:
        ids.append(f"task {_code(snap.task_id)}")
    if snap.request_id:
        ids.append(f"request {_code(snap.request_id)}")
    if ids:
        lines.append(f"<div class='wanvace-ids'>{' · '.join(ids)}</div>")
    state = s.STATES.get(snap.status)
    about = [html.escape(detail)] if detail else []
    if state is not None and not state.ended:
        about.append(f"billing: {html.escape(state.bill)}")
    if about:
        lines.append(f"<div class='wanvace-about'>{'; '.join(about)}</div>")
    if snap.status == s.UNCONFIRMED and snap.candidates:
        lines.append(_candidates_line(snap.candidates))
    if snap.status == s.QUEUED and snap.queue is not None:
        lines.append(_queue_line(snap.queue))
    if snap.status in s.LIVE_ON_SERVER and snap.watching:
        lines.append(_progress(job, backend.emulator))
    if not snap.watching and not snap.finished:
        lines.append(
            "<div class='wanvace-detached'>Not followed here any more: the job still runs on "
            "the server and is billed if it succeeds. To follow it again: Follow again, "
            f"re-run this cell, or <code>client.attach({_quoted(snap.task_id)})</code>.</div>"
        )
    elif snap.problem:
        lines.append(f"<div class='wanvace-problem'><i>{html.escape(snap.problem)}</i></div>")
    if snap.error is not None:
        lines.append(f"<div>{error_html(snap.error)}</div>")
    if snap.finished:
        lines.append(_bill_line(snap, backend))
    return lines


def announcement(snapshot: TaskSnapshot | None) -> str:
    """What a screen reader says of the job (plain text): its stage, once per change; the
    elapsed time, which ticks, is left out.

    >>> announcement(None)
    ''
    """
    if snapshot is None:
        return ""
    headline, _ = _STAGES.get(snapshot.status, (snapshot.status, ""))
    if snapshot.status == s.SUCCEEDED and snapshot.finished:
        headline += ": the result is ready to play"
    elif snapshot.status == s.SUCCEEDED:
        headline = "Done: saving the video"
    return f"Job {snapshot.status}: {headline}."


def _progress(job: JobView, emulator: bool) -> str:
    """A bar that fills towards the time jobs of this kind usually end (from history),
    or an indeterminate one when there is no history: the API reports no percentage."""
    snap = job.snapshot
    start = snap.submitted_at or snap.created_at
    expected = job.expected_end_at
    if expected is None or expected <= start:
        return (
            "<div class='wanvace-progress' data-kind='indeterminate'>"
            "<div class='wanvace-bar wanvace-bar-moving'></div></div>"
            f"<div class='wanvace-about'>{_USUAL[emulator]}</div>"
        )
    total = expected - start
    fraction = min(job.elapsed_s / total, 1.0)
    if fraction < 1.0:
        note = (
            f"about {format_seconds(total - job.elapsed_s)} more, as your earlier jobs of "
            "this kind took"
        )
    else:
        note = f"taking longer than usual (usually {format_seconds(total)})"
    return (
        "<div class='wanvace-progress' data-kind='expected'>"
        f"<div class='wanvace-bar' style='width:{fraction * 100:.0f}%'></div></div>"
        f"<div class='wanvace-about'>{note}</div>"
    )


def _candidates_line(candidates: tuple[str, ...]) -> str:
    """The tasks a lost submit could be, and how to follow the one that is it."""
    ids = ", ".join(_code(task_id) for task_id in candidates)
    return (
        f"<div class='wanvace-candidates'>Tasks that could be this job: {ids}. The Model "
        "Studio console shows each one's prompt and inputs; "
        f"<code>await task.adopt({_quoted(candidates[0])})</code> follows the one that is "
        "yours (never one another job holds).</div>"
    )


def _queue_line(queue: QueueStatus) -> str:
    parts = []
    if queue.ahead is not None:
        parts.append("next in line" if queue.ahead == 0 else f"{queue.ahead} ahead of this job")
    running = ", ".join(queue.running) or "nobody"
    parts.append(f"running: {html.escape(running)}")
    parts.append(f"{queue.waiting} waiting")
    parts.append(f"team spent today ${queue.spent_today_usd:.2f}")
    return f"<div class='wanvace-queue'>Shared queue: {' · '.join(parts)}</div>"


def _price_line(backend: Backend, charge: Charge | None) -> str:
    price = price_text(backend.price, charge)
    if backend.emulator:
        price = f"free on the emulator (the service: {price})"
    return (
        f"<div class='wanvace-price'>Price: {html.escape(price)}</div>"
        f"<div class='wanvace-backend'>{html.escape(backend.label)} · model "
        f"{_code(backend.model)}</div>"
    )


def _bill_line(snap: TaskSnapshot, backend: Backend) -> str:
    if snap.status != s.SUCCEEDED or not snap.billed_usd:
        billed = "nothing"
    else:
        billed = f"${snap.billed_usd:.2f}"
        if snap.estimated_usd:
            billed += f" (estimated up to ${snap.estimated_usd:.2f})"
    if backend.emulator:
        billed = "nothing (emulator)"
    return f"<div class='wanvace-bill'><b>Billed: {billed}</b></div>"


def _kernel_gone(job: JobView | None) -> str:
    """Hidden by vace_widget.css until the page loses the kernel (ipywidgets then marks
    every view ``jupyter-widgets-disconnected``): the last state the kernel could send."""
    if job is not None and not job.snapshot.finished and job.snapshot.status != s.UNCONFIRMED:
        what = (
            f"The job (task {_code(job.snapshot.task_id or 'not yet submitted')}) goes on on "
            "the server and is billed if it succeeds. Re-run this cell: the form picks the job "
            "up again from the journal, with its real elapsed time."
        )
    else:
        what = "Re-run this cell to use the form again."
    return (
        "<div class='wanvace-kernel-gone' style='display:none'><b>The kernel behind this view "
        f"stopped or restarted, so this view no longer updates.</b> {what}</div>"
    )


def error_html(error: VaceError) -> str:
    """Code, message, request id and hint of an error, escaped."""
    if isinstance(error, (APIError, TaskError)):
        code = getattr(error, "code", None)
        message = getattr(error, "message", None) or str(error)
        parts = [f"<b>{html.escape(code)}</b>" if code else "", html.escape(message)]
        request_id = getattr(error, "request_id", None)
        if request_id:
            parts.append(f"(request_id {_code(request_id)})")
        hint = error.hint() if isinstance(error, APIError) else ""
        if hint:
            parts.append(f"<br><i>{html.escape(hint)}</i>")
        text = " ".join(p for p in parts if p)
    else:
        text = html.escape(str(error))
    return f"<span class='wanvace-error'>{text}</span>"


def format_seconds(seconds: float) -> str:
    """12 s, 4 min 05 s, 1 h 02 min: elapsed and remaining times as people read them.

    >>> format_seconds(12.4), format_seconds(245), format_seconds(3725)
    ('12 s', '4 min 05 s', '1 h 02 min')
    """
    whole = int(max(0.0, seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"


def _quoted(task_id: str | None) -> str:
    return html.escape(repr(task_id or "task-id"))
