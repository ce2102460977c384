"""The studio: tabs built on first view within the model and state budget, the history
under them, results and requests handed between tabs through the widgets' public surface,
a restart, and (in a real kernel) the static copy of finished jobs kept up to date."""

from __future__ import annotations

import json
import queue
import time

import pytest
import traitlets

import wanvace_widgets as wv
from tests.helpers import make_client, new_models, until
from tests.test_kernel import execute, stdout
from tests.test_kernel import kernel as kernel  # the fixture, for the test below
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.widgets.base import VaceWidget
from wanvace_widgets.widgets.tab_strip import TabStrip

#: issue #12: a new studio is at most this many widget models and bytes of saved state
MODEL_BUDGET = 300
STATE_BUDGET = 150_000


@pytest.fixture
def app():
    return create_app(EmulatorConfig(pending_s=0.05, running_s=0.1))


@pytest.fixture
async def client(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the kernel's folder is the notebook's
    client = make_client(app, tmp_path, results_dir=tmp_path / "results")
    yield client
    await client.aclose()


@pytest.fixture
def studio_of(closing):
    return lambda *args, **kwargs: closing(wv.VaceStudio(*args, **kwargs))


async def finished_job(widget, request):
    widget.set_request(request)
    task = widget.submit()
    await widget.wait(120)  # the emulator renders a real MP4: slow on a busy machine
    return task


async def test_a_new_studio_builds_one_tab_within_the_budget(client, studio_of):
    studio, made, state = new_models(lambda: studio_of(client=client))
    assert len(made) <= MODEL_BUDGET, len(made)
    assert len(json.dumps(state)) <= STATE_BUDGET
    assert [type(w).__name__ for w in studio.function_widgets] == ["ImageReferenceWidget"]
    studio._tabs.set_state({"selected_index": 2})  # the user clicks the third tab
    assert studio._panels.selected_index == 2  # its panel is shown
    assert studio._panels.children[2] is studio["video_edit"]
    assert [w.request_class.function for w in studio.function_widgets] == [
        "image_reference",
        "video_edit",
    ]
    assert studio["video_outpainting"] is studio.select("video_outpainting")
    assert studio.selected == "video_outpainting" and len(studio.function_widgets) == 3
    with pytest.raises(KeyError):
        studio["text2video"]


async def test_a_result_goes_to_another_tab_as_a_path_beside_the_notebook(
    client, studio_of, media, monkeypatch
):
    offered = {}
    real = VaceWidget.set_targets
    monkeypatch.setattr(
        VaceWidget,
        "set_targets",
        lambda self, targets: (
            offered.update({self.title: [t[0] for t in targets]}) or real(self, targets)
        ),
    )
    studio = studio_of(client=client)
    extension = studio["video_extension"]
    request = wv.VideoExtension(
        prompt="go on", first_clip=media["first_clip"], last_frame=media["last_frame"]
    )
    task = await finished_job(extension, request)
    for title, labels in offered.items():  # never the widget's own tab
        assert labels and not any(label.startswith(title) for label in labels), offered
    relative = task.local_path.relative_to(client.results_dir.parent).as_posix()
    assert relative == f"results/{task.local_path.name}"
    extension.send_result("Video outpainting: source video")
    assert studio["video_outpainting"].controls["video"].read() == relative
    assert studio.selected == "video_outpainting"
    # and from the history, into a third tab
    studio.history.use_as_input(task.job_id, "Video edit: source video")
    assert studio["video_edit"].controls["video"].read() == relative
    assert studio.selected == "video_edit"
    studio.history.use_as_input(task.job_id, "Video extension: first clip")
    assert "cannot go" in studio.history.page.message  # its own function
    assert studio["video_outpainting"].controls["video"].read() == relative


async def test_load_into_form_fills_the_jobs_own_tab(client, studio_of, media):
    studio = studio_of(client=client)
    request = wv.VideoOutpainting(prompt="wide", video=media["source"], top_scale=1.2)
    task = await finished_job(studio["video_outpainting"], request)
    studio.select("video_outpainting").set_request(
        wv.VideoOutpainting(prompt="something else", video=media["source"])
    )
    studio.select("image_reference")
    studio.history.load(task.job_id)
    assert studio.selected == "video_outpainting"
    assert studio["video_outpainting"].request.summary() == request.summary()


async def test_the_instruction_edit_tab_takes_part_like_the_others(
    client, studio_of, media, requests_by_function
):
    """Wan 2.7's tab: its job loads back into it from the history, its result feeds VACE's
    tabs, and a VACE result feeds it (never its own tab)."""
    studio = studio_of(client=client)
    assert studio._tabs.labels[-1] == "Instruction edit"
    edit = studio["instruction_edit"]
    assert "Instruction edit: source video" not in edit.result_targets
    assert "Video edit: source video" in edit.result_targets
    request = requests_by_function["instruction_edit"]
    task = await finished_job(edit, request)
    edit.set_request(wv.InstructionEdit(prompt="something else", video=media["source"]))
    studio.select("image_reference")
    row = next(r for r in studio.history.page.rows if r["id"] == task.job_id)
    assert row["title"] == "Instruction edit" and "load" in row["actions"]
    studio.history.load(task.job_id)
    assert studio.selected == "instruction_edit"
    assert edit.request.summary() == request.summary()
    assert [edit.controls[f"ref_image_{i}"].read() for i in (1, 2)] == [
        str(media["subject"]),
        None,
    ]
    code = studio.history.code(task.job_id)
    assert code.startswith("wv.InstructionEdit(") and "resolution='720P'" in code
    relative = task.local_path.relative_to(client.results_dir.parent).as_posix()
    studio.history.use_as_input(task.job_id, "Video repainting: source video")
    assert studio["video_repainting"].controls["video"].read() == relative
    vace = await finished_job(studio["video_outpainting"], requests_by_function["video_outpainting"])
    studio["video_outpainting"].send_result("Instruction edit: source video")
    assert studio.selected == "instruction_edit"
    assert edit.controls["video"].read() == vace.local_path.relative_to(
        client.results_dir.parent
    ).as_posix()


async def test_after_a_restart_a_new_studio_shows_the_earlier_jobs(
    app, tmp_path, studio_of, media, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    before = make_client(app, tmp_path)
    request = wv.VideoOutpainting(prompt="before the restart", video=media["source"])
    task = await finished_job(studio_of(client=before)["video_outpainting"], request)
    await before.aclose()
    after = make_client(app, tmp_path)
    studio = studio_of(client=after)
    row = next(r for r in studio.history.page.rows if r["id"] == task.job_id)
    assert row["prompt"] == "before the restart" and row["status"] == "SUCCEEDED"
    assert row["actions"] == ["play", "use", "load", "code"]
    await until(lambda: task.job_id in studio.history.page.posters, "no poster")
    studio.history.play(task.job_id)
    assert studio.history.playing_path == task.local_path
    await after.aclose()


# -- in a real kernel: the static copy beside the studio ---------------------------------

KERNEL_SETUP = """
import httpx, wanvace_widgets as wv
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.media.samples import write_samples
media = write_samples({samples!r})
app = create_app(EmulatorConfig(pending_s=0.1, running_s=0.2))
client = wv.VaceClient("kernel-key", base_url="http://emulator.local",
                       transport=httpx.ASGITransport(app=app), journal={journal!r},
                       results_dir={results!r}, poll=wv.PollPolicy(first_delay=0.1, max_delay=0.2))
print(wv.__file__)
"""


@pytest.mark.kernel
def test_the_displayed_studio_keeps_a_static_copy_of_its_finished_jobs(kernel, tmp_path):
    setup = KERNEL_SETUP.format(
        samples=str(tmp_path / "s"),
        journal=str(tmp_path / "journal.sqlite3"),
        results=str(tmp_path / "r"),
    )
    assert stdout(execute(kernel, setup)).strip() == wv.__file__  # this checkout's code
    shown = [
        m["content"]
        for m in execute(kernel, "studio = wv.VaceStudio(client=client)\nstudio")
        if m["msg_type"] in ("display_data", "execute_result")
    ]
    assert "application/vnd.jupyter.widget-view+json" in shown[0]["data"]
    copy = shown[1]
    assert "No finished jobs yet" in copy["data"]["text/html"]
    display_id = copy["transient"]["display_id"]
    execute(
        kernel,
        'studio.select("video_outpainting").set_request(wv.VideoOutpainting('
        'prompt="wide <hills>", video=media["source"], left_scale=1.5))\n'
        'studio["video_outpainting"].submit()',
    )
    deadline, updates = time.monotonic() + 60, []
    while time.monotonic() < deadline:
        try:
            msg = kernel.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["msg_type"] == "update_display_data":
            assert msg["content"]["transient"]["display_id"] == display_id
            updates.append(msg["content"]["data"]["text/html"])
            if "data:image/jpeg;base64," in updates[-1]:
                break
    assert updates, "the static copy was never updated"
    html = updates[-1]
    assert "SUCCEEDED" in html and "wide &lt;hills&gt;" in html and "<hills>" not in html
    assert "data:image/jpeg;base64," in html and ".mp4</code>" in html


def test_the_tab_strip_refuses_a_tab_it_does_not_have():
    strip = TabStrip(labels=["One", "Two"])
    strip.set_state({"selected_index": 1})  # the page selects the second
    assert strip.selected_index == 1
    with pytest.raises(traitlets.TraitError, match="no tab 2"):
        strip.selected_index = 2
    assert strip.selected_index == 1
