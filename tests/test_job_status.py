"""What the outcome column says, state by state, without a kernel (``job_status.py``)."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest

from wanvace_widgets import lifecycle as s
from wanvace_widgets.errors import APIStatusError, SubmitUnconfirmedError
from wanvace_widgets.quota import QueueStatus
from wanvace_widgets.tasks import TaskSnapshot
from wanvace_widgets.widgets.job_status import Backend, JobView, format_seconds, status_html

SERVICE = Backend(label="DashScope intl", model="wan2.1-vace-plus", emulator=False, price_usd=0.5)
EMULATOR = dataclasses.replace(SERVICE, label="offline emulator", emulator=True)
START = 1_000.0


def snapshot(status: str, **changes) -> TaskSnapshot:
    base = TaskSnapshot(job_id="j1", function="video_edit", status=status, created_at=START - 2)
    return dataclasses.replace(base, **changes)


def text(markup: str) -> str:
    """What a reader sees (tags dropped), the kernel-gone notice left out: it is hidden."""
    visible = re.sub(r"<div class='wanvace-kernel-gone'.*?</div>", "", markup, flags=re.S)
    lines = re.sub(r"</div>|<br>", "\n", visible)
    return html.unescape(re.sub(r"<[^>]+>", "", lines))


def shown(snap: TaskSnapshot, backend: Backend = SERVICE, elapsed: float = 42, **kw) -> str:
    job = JobView(snap, elapsed, kw.pop("expected_end_at", None))
    return status_html(readiness="", job=job, others=(), backend=backend, **kw)


@pytest.mark.parametrize(
    "status, words",
    [
        (s.QUEUED, "Waiting for a free slot"),
        (s.UPLOADING, "Uploading your local files"),
        (s.SUBMITTING, "Sending the request"),
        (s.PENDING, "waiting for the server to start it"),
        (s.RUNNING, "Generating the video"),
        (s.FAILED, "the server could not make the video"),
        (s.CANCELED, "Canceled"),
        (s.UNKNOWN, "Unknown to the server"),
        (s.ERROR, "Not sent"),
        (s.UNCONFIRMED, "Reconcile looks for it"),
    ],
)
def test_every_state_is_said_in_plain_words(status, words):
    finished = s.STATES[status].ended
    said = text(shown(snapshot(status, finished=finished)))
    assert status in said and words in said
    if not finished:  # what the state costs, as the lifecycle says it
        assert f"billing: {s.STATES[status].bill}" in said


def test_elapsed_counts_from_the_real_submit_and_ids_are_shown():
    snap = snapshot(s.RUNNING, submitted_at=START, task_id="t-9", request_id="r-7")
    said = text(shown(snap, elapsed=125))
    assert "2 min 05 s since submit" in said
    assert "task t-9" in said and "request r-7" in said
    before = text(shown(snapshot(s.QUEUED), elapsed=3))
    assert "3 s since Generate" in before


def test_without_history_the_progress_is_indeterminate_and_says_the_backends_usual_time():
    running = snapshot(s.RUNNING, submitted_at=START)
    service, emulator = shown(running), shown(running, EMULATOR)
    assert "data-kind='indeterminate'" in service and "usually 5–10 minutes" in text(service)
    assert "the emulator takes a few seconds" in text(emulator)
    assert "5–10 minutes" not in text(emulator)
    assert "%" not in text(service)  # the API reports no percentage: none is made up


def test_with_history_the_bar_fills_towards_the_usual_end_and_then_says_so():
    running = snapshot(s.RUNNING, submitted_at=START)
    early = shown(running, elapsed=60, expected_end_at=START + 240)
    assert "width:25%" in early and "about 3 min 00 s more" in text(early)
    late = shown(running, elapsed=300, expected_end_at=START + 240)
    assert "width:100%" in late and "taking longer than usual (usually 4 min 00 s)" in text(late)


def test_a_passing_trouble_is_shown_while_following():
    said = text(shown(snapshot(s.RUNNING, submitted_at=START, problem="reconnecting (attempt 3)")))
    assert "reconnecting (attempt 3)" in said


def test_after_stop_watching_it_says_the_job_runs_on_and_how_to_follow_it():
    snap = snapshot(s.RUNNING, submitted_at=START, task_id="t-9", watching=False, problem="x")
    said = text(shown(snap))
    assert "still runs on the server and is billed if it succeeds" in said
    assert "Follow again" in said and "client.attach('t-9')" in said
    assert "progress" not in shown(snap)  # not followed: no bar pretends to move


def test_while_queued_the_shared_queue_is_shown():
    queue = QueueStatus(ahead=2, running=("ann", "<bob>"), waiting=5, spent_today_usd=3.5)
    said = shown(snapshot(s.QUEUED, queue=queue))
    assert "2 ahead of this job" in text(said) and "5 waiting" in text(said)
    assert "team spent today $3.50" in text(said)
    assert "&lt;bob&gt;" in said and "<bob>" not in said  # user names are escaped
    assert "next in line" in text(
        shown(snapshot(s.QUEUED, queue=dataclasses.replace(queue, ahead=0)))
    )


def test_the_price_is_always_shown_and_the_bill_after_the_job():
    idle = status_html(readiness="Not ready: x", job=None, others=(), backend=SERVICE)
    assert "up to $0.50 a job (5 s × $0.10/s), billed only if it succeeds" in text(idle)
    free = status_html(readiness="Ready", job=None, others=(), backend=EMULATOR)
    assert "free on the emulator" in text(free)
    done = snapshot(s.SUCCEEDED, finished=True, billed_usd=0.3, estimated_usd=0.5)
    assert "Billed: $0.30 (estimated up to $0.50)" in text(shown(done))
    failed = snapshot(s.FAILED, finished=True, estimated_usd=0.5)
    assert "Billed: nothing" in text(shown(failed))
    assert "Billed: nothing (emulator)" in text(shown(done, EMULATOR))


def test_the_kernel_gone_notice_is_hidden_and_says_how_to_resume():
    live = shown(snapshot(s.RUNNING, submitted_at=START, task_id="t-9"))
    notice = re.search(r"<div class='wanvace-kernel-gone' style='display:none'>(.*?)</div>", live)
    assert notice and "t-9" in notice[1] and "Re-run this cell" in notice[1]
    assert "goes on on the server" in notice[1]
    idle = status_html(readiness="Ready", job=None, others=(), backend=SERVICE)
    assert "Re-run this cell to use the form again" in idle


def test_server_text_is_escaped():
    error = APIStatusError("<script>x</script>", status_code=400, code="<b>", request_id="r")
    said = shown(snapshot(s.ERROR, finished=True, error=error))
    assert "<script>" not in said and "&lt;script&gt;" in said and "&lt;b&gt;" in said
    unconfirmed = SubmitUnconfirmedError("lost", code="SubmitUnconfirmed")
    said = shown(snapshot(s.UNCONFIRMED, finished=True, error=unconfirmed))
    assert "do not generate again blindly" in said


def test_other_live_jobs_of_the_form_are_listed():
    other = snapshot(s.RUNNING, task_id="t-1")
    said = status_html(readiness="", job=None, others=(other,), backend=SERVICE)
    assert "Also live from this form: t-1 (RUNNING)" in text(said)


def test_seconds_read_as_people_say_them():
    assert [format_seconds(x) for x in (0, 59.9, 60, 3599, 3600)] == [
        "0 s",
        "59 s",
        "1 min 00 s",
        "59 min 59 s",
        "1 h 00 min",
    ]
