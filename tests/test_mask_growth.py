"""The preview of how far a tracking mask grows: each expand mode's outline, the ratio's
reach, and the line the painter shows (and follows in the edit form)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

import wanvace_widgets as wv
from wanvace_widgets.media.mask_growth import OUTLINE, grown_region, outline_png


def l_shape() -> np.ndarray:
    """An L of 40×40 px in a 200×100 frame: its hull, box and shape all differ."""
    mask = np.zeros((100, 200), bool)
    mask[30:70, 50:60] = True  # the upright
    mask[60:70, 50:90] = True  # the foot
    return mask


def test_each_mode_grows_into_its_own_outline():
    mask = l_shape()
    original = grown_region(mask, 0.0, "original")
    hull = grown_region(mask, 0.0, "hull")
    box = grown_region(mask, 0.0, "bbox")
    assert np.array_equal(original, mask)  # no growth: the painted shape
    assert mask.sum() < hull.sum() < box.sum()  # the hull fills the L's corner, the box more
    assert box[30:70, 50:90].all() and box.sum() == 40 * 40
    assert not hull[31, 88] and hull[62, 70]  # the far corner of the box is outside the hull


def test_the_ratio_reaches_that_share_of_the_regions_size():
    mask = l_shape()  # 40×40 px: a ratio of 0.25 reaches 10 px on each side
    box = grown_region(mask, 0.25, "bbox")
    rows, cols = np.nonzero(box)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (20, 79, 40, 99)
    grown = grown_region(mask, 0.25, "original")
    assert grown[30, 45] and not grown[30, 75]  # beside the upright, not in the L's corner
    assert grown_region(np.zeros((10, 10), bool), 0.5, "hull").sum() == 0


def test_the_outline_is_a_line_along_the_edge():
    region = grown_region(l_shape(), 0.0, "bbox")
    image = Image.open(io.BytesIO(outline_png(region))).convert("RGBA")
    pixels = np.asarray(image)
    drawn = pixels[..., 3] > 0
    assert drawn[30, 70] and drawn[29, 70] and not drawn[50, 70]  # on the edge, not inside
    assert tuple(pixels[30, 70, :3]) == OUTLINE


def test_the_painter_shows_the_growth_line_for_tracking_only(media, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    painter = wv.MaskPainter(video=media["source"])
    assert painter.growth_png == b""  # nothing painted
    painter.apply({"action": "draw", "shape": "rect", "points": [100, 100, 200, 200]})
    line = painter.growth_png
    assert line
    painter.expand_ratio = 0.5
    assert painter.growth_png and painter.growth_png != line
    painter.mask_type = "fixed"  # the expand options do not apply
    assert painter.growth_png == b""


async def test_the_edit_forms_expand_controls_drive_the_painter(
    emulated, media, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    widget = wv.VideoEditWidget(
        client=emulated,
        request=wv.VideoEdit(prompt="x", video=media["source"], mask_image=media["mask"]),
    )
    painter = widget.painter
    assert painter.mask_type == "tracking" and painter.growth_png
    widget.controls["expand_mode"].write("bbox")
    widget.controls["expand_ratio"].write(0.4)
    assert (painter.expand_mode, painter.expand_ratio) == ("bbox", 0.4)
    widget.controls["mask_type"].write("fixed")
    assert painter.growth_png == b""
