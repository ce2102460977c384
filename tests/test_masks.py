"""Strokes to mask: the pixel rule (a pixel is in a shape when its centre is), sizes,
edges, brush sizes, rectangles, polygons, erase, invert, undo, and every malformed
operation a page could send."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from wanvace_widgets.media import masks
from wanvace_widgets.media.codec import MASK_TINT, MediaReadError, encode_image
from wanvace_widgets.media.masks import (
    MAX_POINTS,
    Clear,
    Draw,
    Invert,
    MaskHistory,
    OperationError,
    parse_operation,
)


def painted(width, height, *messages, base=None):
    history = MaskHistory(width, height, base)
    for message in messages:
        history.apply(parse_operation(message, width, height))
    return history.mask


def stroke(points, radius, erase=False):
    return {"action": "draw", "shape": "stroke", "points": points, "radius": radius, "erase": erase}


def shape(kind, points, erase=False):
    return {"action": "draw", "shape": kind, "points": points, "erase": erase}


def cells(mask):
    """The painted pixels as a set of (x, y)."""
    ys, xs = np.nonzero(mask)
    return set(zip(xs.tolist(), ys.tolist(), strict=True))


# -- the pixel rule, against a plain per-pixel reference ---------------------------------------


def reference_stroke(width, height, points, radius):
    """Pixel by pixel: is the centre within ``radius`` of a segment?"""
    out = np.zeros((height, width), bool)
    pairs = list(zip(points[:-1], points[1:], strict=True)) or [(points[0], points[0])]
    for y in range(height):
        for x in range(width):
            cx, cy = x + 0.5, y + 0.5
            for (ax, ay), (bx, by) in pairs:
                dx, dy = bx - ax, by - ay
                length2 = dx * dx + dy * dy
                t = (
                    0.0
                    if length2 == 0
                    else min(1.0, max(0.0, ((cx - ax) * dx + (cy - ay) * dy) / length2))
                )
                if (ax + t * dx - cx) ** 2 + (ay + t * dy - cy) ** 2 <= radius * radius:
                    out[y, x] = True
                    break
    return out


def reference_polygon(width, height, points):
    """Pixel by pixel: even-odd count of the edges a ray from the centre to the right
    crosses (an edge holds its lower end, not its upper one)."""
    out = np.zeros((height, width), bool)
    edges = list(zip(points, points[1:] + points[:1], strict=True))
    for y in range(height):
        for x in range(width):
            cx, cy = x + 0.5, y + 0.5
            inside = False
            for edge in edges:
                (ax, ay), (bx, by) = sorted(edge, key=lambda p: p[1])  # from the lower end
                if ay <= cy < by and cx < ax + (cy - ay) * (bx - ax) / (by - ay):
                    inside = not inside
            out[y, x] = inside
    return out


# whole and half numbers often: they put vertices and edges exactly on pixel borders and centres
coordinate = st.one_of(
    st.integers(-16, 80).map(lambda v: v / 2),
    st.floats(min_value=-8, max_value=40, allow_nan=False).map(lambda v: round(v, 2)),
)
point = st.tuples(coordinate, coordinate)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(point, min_size=1, max_size=5),
    st.floats(min_value=0.3, max_value=9).map(lambda v: round(v, 2)),
)
def test_strokes_paint_exactly_the_pixels_whose_centres_are_within_the_radius(points, radius):
    flat = [v for p in points for v in p]
    assert (painted(33, 21, stroke(flat, radius)) == reference_stroke(33, 21, points, radius)).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(point, min_size=3, max_size=7))
def test_polygons_fill_the_pixels_whose_centres_are_inside_even_odd(points):
    flat = [v for p in points for v in p]
    assert (painted(33, 21, shape("polygon", flat)) == reference_polygon(33, 21, points)).all()


# -- sizes, edges, brush sizes -------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1, 1), (640, 360), (361, 641), (1920, 1080)])
def test_the_mask_has_exactly_the_videos_size(size):
    width, height = size
    mask = painted(width, height, shape("rect", [-5, -5, width + 5, height + 5]))
    assert mask.shape == (height, width) and mask.all()
    png = Image.open(io.BytesIO(masks.mask_png(mask)))
    assert png.size == (width, height) and png.mode == "RGB"


def test_a_click_paints_the_four_pixels_around_a_grid_point_at_radius_1():
    # pixel centres around (10, 10) are 0.71 away: inside radius 1, outside radius 0.7
    assert cells(painted(20, 20, stroke([10, 10], 1))) == {(9, 9), (10, 9), (9, 10), (10, 10)}
    assert not painted(20, 20, stroke([10, 10], 0.7)).any()
    assert cells(painted(20, 20, stroke([10.5, 10.5], 0.5))) == {(10, 10)}


@pytest.mark.parametrize("radius", [1, 2, 5, 20, 60])
def test_a_click_paints_a_disc_of_the_brush_size(radius):
    mask = painted(200, 200, stroke([100, 100], radius))
    assert abs(mask.sum() - math.pi * radius * radius) <= 4 * radius + 2
    ys, xs = np.nonzero(mask)
    assert xs.max() - xs.min() + 1 <= 2 * radius and ys.max() - ys.min() + 1 <= 2 * radius


def test_bigger_brushes_cover_what_smaller_ones_do():
    line = [20, 30, 150, 80, 170, 20]
    previous = None
    for radius in (1, 3, 8, 15):
        mask = painted(200, 100, stroke(line, radius))
        if previous is not None:
            assert mask[previous].all() and mask.sum() > previous.sum()
        previous = mask


def test_strokes_at_the_edges_are_clipped_and_outside_paints_nothing():
    corner = painted(50, 40, stroke([0, 0], 3))
    assert cells(corner) == {
        (x, y) for x in range(3) for y in range(3) if (x + 0.5) ** 2 + (y + 0.5) ** 2 <= 9
    }
    assert not painted(50, 40, stroke([-10, -10, 60, -10], 10.4)).any()  # row 0 is 10.5 away
    assert cells(painted(50, 40, stroke([-10, -10, 60, -10], 10.5))) == {(x, 0) for x in range(50)}
    # a click on the right edge, between two rows: the nearest centres are 0.71 away
    assert not painted(50, 40, stroke([50, 20], 0.7)).any()
    assert cells(painted(50, 40, stroke([50, 20], 0.71))) == {(49, 19), (49, 20)}


def test_rectangles_take_the_pixels_whose_centres_are_in_the_half_open_box():
    assert cells(painted(10, 10, shape("rect", [0, 0, 2, 2]))) == {(0, 0), (1, 0), (0, 1), (1, 1)}
    assert cells(painted(10, 10, shape("rect", [2, 2, 0, 0]))) == {(0, 0), (1, 0), (0, 1), (1, 1)}
    fractional = painted(10, 10, shape("rect", [0.4, 0.4, 2.6, 1.6]))
    assert cells(fractional) == {(x, y) for x in range(3) for y in range(2)}
    assert not painted(10, 10, shape("rect", [3, 3, 3, 8])).any()  # no width
    assert not painted(10, 10, shape("rect", [0.6, 0, 1.4, 5])).any()  # no centre inside
    assert painted(10, 10, shape("rect", [-100, -100, 100, 100])).all()


def test_a_square_polygon_is_the_same_as_the_rectangle():
    square = [3.2, 4.7, 17.9, 4.7, 17.9, 12.1, 3.2, 12.1]
    assert (
        painted(24, 16, shape("polygon", square))
        == painted(24, 16, shape("rect", [3.2, 4.7, 17.9, 12.1]))
    ).all()


def test_polygons_use_the_even_odd_rule_and_degenerate_ones_paint_nothing():
    star = [
        50 + 40 * v
        for a in range(5)
        for v in (math.sin(a * 4 * math.pi / 5), -math.cos(a * 4 * math.pi / 5))
    ]
    mask = painted(100, 100, shape("polygon", star))
    assert not mask[50, 50] and mask[15, 50]  # the centre of a pentagram is crossed twice
    assert not painted(30, 30, shape("polygon", [1, 1, 10, 10, 20, 20])).any()  # collinear
    assert not painted(30, 30, shape("polygon", [1, 5, 20, 5, 10, 5])).any()  # flat
    triangle = painted(200, 200, shape("polygon", [0, 0, 200, 0, 0, 200]))
    assert abs(triangle.sum() - 200 * 200 / 2) <= 200


def test_a_polygon_partly_outside_is_clipped():
    mask = painted(40, 30, shape("polygon", [-50, -50, 20, -50, 20, 15, -50, 15]))
    assert cells(mask) == {(x, y) for x in range(20) for y in range(15)}


# -- erase, invert, clear, undo ----------------------------------------------------------------


def test_erase_takes_painted_pixels_back():
    line = [10, 10, 90, 40]
    assert not painted(100, 50, stroke(line, 6), stroke(line, 6, erase=True)).any()
    partial = painted(
        100, 50, shape("rect", [0, 0, 100, 50]), shape("rect", [20, 10, 40, 30], erase=True)
    )
    assert partial.sum() == 100 * 50 - 20 * 20 and not partial[10:30, 20:40].any()
    polygon = painted(
        100, 50, shape("rect", [0, 0, 100, 50]), shape("polygon", [0, 0, 50, 0, 0, 50], erase=True)
    )
    assert not polygon[1, 1] and polygon[49, 99]


def test_invert_twice_and_clear():
    once = painted(30, 20, stroke([5, 5, 25, 15], 3), {"action": "invert"})
    twice = painted(30, 20, stroke([5, 5, 25, 15], 3), {"action": "invert"}, {"action": "invert"})
    assert (once == ~painted(30, 20, stroke([5, 5, 25, 15], 3))).all()
    assert (twice == painted(30, 20, stroke([5, 5, 25, 15], 3))).all()
    assert painted(30, 20, {"action": "invert"}).all()
    assert not painted(30, 20, stroke([5, 5], 4), {"action": "clear"}).any()


def test_undo_takes_back_the_last_operation_down_to_the_base():
    base = np.zeros((20, 30), bool)
    base[:, :5] = True
    history = MaskHistory(30, 20, base)
    states = [history.mask.copy()]
    for op in (
        Draw("rect", ((10, 2), (20, 8))),
        Invert(),
        Draw("stroke", ((3, 3), (25, 17)), 2.0, True),
        Clear(),
    ):
        history.apply(op)
        states.append(history.mask.copy())
    assert history.can_undo
    for expected in reversed(states[:-1]):
        assert history.undo()
        assert (history.mask == expected).all()
    assert not history.can_undo and not history.undo()
    assert (history.mask == base).all()


def test_the_mask_cannot_be_changed_from_outside():
    history = MaskHistory(10, 10)
    with pytest.raises(ValueError):
        history.mask[0, 0] = True
    with pytest.raises(ValueError, match="10x10"):
        MaskHistory(10, 10, np.zeros((5, 5), bool))


# -- what the page may send -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message, error",
    [
        (None, "JSON object"),
        ([1, 2], "JSON object"),
        ("draw", "JSON object"),
        ({}, "unknown action"),
        ({"action": "explode"}, "unknown action"),
        ({"action": "x" * 10_000}, "unknown action"),
        ({"action": "draw"}, "shape"),
        ({"action": "draw", "shape": "circle", "points": [1, 2]}, "shape"),
        ({"action": "draw", "shape": ["stroke"], "points": [1, 2]}, "shape"),
        (stroke([1, 2], 3) | {"erase": "yes"}, "erase"),
        (stroke([1, 2], 3) | {"erase": 1}, "erase"),
        (stroke(None, 3), "points"),
        (stroke([], 3), "points"),
        (stroke("1,2", 3), "points"),
        (stroke({"x": 1}, 3), "points"),
        (stroke([1, 2, 3], 3), "pairs"),
        (stroke([1, "2"], 3), "number"),
        (stroke([1, None], 3), "number"),
        (stroke([1, True], 3), "number"),
        (stroke([1, [2]], 3), "number"),
        (stroke([1, float("nan")], 3), "finite"),
        (stroke([1, float("inf")], 3), "finite"),
        (stroke([1, 1e12], 3), "finite"),
        (stroke([1, 2] * (MAX_POINTS + 1), 3), "at most"),
        (shape("stroke", [1, 2]), "radius"),
        (stroke([1, 2], 0), "radius"),
        (stroke([1, 2], -3), "radius"),
        (stroke([1, 2], 2001), "radius"),
        (stroke([1, 2], True), "radius"),
        (stroke([1, 2], "5"), "radius"),
        (stroke([1, 2], float("nan")), "radius"),
        (shape("rect", [1, 2]), "two corners"),
        (shape("rect", [1, 2, 3, 4, 5, 6]), "two corners"),
        (shape("polygon", [1, 2, 3, 4]), "three points"),
        # a zigzag across the whole frame with a wide brush: too much work for one message
        (stroke([0, 0, 1920, 1080] * 100, 500), "too long"),
    ],
)
def test_malformed_operations_are_refused_with_a_reason(message, error):
    with pytest.raises(OperationError, match=error):
        parse_operation(message, 1920, 1080)


def test_well_formed_operations_parse_to_what_they_say():
    assert parse_operation({"action": "invert", "seq": 3}, 10, 10) == Invert()
    assert parse_operation({"action": "clear"}, 10, 10) == Clear()
    op = parse_operation(stroke([1, 2.5, 3, 4], 2, erase=True), 10, 10)
    assert op == Draw("stroke", ((1.0, 2.5), (3.0, 4.0)), 2.0, True)
    big = parse_operation(stroke([0, 0, 1920, 1080] * 2, 40), 1920, 1080)
    assert len(big.points) == 4


# -- files -------------------------------------------------------------------------------------------


def test_the_saved_png_is_pure_black_and_white_at_full_size():
    mask = painted(64, 48, stroke([5, 5, 60, 40], 4))
    png = Image.open(io.BytesIO(masks.mask_png(mask)))
    rgb = np.asarray(png)
    assert png.format == "PNG" and rgb.shape == (48, 64, 3)
    assert {tuple(c) for c in rgb.reshape(-1, 3)} == {(0, 0, 0), (255, 255, 255)}
    assert ((rgb == 255).all(axis=2) == mask).all()


def test_the_tinted_preview_is_transparent_where_kept_and_tinted_where_edited():
    mask = painted(64, 48, shape("rect", [10, 10, 30, 20]))
    data = masks.tinted_png(mask)
    rgba = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))
    assert rgba.shape == (48, 64, 4)
    assert (rgba[..., 3] == 0).sum() == 64 * 48 - 200
    assert tuple(rgba[15, 15]) == (*MASK_TINT, 140)
    assert len(data) < 400  # 1 bit a pixel


def test_an_existing_mask_is_read_and_scaled_to_the_video():
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[:, 32:] = 255
    rgb[0, 0] = (128, 128, 128)  # grey: above the middle counts as white
    mask, size = masks.read_mask(encode_image(rgb), 64, 48)
    assert size == (64, 48) and mask[0, 0] and mask[:, 32:].all() and mask[1:, :32].sum() == 0
    scaled, size = masks.read_mask(encode_image(rgb), 128, 96)
    assert (
        size == (64, 48)
        and scaled.shape == (96, 128)
        and scaled[:, 64:].all()
        and not scaled[50, 10]
    )
    with pytest.raises(MediaReadError):
        masks.read_mask(b"not an image", 64, 48)
