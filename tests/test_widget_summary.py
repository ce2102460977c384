"""The static summary a function widget displays after itself, for pages without the live
widget (a notebook reopened without widget state, an HTML export): a poster, the prompt,
the status and the saved path of each finished job, updated as jobs finish."""

from __future__ import annotations

import base64
import io

import IPython.display
import pytest
from PIL import Image

import wanvace_widgets as wv
from tests.conftest import WIDGET_SECRET
from wanvace_widgets.widgets.player import display_path
from wanvace_widgets.widgets.posters import POSTER_SIDE


@pytest.fixture
def shown(monkeypatch):
    """What the widget displays, in order: (bundle, display id, is an update)."""
    outputs = []

    class Handle:  # what IPython returns for display_id=True
        def __init__(self, display_id: str):
            self.display_id = display_id

        def update(self, bundle, raw=False):
            assert raw
            outputs.append((bundle, self.display_id, True))

    def display(bundle, raw=False, display_id=None, **_):
        assert raw
        shown_id = f"display-{len(outputs)}" if display_id is True else display_id
        outputs.append((bundle, shown_id, False))
        return Handle(shown_id) if shown_id else None

    monkeypatch.setattr(IPython.display, "display", display)
    return outputs


async def test_the_widget_and_then_its_summary_are_displayed_and_updated(
    shown, emulated, requests_by_function, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)  # the results folder lies under the notebook's folder
    widget = wv.VideoEditWidget(client=emulated, request=requests_by_function["video_edit"])
    widget._ipython_display_()
    (live, no_id, _), (summary, display_id, update) = shown
    assert "application/vnd.jupyter.widget-view+json" in live and no_id is None
    assert display_id and not update
    assert "No finished jobs yet" in summary["text/html"]
    widget.submit()
    await widget.wait(30)
    bundle, same_id, update = shown[-1]
    assert update and same_id == display_id and len(shown) == 3  # one update per finished job
    page = bundle["text/html"]
    assert "class='wanvace-static-summary'" in page and "SUCCEEDED" in page
    assert "knight" in page and display_path(widget.task.local_path) in page
    assert display_path(widget.task.local_path) in bundle["text/plain"]
    poster = page.split("data:image/jpeg;base64,")[1].split("'")[0]
    image = Image.open(io.BytesIO(base64.b64decode(poster)))
    assert max(image.size) == POSTER_SIDE  # a frame of the result, small
    assert WIDGET_SECRET not in page + bundle["text/plain"]


async def test_every_finished_job_is_in_the_summary_and_text_is_escaped(
    shown, emulated, widget_app, media
):
    widget = wv.VideoOutpaintingWidget(
        client=emulated, request=wv.VideoOutpainting(prompt="<b>wide</b>", video=media["source"])
    )
    widget._ipython_display_()
    widget_app.state.emulator.config.faults.add("submit", "fail_task", code="InternalError")
    widget.submit()
    with pytest.raises(wv.TaskFailedError):
        await widget.wait(30)
    widget.submit()
    await widget.wait(30)
    page = shown[-1][0]["text/html"]
    assert "2 finished jobs" in shown[-1][0]["text/plain"]
    assert "FAILED" in page and "SUCCEEDED" in page
    assert page.count("data:image/jpeg") == 1  # a poster only where there is a video
    assert "<b>wide</b>" not in page and "&lt;b&gt;wide&lt;/b&gt;" in page
