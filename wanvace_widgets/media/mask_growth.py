"""Where a ``video_edit`` mask grows with ``mask_type="tracking"``: a preview of
``expand_ratio`` and ``expand_mode`` on the mask's own frame.

The reference names the three outlines (``hull``: a polygon around the region, ``bbox``:
its bounding rectangle, ``original``: the mask's own shape) and bounds the ratio to
[0, 1], but does not say how far a ratio reaches. The preview grows each side by
``expand_ratio`` of the region's width and height (an estimate, said so on screen).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["OUTLINE", "grown_region", "outline_png"]

#: the outline's colour on the frame: bright cyan, apart from the mask's pink tint
OUTLINE = (0, 229, 255)


def grown_region(mask: np.ndarray, ratio: float, mode: str) -> np.ndarray:
    """The pixels the edit may reach once ``mask`` (True = edit) grows by ``ratio`` into
    the outline ``mode`` names."""
    import numpy as np

    ys, xs = np.nonzero(mask)
    if not len(xs):
        return mask.copy()
    dx = round(ratio * (xs.max() - xs.min() + 1))
    dy = round(ratio * (ys.max() - ys.min() + 1))
    if mode == "bbox":
        region = np.zeros_like(mask)
        height, width = mask.shape
        region[
            max(0, ys.min() - dy) : min(height, ys.max() + dy + 1),
            max(0, xs.min() - dx) : min(width, xs.max() + dx + 1),
        ] = True
        return region
    grown = _grow(mask, dx, dy)
    return _hull(grown) if mode == "hull" else grown


def outline_png(region: np.ndarray) -> bytes:
    """A transparent PNG with a 2-pixel line along the edge of ``region`` (1 bit a pixel)."""
    import numpy as np
    from PIL import Image

    inner = ~_grow(~region, 1, 1)
    line = _grow(region, 1, 1) & ~inner
    image = Image.fromarray(line.astype(np.uint8))
    image.putpalette([0, 0, 0, *OUTLINE])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", bits=1, transparency=bytes([0, 255]))
    return buffer.getvalue()


def _grow(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``mask`` grown by ``dx`` pixels sideways and ``dy`` up and down (a rectangle's
    reach), in time linear in the pixels whatever the reach."""
    return _grow_axis(_grow_axis(mask, dx, 1), dy, 0)


def _grow_axis(mask: np.ndarray, reach: int, axis: int) -> np.ndarray:
    import numpy as np

    if reach <= 0:
        return mask
    size = mask.shape[axis]
    shape = list(mask.shape)
    shape[axis] = 1
    sums = np.concatenate(
        [np.zeros(shape, np.int32), np.cumsum(mask, axis=axis, dtype=np.int32)], axis=axis
    )
    index = np.arange(size)
    high = np.minimum(index + reach + 1, size)
    low = np.maximum(index - reach, 0)
    return (np.take(sums, high, axis=axis) - np.take(sums, low, axis=axis)) > 0


def _hull(mask: np.ndarray) -> np.ndarray:
    """The convex hull of ``mask``, filled (from each row's first and last pixel)."""
    import numpy as np
    from PIL import Image, ImageDraw

    rows = np.nonzero(mask.any(axis=1))[0]
    points: list[tuple[int, int]] = []
    for row in rows:
        xs = np.nonzero(mask[row])[0]
        left, right, y = int(xs[0]), int(xs[-1]) + 1, int(row)
        points += [(left, y), (right, y), (left, y + 1), (right, y + 1)]
    image = Image.new("1", (mask.shape[1], mask.shape[0]))
    ImageDraw.Draw(image).polygon(_convex(points), fill=1, outline=1)
    return np.asarray(image, dtype=bool) | mask


def _convex(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The convex hull of ``points`` (Andrew's monotone chain), counter-clockwise."""
    points = sorted(set(points))
    if len(points) < 3:
        return points

    def turn(o, a, b) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    upper: list[tuple[float, float]] = []
    for point in points:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    for point in reversed(points):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]
