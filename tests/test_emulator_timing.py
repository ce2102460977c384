"""The emulator's realistic running times: by function and output size, with a seeded spread,
and the store running each task for the time its body was given."""

from __future__ import annotations

import math
import statistics

import pytest

from wanvace_widgets.clock import ManualClock
from wanvace_widgets.contract import constants as c
from wanvace_widgets.emulator import EmulatorConfig
from wanvace_widgets.emulator.store import TaskStore
from wanvace_widgets.emulator.timing import realistic_running_time, typical_running_s


def body(function: str, **parameters) -> dict:
    return {"model": "wan2.1-vace-plus", "input": {"function": function}, "parameters": parameters}


def test_the_typical_time_follows_the_function_and_the_output_size():
    assert typical_running_s(body("video_edit")) > typical_running_s(body("video_extension"))
    full = typical_running_s(body("image_reference", size="1280*720"))
    assert typical_running_s(body("image_reference")) == full
    assert typical_running_s(body("image_reference", size="832*1088")) < full
    plain = typical_running_s(body("video_outpainting"))
    wider = typical_running_s(body("video_outpainting", left_scale=1.5))
    widest = typical_running_s(body("video_outpainting", left_scale=2.0, right_scale=2.0))
    assert plain < wider < widest
    assert typical_running_s(
        body("video_outpainting", **{name: 2.0 for name in c.SCALE_FIELDS})
    ) == pytest.approx(widest * (1 + 0.25 * 3) / (1 + 0.25 * 2))  # capped at 4× the frame


def test_every_realistic_job_takes_five_to_ten_minutes_with_its_queue():
    bodies = [body(f) for f in c.FUNCTIONS]
    bodies += [body(f, size=size) for f in ("image_reference", "video_edit") for size in c.SIZES]
    bodies += [body("video_outpainting", **{name: 2.0 for name in c.SCALE_FIELDS})]
    for job in bodies:
        assert 300 <= 20 + typical_running_s(job) <= 600, job


def test_the_spread_is_seeded_log_normal_and_scaled():
    job = body("video_repainting")
    draws = [realistic_running_time(seed=3)(job) for _ in range(3)]
    assert draws == [draws[0]] * 3  # the same seed gives the same first draw
    timing = realistic_running_time(seed=3, spread=0.05)
    logs = [math.log(timing(job) / typical_running_s(job)) for _ in range(4000)]
    assert abs(statistics.mean(logs)) < 0.005
    assert statistics.stdev(logs) == pytest.approx(0.05, rel=0.1)
    assert realistic_running_time(seed=3, scale=0.125)(job) == pytest.approx(draws[0] * 0.125)


async def test_the_store_runs_each_task_for_the_time_its_body_was_given():
    clock = ManualClock()
    config = EmulatorConfig(clock=clock, pending_s=1.0, running_time=lambda b: len(b["tag"]))

    async def render(task):
        return b"video", 3.0

    store = TaskStore(config, render)
    short = store.submit("key", {**body("video_extension"), "tag": "ab"})
    long = store.submit("key", {**body("video_extension"), "tag": "abcdefg"})
    assert (short.running_s, long.running_s) == (2, 7)
    clock.advance(1.0)
    store.advance()
    await store.wait_idle()
    clock.advance(2.0)
    store.advance()
    assert short.status == c.SUCCEEDED and long.status == c.RUNNING
    assert short.ended_at == pytest.approx(short.submitted_at + 3.0)
    clock.advance(5.0)
    store.advance()
    assert long.status == c.SUCCEEDED and long.ended_at == pytest.approx(long.submitted_at + 8.0)
    assert EmulatorConfig().running_time is None  # by default every task runs running_s
