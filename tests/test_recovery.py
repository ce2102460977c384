"""Finding a lost submit on the server's task list: the window, the verdicts, and prompts
that tell simultaneous submits apart (``recovery.py``), as pure functions."""

from __future__ import annotations

import pytest

from wanvace_widgets.jobs.deadlines import Deadlines
from wanvace_widgets.jobs.recovery import (
    AMBIGUOUS,
    FOUND,
    NOT_CREATED,
    WAIT,
    ListedTask,
    OtherSubmit,
    SubmitWindow,
    decide,
    listed_task,
    match_by_prompt,
)

DEADLINES = Deadlines(submit=60, clock_skew=120, list_settle=15)
SENT = 1_750_000_000.0
WINDOW = SubmitWindow.around(SENT, DEADLINES)
LATER = WINDOW.settled_at


def task(task_id: str, after: float) -> ListedTask:
    return ListedTask(task_id, SENT + after, "RUNNING")


def test_the_window_is_widened_by_the_clock_margin_on_both_sides():
    assert (WINDOW.start, WINDOW.end) == (SENT - 120, SENT + 60 + 120)
    assert WINDOW.settled_at == WINDOW.end + 15
    assert WINDOW.holds(SENT - 119) and WINDOW.holds(SENT + 179)
    assert not WINDOW.holds(SENT - 121) and not WINDOW.holds(SENT + 181)


def test_nothing_is_decided_before_the_window_has_settled():
    verdict = decide(WINDOW, [task("t", 1)], known=set(), others=[], now=LATER - 0.1)
    assert verdict.kind == WAIT


def test_one_unclaimed_task_in_the_window_is_found():
    listed = [task("t-before", -500), task("t", 0.4), task("t-after", 900)]
    verdict = decide(WINDOW, listed, known=set(), others=[], now=LATER)
    assert (verdict.kind, verdict.task.task_id) == (FOUND, "t")


def test_none_in_the_window_means_not_created():
    verdict = decide(WINDOW, [task("t-old", -3600)], known=set(), others=[], now=LATER)
    assert verdict.kind == NOT_CREATED


def test_tasks_this_journal_or_another_user_holds_are_never_candidates():
    listed = [task("mine-already", 1), task("bobs", 2)]
    bob = OtherSubmit("job-b", SubmitWindow.around(SENT + 2, DEADLINES), "bobs")
    verdict = decide(WINDOW, listed, known={"mine-already"}, others=[bob], now=LATER)
    assert verdict.kind == NOT_CREATED


def test_another_unsettled_submit_that_could_have_made_it_is_shown_not_guessed():
    bob = OtherSubmit("job-b", SubmitWindow.around(SENT + 3, DEADLINES))
    verdict = decide(WINDOW, [task("t", 1)], known=set(), others=[bob], now=LATER)
    assert (verdict.kind, verdict.candidates) == (AMBIGUOUS, ("t",))
    # a submit of an hour ago could not have made it
    old = OtherSubmit("job-o", SubmitWindow.around(SENT - 3600, DEADLINES))
    assert decide(WINDOW, [task("t", 1)], known=set(), others=[old], now=LATER).kind == FOUND


def test_two_candidates_are_ambiguous():
    verdict = decide(WINDOW, [task("a", 1), task("b", 2)], known=set(), others=[], now=LATER)
    assert (verdict.kind, verdict.candidates) == (AMBIGUOUS, ("a", "b"))


@pytest.mark.parametrize(
    "row",
    [
        None,
        [],
        {"task_id": "../x", "gmt_create": 1},
        {"task_id": "t"},
        {"task_id": "t", "gmt_create": "1750000000000"},
        {"task_id": "t", "gmt_create": True},
        {"task_id": "t", "gmt_create": float("nan")},
        {"task_id": "t", "gmt_create": -5},
        {"task_id": "t", "gmt_create": 1e300},
    ],
)
def test_a_list_row_without_a_usable_id_or_time_is_never_a_candidate(row):
    assert listed_task(row) is None


def test_a_list_row_in_milliseconds_becomes_seconds():
    row = {"task_id": "t", "gmt_create": 1_750_000_000_250, "status": "CANCELLED"}
    assert listed_task(row) == ListedTask("t", 1_750_000_000.25, "CANCELED")


def test_prompts_tell_candidates_apart_only_when_every_other_one_differs():
    assert match_by_prompt("hills", {"a": "hills", "b": "sea"}) == "a"
    assert match_by_prompt("hills", {"a": "hills", "b": "hills"}) is None  # the same prompt
    assert match_by_prompt("hills", {"a": "hills", "b": None}) is None  # b failed: unknown
    assert match_by_prompt("hills", {"a": "hills", "b": False}) is None  # b still runs
    assert match_by_prompt("hills", {"a": "sea", "b": "dunes"}) is None  # none is ours
    assert match_by_prompt(None, {"a": "hills"}) is None
