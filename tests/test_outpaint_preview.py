"""The outpainting preview: where the source sits in the widened canvas, what it sends
to the page, and how it follows the outpainting form."""

from __future__ import annotations

import io
import json

import comm
import pytest
import traitlets
from PIL import Image

import wanvace_widgets as wv
from tests.helpers import widget_tree
from wanvace_widgets.widgets.outpaint_preview import (
    PREVIEW_MAX_SIDE,
    OutpaintPreview,
    widened_canvas,
)


@pytest.mark.parametrize(
    "scales, expected",
    [
        ((1, 1, 1, 1), (640, 360, 0, 0)),
        ((1, 1, 1.5, 1.5), (960, 360, 160, 0)),
        ((1, 1, 1.5, 1), (800, 360, 160, 0)),
        ((1, 1, 1, 1.5), (800, 360, 0, 0)),
        ((2, 1, 1, 1), (640, 540, 0, 180)),
        ((2, 2, 2, 2), (1280, 720, 320, 180)),
    ],
)
def test_each_scale_widens_its_own_side(scales, expected):
    top, bottom, left, right = scales
    box = widened_canvas(640, 360, top, bottom, left, right)
    assert (box["width"], box["height"], box["x"], box["y"]) == expected
    assert (box["source_width"], box["source_height"]) == (640, 360)
    # the source always fits inside, touching the sides left at 1
    assert box["x"] + 640 <= box["width"] and box["y"] + 360 <= box["height"]


def test_the_preview_sends_one_small_frame_and_then_only_numbers(media, monkeypatch):
    sent = []

    class Recording(comm.base_comm.BaseComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            sent.append(len(json.dumps(data, default=str)) + sum(len(b) for b in buffers or ()))

    monkeypatch.setattr(comm, "create_comm", lambda **kw: Recording(**kw))
    preview = OutpaintPreview(video=media["source"], left_scale=1.5)
    image = Image.open(io.BytesIO(preview.frame_jpeg))
    assert image.format == "JPEG" and max(image.size) <= PREVIEW_MAX_SIDE
    assert len(preview.frame_jpeg) < 15_000
    assert preview.canvas == widened_canvas(640, 360, 1, 1, 1.5, 1)
    sent.clear()
    preview.top_scale = 1.2
    assert preview.canvas["height"] == 396 and len(sent) == 1 and sent[0] < 400


@pytest.mark.parametrize("scale", [0.5, 2.5, float("nan")])
def test_a_scale_out_of_range_is_refused(scale):
    with pytest.raises(traitlets.TraitError):
        OutpaintPreview(left_scale=scale)


@pytest.mark.parametrize(
    "video, says",
    [
        (None, ""),
        ("https://example.com/a.mp4", ""),
        ("missing.mp4", "no preview"),
        (b"junk", "no preview"),
    ],
)
def test_without_a_readable_local_video_there_is_no_preview(video, says):
    preview = OutpaintPreview(video=video, right_scale=1.4)
    assert preview.canvas == {} and preview.frame_jpeg == b"" and says in preview.message


async def test_the_outpainting_form_drives_its_preview(media, client):
    widget = wv.VideoOutpaintingWidget(
        client=client,
        request=wv.VideoOutpainting(prompt="wide", video=media["source"], right_scale=1.4),
    )
    preview = widget.preview
    tree = widget_tree(widget)  # the form's column, right under the scales
    assert tree.index(preview) == tree.index(widget.controls["right_scale"].widget) + len(
        widget_tree(widget.controls["right_scale"].widget)
    )
    assert widget.controls["video"].control.preview_html == ""  # the source is shown once
    assert preview.canvas == widened_canvas(640, 360, 1, 1, 1, 1.4)
    widget.controls["top_scale"].control.value = 1.5
    assert preview.canvas == widened_canvas(640, 360, 1.5, 1, 1, 1.4)
    widget.controls["video"].control.set_value(None)
    assert preview.canvas == {}


def test_the_repr_says_the_canvas_size(media):
    assert (
        repr(OutpaintPreview(video=media["source"], top_scale=2))
        == "OutpaintPreview(canvas=640x540)"
    )
    assert repr(OutpaintPreview()) == "OutpaintPreview(canvas=no video)"
