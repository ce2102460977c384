"""Painted masks: the operations a mask painter sends, checked, and turned into pixels.

The browser sends one small operation per finished stroke, never the pointer's path as it
moves, and the kernel draws the mask here at exactly the video's resolution. Coordinates
are video pixels, x to the right and y down; pixel (i, j) covers [i, i+1) × [j, j+1) and
belongs to a shape when its centre (i + 0.5, j + 0.5) does. So the mask does not depend
on the size the canvas had on screen, and every edge is decided the same way.

Operations (the message format, as sent by ``static/mask_painter.js``)::

    {"action": "draw", "shape": "stroke", "points": [x0, y0, x1, y1, ...], "radius": 9}
    {"action": "draw", "shape": "rect", "points": [x0, y0, x1, y1]}          # two corners
    {"action": "draw", "shape": "polygon", "points": [x0, y0, x1, y1, x2, y2, ...]}
    {"action": "invert"}  {"action": "clear"}

A draw paints white (edit) unless ``"erase": true``. A stroke is a brush line with round
ends and joins: the pixels within ``radius`` of it. A polygon is filled with the even-odd
rule (a lasso crossing itself leaves the crossed part out), as a canvas ``evenodd`` fill.
Messages come from a browser, so everything is checked and bounded before any work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .codec import MASK_TINT, MASK_TINT_ALPHA, Source, encode_image, read_image

if TYPE_CHECKING:
    import numpy as np

# numpy and Pillow are imported where they are used (see media.py): importing the package
# stays fast for a kernel that never paints.

__all__ = [
    "Clear",
    "Draw",
    "Invert",
    "MaskHistory",
    "Operation",
    "OperationError",
    "mask_png",
    "parse_operation",
    "read_mask",
    "tinted_png",
]

SHAPES = ("stroke", "rect", "polygon")
#: at most this many points in one operation (a long stroke is thinned out in the browser)
MAX_POINTS = 4096
#: the largest brush radius, in video pixels
MAX_RADIUS = 2000.0
#: coordinates beyond this (in video pixels) are refused as nonsense
MAX_COORDINATE = 100_000.0
#: a stroke may test at most this many pixels (the sum of its segments' clipped boxes),
#: so that no message can keep the kernel busy for long
MAX_STROKE_WORK = 60_000_000


class OperationError(ValueError):
    """An operation we refuse: malformed, out of bounds or too big. Nothing was drawn."""


@dataclass(frozen=True)
class Draw:
    """Paint (or with ``erase``, unpaint) a stroke, rectangle or polygon."""

    shape: str
    points: tuple[tuple[float, float], ...]
    radius: float = 0.0
    erase: bool = False


@dataclass(frozen=True)
class Invert:
    """Swap edit and keep everywhere."""


@dataclass(frozen=True)
class Clear:
    """Keep everything: an all-black mask."""


Operation = Draw | Invert | Clear


def parse_operation(message: object, width: int, height: int) -> Operation:
    """The operation a front-end message asks for, on a ``width`` × ``height`` mask.

    Raises OperationError, saying what is wrong, for anything else."""
    if not isinstance(message, dict):
        raise OperationError("an operation must be a JSON object")
    action = message.get("action")
    if action == "invert":
        return Invert()
    if action == "clear":
        return Clear()
    if action != "draw":
        raise OperationError(f"unknown action {str(action)[:40]!r}")
    shape = message.get("shape")
    if shape not in SHAPES:
        raise OperationError(f"shape must be one of {', '.join(SHAPES)}")
    erase = message.get("erase", False)
    if not isinstance(erase, bool):
        raise OperationError("erase must be true or false")
    points = _points(message.get("points"))
    radius = 0.0
    if shape == "stroke":
        radius = _number(message.get("radius"), "radius")
        if not 0 < radius <= MAX_RADIUS:
            raise OperationError(f"radius must be above 0 and at most {MAX_RADIUS:g}")
        if _stroke_work(points, radius, width, height) > MAX_STROKE_WORK:
            raise OperationError("the stroke is too long for its brush size")
    elif shape == "rect" and len(points) != 2:
        raise OperationError("a rectangle takes exactly two corners")
    elif shape == "polygon" and len(points) < 3:
        raise OperationError("a polygon takes at least three points")
    return Draw(shape, points, radius, erase)


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OperationError(f"{name} must be a number")
    if not math.isfinite(value) or abs(value) > MAX_COORDINATE:
        raise OperationError(f"{name} must be a finite number within ±{MAX_COORDINATE:g}")
    return float(value)


def _points(value: object) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list) or not value:
        raise OperationError("points must be a non-empty list [x0, y0, x1, y1, ...]")
    if len(value) % 2:
        raise OperationError("points must hold x, y pairs (an even count of numbers)")
    if len(value) > 2 * MAX_POINTS:
        raise OperationError(f"at most {MAX_POINTS} points in one operation")
    numbers = [_number(v, "each coordinate") for v in value]
    return tuple(zip(numbers[::2], numbers[1::2], strict=True))


def _segments(points: tuple[tuple[float, float], ...]):
    """The stroke's segments; a single point (a click) is a segment of length zero."""
    if len(points) == 1:
        return [(points[0], points[0])]
    return zip(points[:-1], points[1:], strict=True)


def _span(low: float, high: float, size: int) -> tuple[int, int]:
    """Indices [first, end) of the pixels whose centres lie in [low, high], within the mask."""
    return max(0, math.ceil(low - 0.5)), min(size, math.floor(high - 0.5) + 1)


def _stroke_work(points, radius: float, width: int, height: int) -> int:
    work = 0
    for (ax, ay), (bx, by) in _segments(points):
        x0, x1 = _span(min(ax, bx) - radius, max(ax, bx) + radius, width)
        y0, y1 = _span(min(ay, by) - radius, max(ay, by) + radius, height)
        work += max(0, x1 - x0) * max(0, y1 - y0)
    return work


# -- drawing -------------------------------------------------------------------------------


def paint(mask: np.ndarray, op: Operation) -> None:
    """Apply one operation to a boolean mask of shape (height, width), in place."""
    if isinstance(op, Invert):
        mask[...] = ~mask
    elif isinstance(op, Clear):
        mask[...] = False
    elif op.shape == "stroke":
        _paint_stroke(mask, op.points, op.radius, not op.erase)
    elif op.shape == "rect":
        _paint_rect(mask, op.points, not op.erase)
    else:
        _paint_polygon(mask, op.points, not op.erase)


def _paint_stroke(mask: np.ndarray, points, radius: float, value: bool) -> None:
    """Every pixel whose centre is within ``radius`` of one of the segments."""
    import numpy as np

    height, width = mask.shape
    for (ax, ay), (bx, by) in _segments(points):
        x0, x1 = _span(min(ax, bx) - radius, max(ax, bx) + radius, width)
        y0, y1 = _span(min(ay, by) - radius, max(ay, by) + radius, height)
        if x0 >= x1 or y0 >= y1:
            continue
        cx = np.arange(x0, x1, dtype=np.float64)[None, :] + 0.5
        cy = np.arange(y0, y1, dtype=np.float64)[:, None] + 0.5
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        if length2 == 0:
            t = 0.0
        else:
            t = np.clip(((cx - ax) * dx + (cy - ay) * dy) / length2, 0.0, 1.0)
        px, py = ax + t * dx - cx, ay + t * dy - cy
        mask[y0:y1, x0:x1][px * px + py * py <= radius * radius] = value


def _paint_rect(mask: np.ndarray, points, value: bool) -> None:
    """Pixels whose centres lie in [left, right) × [top, bottom)."""
    height, width = mask.shape
    (ax, ay), (bx, by) = points
    x0, x1 = _half_open(min(ax, bx), max(ax, bx), width)
    y0, y1 = _half_open(min(ay, by), max(ay, by), height)
    if x0 < x1 and y0 < y1:
        mask[y0:y1, x0:x1] = value


def _half_open(low: float, high: float, size: int) -> tuple[int, int]:
    """Indices [first, end) of the pixels whose centres lie in [low, high)."""
    return max(0, math.ceil(low - 0.5)), min(size, math.ceil(high - 0.5))


def _paint_polygon(mask: np.ndarray, points, value: bool) -> None:
    """Even-odd fill, row by row: the pixels whose centres lie inside. An edge counts for
    the rows whose centres are in [its lower y, its upper y), and is always followed from
    its lower end, so an edge drawn twice (a lasso going back) cuts at the same x."""
    import numpy as np

    height, width = mask.shape
    start = np.array(points, np.float64)
    end = np.roll(start, -1, axis=0)
    sloped = start[:, 1] != end[:, 1]  # horizontal edges never cross a row's centre line
    start, end = start[sloped], end[sloped]
    if not len(start):
        return
    upward = start[:, 1] < end[:, 1]
    low = np.where(upward[:, None], start, end)
    high = np.where(upward[:, None], end, start)
    first, stop = _half_open(float(low[:, 1].min()), float(high[:, 1].max()), height)
    for row in range(first, stop):
        centre = row + 0.5
        crossing = (low[:, 1] <= centre) & (centre < high[:, 1])
        (x0, y0), (x1, y1) = low[crossing].T, high[crossing].T
        cuts = np.sort(x0 + (centre - y0) * (x1 - x0) / (y1 - y0))
        for left, right in zip(cuts[::2], cuts[1::2], strict=True):
            x_first, x_end = _half_open(float(left), float(right), width)
            if x_first < x_end:
                mask[row, x_first:x_end] = value


# -- history -------------------------------------------------------------------------------


class MaskHistory:
    """A mask, where it started from and the operations since, so they can be undone.

    Undo replays the operations kept, from the starting mask: nothing but the starting
    mask and the (small) operations is stored."""

    def __init__(self, width: int, height: int, base: np.ndarray | None = None):
        import numpy as np

        if base is not None and base.shape != (height, width):
            raise ValueError(
                f"the base mask is {base.shape[1]}x{base.shape[0]}, not {width}x{height}"
            )
        self.width, self.height = width, height
        self._base = np.zeros((height, width), bool) if base is None else base.astype(bool)
        self._mask = self._base.copy()
        self._operations: list[Operation] = []

    @property
    def mask(self) -> np.ndarray:
        """The current mask (True = edit), read-only."""
        view = self._mask.view()
        view.flags.writeable = False
        return view

    @property
    def can_undo(self) -> bool:
        return bool(self._operations)

    def apply(self, op: Operation) -> None:
        paint(self._mask, op)
        self._operations.append(op)

    def undo(self) -> bool:
        """Take the last operation back; False when there was none."""
        if not self._operations:
            return False
        self._operations.pop()
        self._mask = self._base.copy()
        for op in self._operations:
            paint(self._mask, op)
        return True


# -- files -----------------------------------------------------------------------------------


def read_mask(source: Source, width: int, height: int) -> tuple[np.ndarray, tuple[int, int]]:
    """An existing mask image as a boolean mask of ``width`` × ``height`` (white = edit, the
    same threshold the server's black/white rule implies), and the size it had.

    A mask of another size is scaled (nearest pixel), so it can be touched up and saved at
    the video's resolution."""
    import numpy as np
    from PIL import Image

    gray = read_image(source).mean(axis=2) > 127
    size = (gray.shape[1], gray.shape[0])
    if size != (width, height):
        scaled = Image.fromarray(gray).resize((width, height), Image.Resampling.NEAREST)
        gray = np.asarray(scaled, bool)
    return gray.copy(), size


def mask_png(mask: np.ndarray) -> bytes:
    """The mask as the API wants it: an RGB PNG of pure white (edit) and pure black (keep)."""
    import numpy as np

    rgb = np.zeros((*mask.shape, 3), np.uint8)
    rgb[mask] = 255
    return encode_image(rgb, "png")


def tinted_png(mask: np.ndarray) -> bytes:
    """A small transparent PNG that tints the edit region when laid over its frame, as
    ``media.overlay_mask`` does: two palette colours, 1 bit per pixel."""
    import io

    import numpy as np
    from PIL import Image

    image = Image.fromarray(mask.astype(np.uint8))
    image.putpalette([0, 0, 0, *MASK_TINT])
    buffer = io.BytesIO()
    alpha = round(MASK_TINT_ALPHA * 255)
    image.save(buffer, format="PNG", bits=1, transparency=bytes([0, alpha]))
    return buffer.getvalue()
