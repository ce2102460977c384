"""Acceptance: the official dashscope SDK works against the emulator over loopback,
including its own upload of a local file and its own wait loop."""

from __future__ import annotations

import httpx
import pytest

from wanvace_widgets import contract as c
from wanvace_widgets import media as media_io
from wanvace_widgets.emulator import EmulatorConfig, EmulatorServer

dashscope = pytest.importorskip("dashscope")


@pytest.fixture
def server():
    with EmulatorServer(EmulatorConfig(pending_s=0.2, running_s=0.5)) as srv:
        yield srv


def test_official_sdk_submits_uploads_waits_and_downloads(server, media, monkeypatch, tmp_path):
    from dashscope import VideoSynthesis

    monkeypatch.setattr(dashscope, "base_http_api_url", server.base_url + "/api/v1")
    response = VideoSynthesis.async_call(
        api_key="sdk-key",
        model="wan2.1-vace-plus",
        prompt="The figure keeps walking across the hills.",
        first_frame_url=str(media["first_frame"]),  # a local file: the SDK uploads it
        extra_input={"function": "video_extension"},
        seed=7,
    )
    assert response.status_code == 200, response
    task = server.emulator.tasks.tasks[response.output.task_id]
    assert task.body["input"]["first_frame_url"].startswith("oss://dashscope-instant/")
    assert server.emulator.stats["policy"] == 1 and server.emulator.stats["upload"] == 1

    result = VideoSynthesis.wait(response, api_key="sdk-key")
    assert result.output.task_status == "SUCCEEDED", result
    assert result.usage.video_duration == 5
    video = httpx.get(result.output.video_url).content
    info = media_io.probe(video)
    assert (info.codec, info.fps) == ("h264", c.OUTPUT_FPS)
    assert (info.width, info.height) == (640, 360)  # the input frame's size, within 720P
    assert info.duration_s == pytest.approx(5.0, abs=0.1)
