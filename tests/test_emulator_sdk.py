"""Acceptance: the official dashscope SDK works against the emulator over loopback,
including its own upload of a local file and its own wait loop."""

from __future__ import annotations

import httpx
import pytest

from wanvace_widgets.contract import constants as c
from wanvace_widgets.emulator import EmulatorConfig, EmulatorServer
from wanvace_widgets.media import codec as media_io

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


def test_official_sdk_edits_with_wan27_as_the_guide_does(server, media, monkeypatch):
    """The guide's call (``VideoSynthesis.call`` with ``media``), with a local source the
    SDK uploads itself (it scans ``media[].url``), and every documented parameter."""
    from dashscope import VideoSynthesis

    monkeypatch.setattr(dashscope, "base_http_api_url", server.base_url + "/api/v1")
    media_list = [
        {"type": "video", "url": "file://" + str(media["source_sound"])},
        {"type": "reference_image", "url": server.base_url + "/samples/subject.png"},
    ]
    result = VideoSynthesis.call(
        api_key="sdk-key",
        model="wan2.7-videoedit",
        prompt="Turn the scene into a pencil sketch and dress the walker as in the picture",
        negative_prompt="blurry",
        media=media_list,
        resolution="720P",
        ratio="4:3",
        duration=0,
        audio_setting="origin",
        prompt_extend=False,
        watermark=True,
        seed=11,
    )
    assert result.status_code == 200, result
    assert result.output.task_status == "SUCCEEDED", result
    task = server.emulator.tasks.tasks[result.output.task_id]
    sent = task.body["input"]["media"]
    assert [m["type"] for m in sent] == ["video", "reference_image"]
    assert sent[0]["url"].startswith("oss://dashscope-instant/")  # uploaded by the SDK
    assert task.body["input"]["negative_prompt"] == "blurry"
    assert task.body["parameters"] == {
        "resolution": "720P",
        "ratio": "4:3",
        "duration": 0,
        "audio_setting": "origin",
        "prompt_extend": False,
        "watermark": True,
        "seed": 11,
    }
    assert result.usage.SR == 720 and result.usage.duration == pytest.approx(6.0)
    video = httpx.get(result.output.video_url).content
    info = media_io.probe(video)
    assert (info.width, info.height) == (1104, 832) and info.audio  # 4:3 at 720P, sound kept
    assert info.duration_s == pytest.approx(3.0, abs=0.05)  # duration 0: the source's length
