"""Learnt durations: kinds of job, the server's time texts, and history that cannot be believed."""

from __future__ import annotations

import math

import pytest

from tests.helpers import HISTORY_HOST as HOST
from tests.helpers import finished, server_text
from wanvace_widgets.jobs.durations import FIVE_TO_TEN_MINUTES, Durations, Spread, kind_of

SOURCE = {"function": "video_outpainting", "video": "https://media.example/source.mp4"}


def test_kinds_follow_what_sets_the_output():
    assert kind_of("image_reference", {"size": "960*960"}) != kind_of(
        "image_reference", {"size": "1280*720"}
    )
    assert kind_of("image_reference", {}) == kind_of("image_reference", {"size": "1280*720"})
    assert kind_of("video_edit", {"size": "720*1280", "video": "a.mp4"}) == kind_of(
        "video_edit", {"size": "720*1280", "video": "b.mp4"}
    )
    # output follows the input: the source and outpainting's scales count, the prompt does not
    wide = {**SOURCE, "left_scale": 1.5, "prompt": "hills"}
    assert kind_of("video_outpainting", wide) == kind_of(
        "video_outpainting", {**wide, "prompt": "sea"}
    )
    assert kind_of("video_outpainting", wide) != kind_of("video_outpainting", SOURCE)
    assert kind_of("video_repainting", {"video": "a.mp4"}) != kind_of(
        "video_repainting", {"video": "b.mp4"}
    )
    assert kind_of(None, "not a request") == ("unknown", "")
    assert kind_of("image_reference", {"size": 960}) == kind_of("image_reference", {})


def test_a_kind_is_estimated_from_its_own_jobs_and_the_latest_count_most():
    durations = Durations(keep=20)
    for i in range(5):
        assert durations.learn(finished(f"old-{i}", running=400 + i))
    spread = durations.running("video_outpainting", SOURCE)
    assert spread.samples == 5 and spread.median == pytest.approx(402, abs=1)
    assert durations.total("video_outpainting", SOURCE).median == pytest.approx(422, abs=1)
    for i in range(20):  # the service got faster: the latest 20 jobs replace the older ones
        durations.learn(finished(f"new-{i}", running=200 + i % 3))
    assert durations.running("video_outpainting", SOURCE).median == pytest.approx(201, abs=1)


def test_the_spread_is_robust_to_an_outlier_and_widens_with_few_jobs():
    durations = Durations()
    durations.learn(finished("one", running=300))
    one = durations.running("video_outpainting", SOURCE)
    assert (
        one.median == pytest.approx(300) and one.sigma > 0.08
    )  # a guess, widened for knowing one job
    for i in range(12):
        durations.learn(finished(f"t-{i}", running=300 * (1 + 0.01 * (i % 5 - 2))))
    durations.learn(finished("stuck", running=3 * 3600 - 100))  # one job stuck for hours
    many = durations.running("video_outpainting", SOURCE)
    assert many.median == pytest.approx(300, rel=0.02)
    assert many.sigma < one.sigma and many.sigma >= 0.02


def test_a_kind_with_no_history_borrows_its_functions_jobs():
    durations = Durations()
    durations.learn(finished("a", running=300, request={**SOURCE, "left_scale": 1.5}))
    durations.learn(finished("b", running=500, request={**SOURCE, "left_scale": 2.0}))
    pooled = durations.running("video_outpainting", SOURCE)
    assert pooled.samples == 2 and 300 < pooled.median < 500
    assert durations.running("image_reference", {"size": "1280*720"}) is None
    assert durations.total("video_edit", {}) is None


def test_history_is_read_once_and_only_for_this_host():
    reads = []

    def journal():
        reads.append(1)
        return [
            finished("here", running=100),
            finished("elsewhere", running=900, host="emulator.local"),
            finished("v01", running=100, host=None),  # imported from v0.1: no host recorded
        ]

    durations = Durations(journal, host=HOST)
    assert reads == []  # nothing read until the plan asks
    spread = durations.running("video_outpainting", SOURCE)
    assert spread.samples == 2 and spread.median == pytest.approx(100)
    durations.total("video_outpainting", SOURCE)
    assert reads == [1]
    assert not durations.learn(finished("here", running=100))  # already learnt


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "FAILED"},
        {"status": "RUNNING"},
        {"task_id": None},
        {"end_time": None},
        {"submit_time": "not a time"},
        {"submit_time": 1764064800},
        {"end_time": server_text(-5)},
        {"end_time": server_text(4 * 3600)},
        {"host": "another.host"},
    ],
    ids=lambda changes: ", ".join(f"{k}={v!r}" for k, v in changes.items()),
)
def test_history_that_cannot_be_believed_teaches_nothing(changes):
    durations = Durations(host=HOST)
    assert not durations.learn(finished("bad", running=60, **changes))
    assert durations.total("video_outpainting", SOURCE) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"scheduled_time": None},
        {"scheduled_time": "garbage"},
        {"scheduled_time": server_text(1000)},  # after the end
    ],
)
def test_a_job_with_an_unreadable_start_still_teaches_its_total(changes):
    durations = Durations()
    assert durations.learn(finished("t", running=60, queued=20, **changes))
    assert durations.total("video_outpainting", SOURCE).median == pytest.approx(80)
    assert durations.running("video_outpainting", SOURCE) is None


def test_odd_requests_and_functions_are_kinds_of_their_own():
    durations = Durations()
    assert durations.learn(finished("x", running=60, function="unknown", request="not a dict"))
    assert durations.running(None, ["odd"]).median == pytest.approx(60)
    assert durations.running("video_outpainting", SOURCE) is None


def test_the_prior_is_the_references_five_to_ten_minutes():
    assert FIVE_TO_TEN_MINUTES.quantile(-1.96) == pytest.approx(300)
    assert FIVE_TO_TEN_MINUTES.quantile(1.96) == pytest.approx(600)
    assert FIVE_TO_TEN_MINUTES.samples == 0
    assert Spread(100, 0.1).scaled(0.5).median == 50
    assert math.isclose(Spread(100, 0.1).scaled(0.5).sigma, 0.1)
