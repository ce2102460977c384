"""One click pays once, without a kernel: clicks that reach the kernel while a job is
live make no second job, ``submit()`` refuses with a clear error, "Generate again" makes a
second variation on purpose, and no job of the form is left behind."""

from __future__ import annotations

import pytest

import wanvace_widgets as wv
from tests.helpers import make_client, until
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.jobs.deadlines import Deadlines


def page_clicks(widget, name: str) -> None:
    """A click message from the page, as the buttons' front end sends it."""
    widget.buttons._on_page_message(widget.buttons, {"click": name}, [])


@pytest.fixture
def slow_app():
    return create_app(EmulatorConfig(pending_s=0.3, running_s=0.6))


async def test_four_fast_clicks_make_one_job(slow_app, tmp_path, requests_by_function):
    client = make_client(slow_app, tmp_path)
    widget = wv.VideoOutpaintingWidget(
        client=client, request=requests_by_function["video_outpainting"]
    )
    for _ in range(4):
        page_clicks(widget, "generate")
    assert len(client.tasks) == 1 and widget.jobs == client.tasks
    assert widget.buttons.answered == 4  # each click answered: the page re-enables its row
    await widget.wait(30)
    assert len(client.tasks) == 1 and widget.status == "SUCCEEDED"
    assert len(slow_app.state.emulator.tasks.tasks) == 1  # what the server saw
    await client.aclose()


async def test_submit_refuses_while_live_and_generate_again_makes_a_second(
    slow_app, tmp_path, requests_by_function
):
    client = make_client(slow_app, tmp_path)
    widget = wv.VideoOutpaintingWidget(
        client=client, request=requests_by_function["video_outpainting"]
    )
    first = widget.submit()
    with pytest.raises(wv.JobInProgressError, match="Generate again") as refused:
        widget.submit()
    assert refused.value.status == first.status and len(client.tasks) == 1
    assert widget.buttons.again_enabled and not widget.buttons.generate_enabled
    page_clicks(widget, "again")  # on purpose: a second, separately paid variation
    second = widget.task
    assert second is not first and widget.jobs == [first, second] and len(client.tasks) == 2
    await until(
        lambda: "Also live from this form" in widget.status_html or first.done,
        "the first job was not listed as also live",
    )
    await first.wait(30)
    await second.wait(30)
    assert first.status == second.status == "SUCCEEDED"
    assert "Also live from this form" not in widget.status_html  # nothing left behind
    assert widget.buttons.generate_enabled and not widget.buttons.again_enabled
    await client.aclose()


async def test_a_refused_click_is_said_in_the_status(slow_app, tmp_path, requests_by_function):
    client = make_client(slow_app, tmp_path)
    widget = wv.VideoOutpaintingWidget(
        client=client, request=requests_by_function["video_outpainting"]
    )
    widget.submit()
    widget.buttons.generate_enabled = True  # as if a second view had not heard yet
    page_clicks(widget, "generate")
    assert "is still live, so nothing was sent" in widget.status_html
    assert len(client.tasks) == 1
    await widget.wait(30)
    assert "still live" not in widget.status_html  # old news once the job moved on
    await client.aclose()


async def test_an_unconfirmed_submit_keeps_generate_off_until_the_task_list_has_told(
    tmp_path, requests_by_function
):
    app = create_app(EmulatorConfig(pending_s=0.1, running_s=0.1))
    app.state.emulator.config.faults.add("submit", "drop", times=1)  # the answer is lost
    deadlines = Deadlines(submit=3, clock_skew=0.5, list_settle=0.5)
    client = make_client(app, tmp_path, deadlines=deadlines)
    widget = wv.VideoOutpaintingWidget(
        client=client, request=requests_by_function["video_outpainting"]
    )
    widget.submit()
    await until(
        lambda: "UNCONFIRMED" in widget.status_html, "the submit never showed as UNCONFIRMED", 30
    )
    assert not widget.buttons.generate_enabled
    assert widget.buttons.action == ""  # nothing to press: the client searches by itself
    assert "looking for it on the server&#x27;s task list by itself" in widget.status_html
    with pytest.raises(wv.JobInProgressError):
        widget.submit()
    # the client reads the server's task list by itself once the window has settled
    await until(lambda: widget.status == "ERROR", "the task list never told", 30)
    assert "SubmitNotCreated" in widget.status_html and "submit it again" in widget.status_html
    assert widget.buttons.generate_enabled and len(app.state.emulator.tasks.tasks) == 0
    widget.submit()
    await widget.wait(30)
    assert widget.status == "SUCCEEDED" and len(app.state.emulator.tasks.tasks) == 1
    await client.aclose()
