"""What the outcome column says, state by state, without a kernel (``job_status.py``)."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest

import wanvace_widgets as wv
from wanvace_widgets.errors import APIStatusError, SubmitNotCreatedError, SubmitUnconfirmedError
from wanvace_widgets.jobs import lifecycle as s
from wanvace_widgets.jobs.tasks import TaskSnapshot
from wanvace_widgets.quota import QueueStatus
from wanvace_widgets.widgets.following import action_for
from wanvace_widgets.widgets.job_status import Backend, JobView, format_seconds, status_html
from wanvace_widgets.widgets.prices import job_charge, model_price

SERVICE = Backend(
    label="DashScope intl",
    model="wan2.1-vace-plus",
    emulator=False,
    price=model_price(wv.VideoEdit, "intl"),
)
EDIT27 = Backend(
    label="DashScope intl",
    model="wan2.7-videoedit",
    emulator=False,
    price=model_price(wv.InstructionEdit, "intl"),
)
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
        (s.ERROR, "Not created"),
        (s.UNCONFIRMED, "looking for it on the server's task list by itself"),
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
    assert (
        "$0.10/s for each second of output: up to $0.50 a job (5 s), billed only if it succeeds"
        in text(idle)
    )
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
    unconfirmed = SubmitUnconfirmedError("lost <b>", code="SubmitUnconfirmed")
    said = shown(snapshot(s.UNCONFIRMED, error=unconfirmed))
    assert "do not generate again" in said and "lost &lt;b&gt;" in said


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


# -- the price line, per model ----------------------------------------------------------------


def test_each_model_says_its_own_price():
    """VACE bills up to 5 s of output; Wan 2.7 the source's seconds used plus the result's,
    by resolution (contract §17.7): each line is true for its model."""
    vace = text(status_html(readiness="", job=None, others=(), backend=SERVICE))
    assert "5 s" in vace and "1080P" not in vace and "source" not in vace
    edit = text(status_html(readiness="", job=None, others=(), backend=EDIT27))
    assert (
        "Price: $0.10/s at 720P, $0.15/s at 1080P, for each second of the source used and of "
        "the result: up to $3.00 a job (20 s at 1080P), billed only if it succeeds" in edit
    )
    assert "model wan2.7-videoedit" in edit and "5 s" not in edit
    beijing = text(
        status_html(
            readiness="",
            job=None,
            others=(),
            backend=dataclasses.replace(EDIT27, price=model_price(wv.InstructionEdit, "cn")),
        )
    )
    assert "$0.086/s at 720P, $0.1434/s at 1080P" in beijing and "$2.87 a job" in beijing
    # a custom host (the emulator, a gateway) is priced as Singapore; VACE in Beijing
    assert model_price(wv.InstructionEdit, "custom") == model_price(wv.InstructionEdit, "intl")
    assert model_price(wv.VideoEdit, "cn").worst.usd == pytest.approx(0.5017)


def test_a_valid_form_says_what_its_own_job_may_cost_when_that_is_less():
    short = wv.InstructionEdit(video="https://x.example/v.mp4", resolution="720P", duration=3)
    charge = job_charge(short, "intl")
    said = text(status_html(readiness="Ready", job=None, others=(), backend=EDIT27, charge=charge))
    assert "up to $3.00 a job (20 s at 1080P); this one up to $0.60 (6 s at 720P);" in said
    local = job_charge(wv.InstructionEdit(video="clip.mp4"), "intl", source_seconds=4.0)
    assert local is not None and (local.tier, local.seconds, local.usd) == ("1080P", 8.0, 1.2)
    vace = job_charge(wv.VideoOutpainting(prompt="x", video="v.mp4"), "intl")
    said = text(status_html(readiness="Ready", job=None, others=(), backend=SERVICE, charge=vace))
    assert "this one" not in said  # a VACE job may always cost the most
    free = dataclasses.replace(EDIT27, emulator=True)
    said = text(status_html(readiness="Ready", job=None, others=(), backend=free, charge=charge))
    assert "free on the emulator (the service: $0.10/s at 720P" in said


# -- a submit whose answer was lost -------------------------------------------------------------


def test_a_lost_submit_says_the_client_searches_for_it_and_offers_no_button_meanwhile():
    searching = snapshot(s.UNCONFIRMED, error=SubmitUnconfirmedError("no answer", code="X"))
    said = text(shown(searching))
    assert "looking for it on the server's task list by itself (about 3 minutes" in said
    assert "follows the job it finds or says that none was created" in said
    assert "task.reconcile() looks again at once" in said  # the error's hint
    assert action_for(searching) == ""  # nothing for the user to do yet
    stopped = dataclasses.replace(searching, finished=True, problem="the list could not be read")
    said = text(shown(stopped))
    assert "the search of the server's task list stopped" in said and "Look again" in said
    assert action_for(stopped) == "reconcile"


def test_an_ambiguous_search_names_the_candidates_and_how_to_adopt_one():
    error = SubmitUnconfirmedError("2 tasks could be it", code="ReconcileAmbiguous")
    snap = snapshot(
        s.UNCONFIRMED, finished=True, error=error, candidates=("t-1", "t-2"), task_id=None
    )
    said = text(shown(snap))
    assert "several tasks on the server could be this job" in said
    assert "Tasks that could be this job: t-1, t-2." in said
    assert "await task.adopt('t-1') follows the one that is yours" in said
    assert "check task.candidates in the Model Studio console" in said  # the error's hint
    assert action_for(snap) == "reconcile"


def test_a_lost_submit_found_not_created_says_nothing_was_billed():
    error = SubmitNotCreatedError(
        "the server's task list has no task for this submit: it was not created, and nothing "
        "was billed; submit it again",
        code="SubmitNotCreated",
    )
    said = text(shown(snapshot(s.ERROR, finished=True, error=error)))
    assert "ERROR · Not created" in said and "nothing was billed; submit it again" in said
    assert "Billed: nothing" in said
