"""A preview of video_outpainting: the widened canvas, with the source frame inside.

Drawn in the browser (``static/outpaint_preview.js``) from the first frame, sent once as a
small JPEG, and four numbers computed here; moving a scale sends only the new numbers.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..contract import constants as c
from ..contract.request_models import is_remote_url
from ..media.codec import MediaReadError, probe, thumbnail

__all__ = ["OutpaintPreview", "connect_outpaint_preview", "widened_canvas"]

_STATIC = Path(__file__).parent / "static"
#: the first frame's preview: the longest side in pixels
PREVIEW_MAX_SIDE = 320


def widened_canvas(
    width: int, height: int, top: float, bottom: float, left: float, right: float
) -> dict[str, int]:
    """The outpainted canvas and where the source sits in it, in source pixels.

    Each scale says how far its side reaches from the centre, relative to the original
    (1.5: half as far again), as the emulator renders it; the service then scales the
    result into the 720P tier."""
    return {
        "width": round(width * (left + right) / 2),
        "height": round(height * (top + bottom) / 2),
        "x": round(width / 2 * (left - 1)),
        "y": round(height / 2 * (top - 1)),
        "source_width": width,
        "source_height": height,
    }


def _scale() -> traitlets.Float:
    low, high = c.SCALE_RANGE
    return traitlets.Float(1.0, min=low, max=high)


class OutpaintPreview(anywidget.AnyWidget):
    """The first frame of ``video`` placed in the canvas the four scales widen it to."""

    _esm = _STATIC / "outpaint_preview.js"

    frame_jpeg = traitlets.Bytes(b"").tag(sync=True)
    canvas = traitlets.Dict({}, help="widened_canvas() of the video; {} without one").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)

    video = traitlets.Any(None, allow_none=True, help="path or bytes of the source video")
    top_scale = _scale()
    bottom_scale = _scale()
    left_scale = _scale()
    right_scale = _scale()

    def __init__(self, video: Any = None, **scales: float):
        self._size: tuple[int, int] | None = None  # the video's, once it is read
        super().__init__(**scales)
        self.video = video

    def __repr__(self) -> str:
        box = self.canvas
        size = f"{box['width']}x{box['height']}" if box else "no video"
        return f"OutpaintPreview(canvas={size})"

    @traitlets.validate("top_scale", "bottom_scale", "left_scale", "right_scale")
    def _finite(self, proposal) -> float:
        if not math.isfinite(proposal["value"]):  # NaN slips past min and max
            raise traitlets.TraitError(f"{proposal['trait'].name} must be a number from 1 to 2")
        return proposal["value"]

    @traitlets.observe("video")
    def _on_video(self, change) -> None:
        value, self._size, jpeg, message = change["new"], None, b"", ""
        if isinstance(value, (str, Path)) and not is_remote_url(str(value)):
            value = Path(value).expanduser()
        if isinstance(value, (bytes, Path)):
            try:
                info = probe(value)
                jpeg = thumbnail(value, max_side=PREVIEW_MAX_SIDE)
                self._size = (info.width, info.height)
            except MediaReadError as exc:
                message = f"no preview: {exc}"
        with self.hold_sync():
            self.frame_jpeg, self.message = jpeg, message
            self._place()

    @traitlets.observe("top_scale", "bottom_scale", "left_scale", "right_scale")
    def _place(self, _change=None) -> None:
        if self._size is None:
            self.canvas = {}
            return
        scales = (self.top_scale, self.bottom_scale, self.left_scale, self.right_scale)
        self.canvas = widened_canvas(*self._size, *scales)


def connect_outpaint_preview(preview: OutpaintPreview, video: Any, scales: dict[str, Any]) -> None:
    """Let the preview follow a form: the ``video`` picker and a control per scale field
    (``top_scale`` …), each with a ``value``."""

    def on_video(_change=None) -> None:
        preview.video = video.value

    def follow(name: str, control: Any) -> None:
        setattr(preview, name, control.value)
        control.observe(lambda change: setattr(preview, name, change["new"]), "value")

    on_video()
    video.observe(on_video, "value")
    for name, control in scales.items():
        follow(name, control)
