"""The widgets without a kernel: forms, validation, Generate, status, player, errors,
cancel, and what ends up in widget state (the studio: tests/test_studio.py)."""

from __future__ import annotations

import json
import re

import httpx
import ipywidgets as W
import pytest

import wanvace_widgets as wv
from tests.conftest import WIDGET_SECRET as SECRET
from tests.helpers import finished, make_client, until
from wanvace_widgets.apps import backend
from wanvace_widgets.clock import SystemClock
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.jobs.journal import Journal
from wanvace_widgets.widgets import player
from wanvace_widgets.widgets.player import EMBED_LIMIT, display_path

WIDGETS = {
    "image_reference": wv.ImageReferenceWidget,
    "video_repainting": wv.VideoRepaintingWidget,
    "video_edit": wv.VideoEditWidget,
    "video_extension": wv.VideoExtensionWidget,
    "video_outpainting": wv.VideoOutpaintingWidget,
    "instruction_edit": wv.InstructionEditWidget,
}


@pytest.mark.parametrize("function", list(WIDGETS))
async def test_each_widget_generates_and_plays(function, emulated, requests_by_function):
    widget = WIDGETS[function](client=emulated)
    assert not widget.buttons.generate_enabled and widget.status == "invalid"
    widget.set_request(requests_by_function[function])
    assert widget.request.summary() == requests_by_function[function].summary()  # round-trip
    assert widget.buttons.generate_enabled and widget.status == "idle"
    assert "offline emulator" in widget.status_html
    statuses = []
    widget.observe(lambda change: statuses.append(change["new"]), "status")
    widget.buttons.click("generate")
    assert not widget.buttons.generate_enabled  # at once, before the job got anywhere
    await widget.wait(timeout=30)
    assert statuses[0] == "QUEUED" and statuses[-1] == "SUCCEEDED"
    assert "PENDING" in statuses or "RUNNING" in statuses
    assert widget.task.local_path.exists() and widget.local_path == str(widget.task.local_path)
    assert widget.task.task_id in widget.status_html
    video = widget.player.children[1]
    assert isinstance(video, W.Video) and video.controls and not video.autoplay  # no server here
    assert widget.buttons.generate_enabled and widget.jobs == [widget.task]


async def test_the_instruction_edit_plays_its_result_beside_its_source(
    emulated, requests_by_function, media, monkeypatch, tmp_path
):
    """Served by a Jupyter server (here: one whose root holds every file), the result and
    the source video play side by side, the result first; neither autoplays or loops."""
    monkeypatch.setattr(player, "_servers", lambda: [{"root_dir": "/", "base_url": "/"}])
    widget = wv.InstructionEditWidget(client=emulated)
    widget.set_request(requests_by_function["instruction_edit"])
    widget.submit()
    await widget.wait(timeout=30)
    page = widget.player.children[0].value
    result = player.served_url(widget.task.local_path)
    source = player.served_url(media["source"])
    assert result and source and page.index(result) < page.index(source)
    assert "aria-label='result video'" in page and "aria-label='source video'" in page
    assert "autoplay" not in page and "loop" not in page
    assert widget.task.model == "wan2.7-videoedit"
    assert widget.task.request.ref_images == (str(media["subject"]),)


async def test_validation_message_sits_next_to_the_field(emulated, media):
    widget = wv.VideoRepaintingWidget(client=emulated)
    widget.controls["prompt"].write("paint")
    widget.controls["video"].control.set_value(str(media["source"]))
    assert widget.ready
    widget.controls["video"].control.set_value(str(media["subject"]))  # an image, not a video
    assert not widget.ready
    assert "mp4" in widget.controls["video"].control.message_html
    widget.controls["seed"].write("-3")
    assert "Must be between 0 and 2147483647" in widget.shown_problems["seed"]
    assert "mp4" in widget.controls["video"].control.message_html  # both, at once


async def test_mask_of_the_wrong_size_blocks_generate_before_paying(emulated, media):
    widget = wv.VideoEditWidget(client=emulated)
    widget.set_request(wv.VideoEdit(prompt="x", video=media["source"], mask_image=media["subject"]))
    assert not widget.ready and not widget.buttons.generate_enabled
    assert "resolution" in widget.controls["mask_image"].control.message_html
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
    assert "<script>" not in widget.status_html and "&lt;script&gt;" in widget.status_html
    assert "InternalError" in widget.status_html and "request_id" in widget.status_html


async def test_cancel_while_pending_stop_watching_while_running_and_follow_again(tmp_path, media):
    app = create_app(EmulatorConfig(pending_s=0.4, running_s=1.5))
    client = make_client(app, tmp_path)
    request = wv.VideoOutpainting(prompt="wide", video=media["source"])
    widget = wv.VideoOutpaintingWidget(client=client, request=request)
    buttons = widget.buttons
    assert buttons.action == ""
    widget.submit()
    await until(lambda: widget.status == "PENDING" and buttons.action == "cancel", "no Cancel")
    buttons.click("action")
    with pytest.raises(wv.TaskCanceledError):
        await widget.wait(5)
    assert (
        widget.status == "CANCELED" and buttons.action == "" and "Canceled" in widget.status_html
    )
    widget.submit(again=True)  # nothing is live: a plain second job
    await until(lambda: widget.status == "RUNNING" and buttons.action == "stop", "no Stop")
    buttons.click("action")
    assert not widget.task.watching and buttons.action == "follow"
    assert "still runs on the server and is billed" in widget.status_html
    assert not buttons.generate_enabled and buttons.again_enabled  # it still runs: no 2nd job
    buttons.click("action")  # Follow again
    await until(lambda: widget.task.watching and buttons.action == "stop", "not followed again")
    await widget.wait(10)
    assert widget.status == "SUCCEEDED" and widget.local_path
    await client.aclose()


async def test_the_status_line_says_when_jobs_like_this_usually_end(tmp_path, media):
    app = create_app(EmulatorConfig(pending_s=0.2, running_s=60))
    request = wv.VideoOutpainting(prompt="wide", video=media["source"])
    journal = Journal(tmp_path / "journal.sqlite3")
    earlier = finished("earlier", 40.0, queued=0.2, request=request.summary())
    journal.record(earlier.replace(host="emulator.local"))
    client = make_client(app, tmp_path, journal=journal)
    widget = wv.VideoOutpaintingWidget(client=client, request=request)
    submitted = client.clock.now()
    widget.submit()
    await until(
        lambda: widget.status == "RUNNING" and "as your earlier jobs" in widget.status_html,
        "the status never said when the job usually ends",
    )
    seconds = int(re.search(r"about (\d+) s more, as your earlier jobs", widget.status_html)[1])
    gone = client.clock.now() - submitted  # however slow the machine was
    assert 40 - gone - 1 <= seconds <= 40  # what this kind of job took before, less that
    assert "data-kind='expected'" in widget.status_html  # a bar towards the usual end
    assert "5–10 minutes" not in widget.status_html
    widget.task.stop_watching()

    cold = make_client(app, tmp_path / "cold")  # no history: the reference's words
    widget = wv.VideoOutpaintingWidget(client=cold, request=request)
    widget.submit()
    await until(
        lambda: widget.status == "RUNNING" and "usually 5–10 minutes" in widget.status_html,
        "the status never gave the service's usual time",
    )
    assert "as your earlier jobs" not in widget.status_html
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
    picker = widget.controls["video"].control
    big = {
        "name": "huge.mp4",
        "type": "video/mp4",
        "size": 11 << 20,
        "content": memoryview(b"\0" * (11 << 20)),
        "last_modified": 0,
    }
    picker._on_upload({"new": (big,)})
    assert picker.value is None and "websocket" in picker.message_html


async def test_remote_url_previews_are_escaped(emulated):
    widget = wv.VideoOutpaintingWidget(client=emulated)
    picker = widget.controls["video"].control
    picker.set_value("https://example.com/v.mp4?a='><script>")
    assert "<script>" not in picker.preview_html


async def test_repr_is_short_and_secret_free(emulated):
    widget = wv.ImageReferenceWidget(client=emulated)
    assert repr(widget) == "ImageReferenceWidget(status='invalid')"
    assert SECRET not in widget.status_html


def test_default_client_is_the_emulator_without_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("WANVACE_BASE_URL", raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY_FILE_PATH", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path))
    backend.reset_default_client()
    try:
        client = wv.default_client()
        assert client.is_emulator and client is wv.default_client()
        monkeypatch.setenv("DASHSCOPE_API_KEY", SECRET)
        backend.reset_default_client()
        real = wv.default_client()
        assert not real.is_emulator and real.host == "dashscope-intl.aliyuncs.com"
        assert SECRET not in repr(real) and SECRET not in real.backend_label
    finally:
        backend.reset_default_client()


async def test_client_httpx_honours_environment_proxies(emulated):
    http = emulated._api.http()
    assert isinstance(http, httpx.AsyncClient) and http._trust_env


async def test_the_edit_form_shows_its_mask_once_in_the_painter(emulated, media):
    """One view of a mask: no thumbnail of the video or the mask, the mask picked in the
    field loaded into the painter over its frame."""
    import numpy as np

    from wanvace_widgets.media.codec import read_image

    widget = wv.VideoEditWidget(client=emulated)
    widget.set_request(
        wv.VideoEdit(prompt="x", video=media["source"], mask_image=media["mask"], mask_frame_id=2)
    )
    assert widget.controls["video"].control.preview_html == ""
    assert widget.controls["mask_image"].control.preview_html == ""
    painter = widget.painter
    assert painter.mask_frame_id == 2 and painter.frame_jpeg and painter.mask_png
    white = read_image(media["mask"]).mean(axis=2) > 127
    assert np.array_equal(painter.mask, white)  # the uploaded mask, loaded to touch up


class Later(SystemClock):
    """The wall clock as a kernel restarted ten minutes after the submit sees it."""

    def now(self) -> float:
        return super().now() + 600


async def left_by_a_restart(tmp_path, media):
    """An emulator, and a request whose task was submitted by a client that then stopped
    (the kernel restarted: nobody polls); its journal in ``tmp_path``."""
    app = create_app(EmulatorConfig(pending_s=0.2, running_s=0.3))
    before = make_client(app, tmp_path)
    request = wv.VideoOutpainting(prompt="wide", video=media["source"], left_scale=1.3)
    task = await before.submit(request)
    await before.aclose()
    return app, request, task


async def test_a_new_widget_resumes_the_unfinished_task_after_a_restart(tmp_path, media):
    app, request, task = await left_by_a_restart(tmp_path, media)
    after = make_client(app, tmp_path, clock=Later())
    widget = wv.VideoOutpaintingWidget(client=after)
    assert widget.task is not None and widget.task.task_id == task.task_id
    assert widget.controls["left_scale"].read() == 1.3 and widget.controls["prompt"].read() == "wide"
    # the true submit time and request id, from the journal: not 0 s, not a blank id
    assert widget.task.submitted_at == task.submitted_at
    assert "10 min 0" in widget.status_html and "since submit" in widget.status_html
    assert task.request_id and task.request_id in widget.status_html
    await widget.wait(30)
    assert widget.status == "SUCCEEDED" and widget.local_path
    other = wv.VideoEditWidget(client=after)
    assert other.task is None  # only the same function's tasks are picked up
    await after.aclose()


async def test_a_rerun_cell_with_its_request_resumes_only_that_requests_task(tmp_path, media):
    app, request, task = await left_by_a_restart(tmp_path, media)
    after = make_client(app, tmp_path)
    other = wv.VideoOutpaintingWidget(
        client=after, request=wv.VideoOutpainting(prompt="another", video=media["source"])
    )
    assert other.task is None  # a form of another request starts fresh
    same = wv.VideoOutpaintingWidget(client=after, request=request)  # the cell run again
    assert same.task is not None and same.task.task_id == task.task_id
    assert same.task.request_id == task.request_id
    await same.wait(30)
    assert same.status == "SUCCEEDED"
    await after.aclose()


async def test_a_result_goes_to_another_form_by_its_path_beside_the_notebook(
    emulated, requests_by_function, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the notebook's folder, which holds the results folder
    extension = wv.VideoExtensionWidget(
        client=emulated, request=requests_by_function["video_extension"]
    )
    outpainting = wv.VideoOutpaintingWidget(client=emulated)
    targets = [
        (f"{w.title}: source", lambda path, w=w, f=f: w.set_input(f, path), w)
        for w, f in ((extension, "first_clip"), (outpainting, "video"))
    ]
    extension.set_targets(targets)
    assert extension.result_targets == ("Video outpainting: source",)  # never its own form
    extension.submit()
    await extension.wait(30)
    extension.send_result()
    sent = outpainting.controls["video"].read()
    assert sent == display_path(extension.task.local_path) and not sent.startswith("/")
    assert (tmp_path / sent).is_file()


def test_saved_paths_are_shown_relative_to_the_working_folder(tmp_path, monkeypatch):
    inside = tmp_path / "wanvace-results" / "a.mp4"
    outside = tmp_path.parent / "elsewhere.mp4"
    monkeypatch.chdir(tmp_path)
    assert display_path(inside) == "wanvace-results/a.mp4"
    assert display_path(outside) == str(outside)
