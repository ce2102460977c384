"""JobEntry: the one parser of journal entries. Whatever a journal holds, a reader gets a
typed entry with the sound fields kept, or no entry at all."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from wanvace_widgets.jobs.job_entry import ErrorRecord, JobEntry
from wanvace_widgets.jobs.owners import Owner, this_process

BASE = {"job_id": "j", "function": "video_edit", "status": "RUNNING", "created_at": 1.7e9}


def test_a_full_entry_survives_the_round_trip():
    entry = JobEntry(
        job_id="j",
        function="video_edit",
        status="SUCCEEDED",
        created_at=1.7e9,
        task_id="t-1",
        usage={"video_duration": 5, "video_ratio": "standard"},
        request={"prompt": "夕阳下的山丘 \ud800"},
        error=ErrorRecord("DownloadError", "DownloadFailed", "cut short"),
        local_path=Path("/r/t-1.mp4"),
        owner=this_process(),
        candidates=("a", "b"),
        finished=True,
    )
    assert JobEntry.parse(entry.to_json()) == entry


@pytest.mark.parametrize(
    "value",
    [
        None,
        "{not json",
        "[1, 2]",
        {**BASE, "job_id": 5},
        {**BASE, "job_id": ""},
        {**BASE, "job_id": "x" * 129},
        {**BASE, "function": None},
        {**BASE, "status": ["RUNNING"]},
        {**BASE, "task_id": "../../etc/passwd"},
        {**BASE, "task_id": 42},
        {**BASE, "task_id": "a\x00b"},
    ],
)
def test_what_is_no_job_is_none(value):
    assert JobEntry.parse(value if not isinstance(value, dict) else json.dumps(value)) is None


@pytest.mark.parametrize(
    "field, value",
    [
        ("created_at", float("nan")),
        ("created_at", "soon"),
        ("submitted_at", True),
        ("submitted_at", 1e300),
        ("estimated_usd", -3),
        ("billed_usd", "0.50"),
        ("local_path", 12),
        ("local_path", "a\x00b"),
        ("request", "a string"),
        ("usage", [1, 2]),
        ("error", "plain text"),
        ("owner", {"machine": "m", "pid": "12"}),
        ("owner", {"machine": "m", "pid": True}),
        ("candidates", "t-1"),
        ("finished", "yes"),
        ("video_url", "x" * 10_000),
    ],
)
def test_a_field_of_the_wrong_type_is_dropped_and_the_job_kept(field, value):
    entry = JobEntry.parse({**BASE, field: value})
    assert entry is not None and entry.job_id == "j"
    kept = getattr(entry, field)
    assert kept in (None, (), False, 0.0)


def test_numbers_that_json_cannot_hold_are_stored_as_null():
    entry = JobEntry.parse(BASE).replace(created_at=math.nan, billed_usd=math.inf)
    text = entry.to_json()
    assert "NaN" not in text and "Infinity" not in text
    assert JobEntry.parse(text).billed_usd is None


def test_what_a_restart_must_recover():
    parse = lambda **f: JobEntry.parse({**BASE, **f})  # noqa: E731
    assert parse(status="QUEUED").never_sent and parse(status="UPLOADING").never_sent
    assert parse(status="SUBMITTING").maybe_sent
    assert parse(status="UNCONFIRMED").maybe_sent
    assert parse(status="RUNNING", task_id="t").followable
    assert not parse(status="FAILED", task_id="t").without_ending
    assert not parse(status="ERROR").without_ending


def test_an_owner_that_is_gone_is_told_apart_from_one_that_lives():
    me = this_process()
    assert me.alive() is True
    gone = Owner(me.machine, 2**22 + 12345, "")  # above the usual pid range
    assert gone.alive() is False
    reused = Owner(me.machine, me.pid, "another-boot:1")  # this pid, another process
    assert reused.alive() is False or not me.started
    assert Owner("another-machine", me.pid, "").alive() is None
