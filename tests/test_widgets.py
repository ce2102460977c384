"""The widgets without a kernel: forms, validation, Generate, status, player, errors,
cancel, and what ends up in widget state (the studio: tests/test_studio.py)."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import ipywidgets as W
import pytest

import wanvace_widgets as wv
from tests.helpers import finished, make_client
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.journal import Journal
from wanvace_widgets.widgets.player import EMBED_LIMIT, display_path

SECRET = "sk-widget-secret-9876543210"


@pytest.fixture
def requests_by_function(media):
    return {
        "image_reference": wv.ImageReference(
            prompt="a walk",
            ref_images=[media["subject"], media["background"]],
            obj_or_bg=["obj", "bg"],
        ),
        "video_repainting": wv.VideoRepainting(
            prompt="paint", video=media["source"], control_condition="scribble"
        ),
        "video_edit": wv.VideoEdit(
            prompt="knight", video=media["source"], mask_image=media["mask"]
        ),
        "video_extension": wv.VideoExtension(
            prompt="go on", first_clip=media["first_clip"], last_frame=media["last_frame"]
        ),
        "video_outpainting": wv.VideoOutpainting(
            prompt="wide", video=media["source"], right_scale=1.4
        ),
    }


@pytest.fixture
def widget_app():
    return create_app(EmulatorConfig(pending_s=0.05, running_s=0.1))


@pytest.fixture
async def emulated(widget_app, tmp_path):
    client = make_client(
        widget_app, tmp_path, api_key=SECRET, backend_label="offline emulator: test"
    )
    yield client
    await client.aclose()


WIDGETS = {
    "image_reference": wv.ImageReferenceWidget,
    "video_repainting": wv.VideoRepaintingWidget,
    "video_edit": wv.VideoEditWidget,
    "video_extension": wv.VideoExtensionWidget,
    "video_outpainting": wv.VideoOutpaintingWidget,
}


@pytest.mark.parametrize("function", list(WIDGETS))
async def test_each_widget_generates_and_plays(function, emulated, requests_by_function):
    widget = WIDGETS[function](client=emulated)
    assert widget._generate.disabled and widget.status == "invalid"
    widget.set_request(requests_by_function[function])
    assert widget.request.summary() == requests_by_function[function].summary()  # round-trip
    assert not widget._generate.disabled and widget.status == "idle"
    assert "offline emulator" in widget._backend.value
    statuses = []
    widget.observe(lambda change: statuses.append(change["new"]), "status")
    widget._generate.click()
    await widget.wait(timeout=30)
    assert statuses[0] == "QUEUED" and statuses[-1] == "SUCCEEDED"
    assert "PENDING" in statuses or "RUNNING" in statuses
    assert widget.task.local_path.exists() and widget.local_path == str(widget.task.local_path)
    assert widget.task.task_id in widget._status.value
    video = widget._player.children[1]
    assert isinstance(video, W.Video) and video.controls and not video.autoplay  # no server here
    assert not widget._generate.disabled


async def test_validation_message_sits_next_to_the_field(emulated, media):
    widget = wv.VideoRepaintingWidget(client=emulated)
    widget._prompt.value = "paint"
    widget._controls["video"].control.set_value(str(media["source"]))
    assert not widget._generate.disabled
    widget._controls["video"].control.set_value(str(media["subject"]))  # an image, not a video
    assert widget._generate.disabled
    assert "mp4" in widget._controls["video"].control._message.value
    widget._seed.value = "-3"
    assert widget._generate.disabled and "seed" in widget._common_error.value


async def test_mask_of_the_wrong_size_blocks_generate_before_paying(emulated, media):
    widget = wv.VideoEditWidget(client=emulated)
    widget.set_request(wv.VideoEdit(prompt="x", video=media["source"], mask_image=media["subject"]))
    assert widget._generate.disabled
    assert "resolution" in widget._controls["mask_image"].control._message.value
    with pytest.raises(wv.ValidationError):
        widget.submit()


async def test_server_text_is_escaped_in_failures(emulated, widget_app, requests_by_function):
    widget_app.state.emulator.config.faults.add(
        "submit", "fail_task", code="InternalError", message="<script>alert(1)</script>"
    )
    widget = wv.VideoOutpaintingWidget(
        client=emulated, request=requests_by_function["video_outpainting"]
    )
    widget.submit()
    with pytest.raises(wv.TaskFailedError):
        await widget.wait(30)
    assert widget.status == "FAILED"
    assert "<script>" not in widget._status.value and "&lt;script&gt;" in widget._status.value
    assert "InternalError" in widget._status.value and "request_id" in widget._status.value


async def until(condition, timeout: float = 10.0) -> None:
    """Wait for what the widget shows (its display is updated just after a status change)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the widget never got there"
        await asyncio.sleep(0.01)


async def test_cancel_while_pending_and_stop_watching_while_running(tmp_path, media):
    app = create_app(EmulatorConfig(pending_s=0.4, running_s=30))
    client = make_client(app, tmp_path)
    request = wv.VideoOutpainting(prompt="wide", video=media["source"])
    widget = wv.VideoOutpaintingWidget(client=client, request=request)
    action = widget._action
    assert action.disabled
    widget.submit()
    await until(lambda: widget.status == "PENDING" and not action.disabled)
    assert action.description == "Cancel"
    action.click()
    with pytest.raises(wv.TaskCanceledError):
        await widget.wait(5)
    assert widget.status == "CANCELED" and action.disabled
    widget.submit()
    await until(lambda: widget.status == "RUNNING" and action.description == "Stop watching")
    assert not action.disabled
    action.click()
    assert not widget.task.watching and "not watched" in widget._status.value
    await client.aclose()


async def test_the_status_line_says_when_jobs_like_this_usually_end(tmp_path, media):
    app = create_app(EmulatorConfig(pending_s=0.2, running_s=60))
    request = wv.VideoOutpainting(prompt="wide", video=media["source"])
    journal = Journal(tmp_path / "journal.sqlite3")
    earlier = finished("earlier", 40.0, queued=0.2, request=request.summary())
    journal.record({**earlier, "host": "emulator.local"})
    client = make_client(app, tmp_path, journal=journal)
    widget = wv.VideoOutpaintingWidget(client=client, request=request)
    widget.submit()
    await until(lambda: widget.status == "RUNNING" and "usually ends in" in widget._status.value)
    seconds = int(re.search(r"usually ends in about (\d+) s", widget._status.value)[1])
    assert 30 <= seconds <= 40  # what this kind of job took before, less the time gone
    assert "5–10 minutes" not in widget._status.value
    widget.task.stop_watching()

    cold = make_client(app, tmp_path / "cold")  # no history: the reference's words
    widget = wv.VideoOutpaintingWidget(client=cold, request=request)
    widget.submit()
    await until(
        lambda: widget.status == "RUNNING" and "usually 5–10 minutes" in widget._status.value
    )
    assert "usually ends in" not in widget._status.value
    widget.task.stop_watching()
    await client.aclose()
    await cold.aclose()


async def test_widget_state_holds_no_key_and_no_big_media(emulated, requests_by_function):
    studio = wv.VaceStudio(client=emulated)
    for function, request in requests_by_function.items():
        studio[function].set_request(request)
    studio["video_edit"].submit()
    await studio["video_edit"].wait(30)
    # what JupyterLab writes into a notebook saved with widget state (buffers as base64)
    state = W.Widget.get_manager_state()["state"]
    assert SECRET not in json.dumps(state)
    sizes = {id_: (s["model_name"], len(json.dumps(s))) for id_, s in state.items()}
    # with no Jupyter server to serve the file (as here), the result is embedded: bounded
    embedded = [size for name, size in sizes.values() if name == "VideoModel"]
    assert embedded and max(embedded) < EMBED_LIMIT * 4 / 3 + 10_000
    assert max(size for name, size in sizes.values() if name != "VideoModel") < 100_000


async def test_browser_upload_over_the_limit_is_refused_with_a_message(emulated):
    widget = wv.VideoOutpaintingWidget(client=emulated)
    picker = widget._controls["video"].control
    big = {
        "name": "huge.mp4",
        "type": "video/mp4",
        "size": 11 << 20,
        "content": memoryview(b"\0" * (11 << 20)),
        "last_modified": 0,
    }
    picker._on_upload({"new": (big,)})
    assert picker.value is None and "websocket" in picker._message.value


async def test_remote_url_previews_are_escaped(emulated):
    widget = wv.VideoOutpaintingWidget(client=emulated)
    picker = widget._controls["video"].control
    picker.set_value("https://example.com/v.mp4?a='><script>")
    assert "<script>" not in picker._preview.value


async def test_repr_is_short_and_secret_free(emulated):
    widget = wv.ImageReferenceWidget(client=emulated)
    assert repr(widget) == "ImageReferenceWidget(status='invalid')"


def test_default_client_is_the_emulator_without_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("WANVACE_BASE_URL", raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY_FILE_PATH", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path))
    wv.backend.reset_default_client()
    try:
        client = wv.default_client()
        assert client.is_emulator and client is wv.default_client()
        monkeypatch.setenv("DASHSCOPE_API_KEY", SECRET)
        wv.backend.reset_default_client()
        real = wv.default_client()
        assert not real.is_emulator and real.host == "dashscope-intl.aliyuncs.com"
        assert SECRET not in repr(real) and SECRET not in real.backend_label
    finally:
        wv.backend.reset_default_client()


async def test_client_httpx_honours_environment_proxies(emulated):
    http = emulated._api.http()
    assert isinstance(http, httpx.AsyncClient) and http._trust_env


async def test_edit_widget_lays_the_mask_over_its_frame(emulated, media):
    widget = wv.VideoEditWidget(client=emulated)
    assert widget._overlay.value == ""
    widget.set_request(
        wv.VideoEdit(prompt="x", video=media["source"], mask_image=media["mask"], mask_frame_id=2)
    )
    assert "data:image/jpeg;base64," in widget._overlay.value and "Frame 2" in widget._overlay.value
    assert "will be edited" in widget._overlay.value


async def test_a_new_widget_resumes_the_unfinished_task_after_a_restart(tmp_path, media):
    app = create_app(EmulatorConfig(pending_s=0.2, running_s=0.3))
    before = make_client(app, tmp_path)
    request = wv.VideoOutpainting(prompt="wide", video=media["source"], left_scale=1.3)
    task = await before.submit(request)
    await before.aclose()  # the kernel restarts: nobody polls
    after = make_client(app, tmp_path)
    widget = wv.VideoOutpaintingWidget(client=after)
    assert widget.task is not None and widget.task.task_id == task.task_id
    assert widget._controls["left_scale"].read() == 1.3 and widget._prompt.value == "wide"
    await widget.wait(30)
    assert widget.status == "SUCCEEDED" and widget.local_path
    other = wv.VideoEditWidget(client=after)
    assert other.task is None  # only the same function's tasks are picked up
    await after.aclose()


def test_saved_paths_are_shown_relative_to_the_working_folder(tmp_path, monkeypatch):
    inside = tmp_path / "wanvace-results" / "a.mp4"
    outside = tmp_path.parent / "elsewhere.mp4"
    monkeypatch.chdir(tmp_path)
    assert display_path(inside) == "wanvace-results/a.mp4"
    assert display_path(outside) == str(outside)
