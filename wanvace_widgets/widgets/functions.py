"""The five widgets, one per VACE function: which fields each shows, and their help."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import ipywidgets as W

from .. import contract as c
from ..media import mask_preview
from ..params import form_params, param
from ..requests import (
    ImageReference,
    VaceRequest,
    VideoEdit,
    VideoExtension,
    VideoOutpainting,
    VideoRepainting,
    is_remote_url,
)
from .base import VaceWidget
from .fields import Field
from .form_check import on_screen
from .mask_painter import MaskPainter, connect_painter
from .outpaint_preview import OutpaintPreview, connect_outpaint_preview

__all__ = [
    "ImageReferenceWidget",
    "VideoEditWidget",
    "VideoExtensionWidget",
    "VideoOutpaintingWidget",
    "VideoRepaintingWidget",
]

_REFS = param("image_reference", "ref_images")
_TAGS = param("image_reference", "obj_or_bg")
_LISTS = (_REFS.attr, _TAGS.attr)
#: the image slots of the image_reference form, 1 … the API's maximum
_SLOTS = range(1, _REFS.length[1] + 1)


def _image_slots() -> tuple[Field, ...]:
    """One image row and one tag row per reference image the API takes (1–3): the table's
    two list rows, split into slots a form can show. The second image is offered as the
    background."""
    slots = []
    for i in _SLOTS:
        label = f"{_REFS.label} {i}"
        slots.append(
            replace(_REFS, attr=f"ref_image_{i}", kind="media", label=label, required=i == 1)
        )
        slots.append(
            replace(
                _TAGS,
                attr=f"tag_{i}",
                kind="choice",
                label=f"image {i} is",
                required=True,
                suggested="bg" if i == 2 else "obj",
            )
        )
    return tuple(slots)


class ImageReferenceWidget(VaceWidget):
    """``image_reference``: a video from 1–3 reference images."""

    request_class = ImageReference
    title = "Image reference"
    intro = (
        "Make a 5 s video from 1–3 reference images: subjects ('obj') placed in a "
        "background ('bg')."
    )
    extend_prompt_by_default = True
    source_field = None
    fields = (
        *_image_slots(),
        *(f for f in form_params("image_reference") if f not in (_REFS, _TAGS)),
    )

    def _values(self) -> dict[str, Any]:
        values = super()._values()
        images, tags = [], []
        for i in _SLOTS:
            image, tag = values.pop(f"ref_image_{i}"), values.pop(f"tag_{i}")
            if image is not None:
                images.append(image)
                tags.append(tag)
        values["ref_images"] = images or None
        values["obj_or_bg"] = tags or None
        return values

    def _place(self, problems: dict[str, str]) -> dict[str, str]:
        """The images' problems beside their own slots: "entry 2 …" of the image list beside
        the second image given; a rule of the tags beside the "image N is" of each image."""
        placed = super()._place({k: v for k, v in problems.items() if k not in _LISTS})
        filled = [i for i in _SLOTS if self._controls[f"ref_image_{i}"].read() is not None]
        for attr, rule in problems.items():
            if attr not in _LISTS:
                continue
            entry = re.match(r"entry (\d+) ", rule)
            if entry and int(entry[1]) <= len(filled):
                slots = [filled[int(entry[1]) - 1]]
                rule = rule[entry.end() :]
            else:
                slots = filled or [1]
            slot = "ref_image_{}" if attr == _REFS.attr else "tag_{}"
            for i in slots:
                placed.setdefault(slot.format(i), on_screen(rule, self.request_class.function))
        return placed

    def _write_fields(self, request: VaceRequest) -> None:
        tags = list(request.obj_or_bg or ["obj"] * len(request.ref_images))
        for i in _SLOTS:
            has = i <= len(request.ref_images)
            self._controls[f"ref_image_{i}"].write(request.ref_images[i - 1] if has else None)
            if has:
                self._controls[f"tag_{i}"].write(tags[i - 1])
        self._controls["size"].write(request.size)


class VideoRepaintingWidget(VaceWidget):
    """``video_repainting``: keep the motion of a video, repaint its look."""

    request_class = VideoRepainting
    title = "Video repainting"
    intro = (
        "Keep a video's motion and composition, and repaint it from the prompt "
        "(optionally with a subject image)."
    )
    fields = form_params("video_repainting")


class VideoEditWidget(VaceWidget):
    """``video_edit``: change only the masked region of a video."""

    request_class = VideoEdit
    title = "Video edit"
    intro = (
        "Change only part of a video. In the mask, WHITE pixels are edited and BLACK "
        "pixels are kept; the mask must have the video's resolution."
    )
    fields = form_params("video_edit")

    def __init__(self, client: Any = None, request: VaceRequest | None = None):
        self._overlay = W.HTML()
        self._painter = MaskPainter()
        super().__init__(client=client, request=request)
        self._add_below(None, self._overlay)
        # the mask painter (mask_painter.py), under the mask field it fills
        self._add_below(self._controls["mask_image"].widget, self._painter)
        fields = ("video", "mask_image", "mask_frame_id")
        connect_painter(self._painter, *(self._controls[f].control for f in fields))

    def _after_check(self, request: VaceRequest) -> None:
        """Lay the mask over its frame, so a wrong polarity is seen before paying."""
        if self._painter.owns(request.mask_image):  # the painter shows this one already
            self._overlay.value, self._overlay_key = "", None
            return
        key = (str(request.video), str(request.mask_image), request.mask_frame_id)
        if key != getattr(self, "_overlay_key", None):
            self._overlay.value = mask_overlay_html(request)
            self._overlay_key = key


def mask_overlay_html(request: VideoEdit) -> str:
    """The mask's frame with the region to edit tinted, or "" when not both local."""
    video, mask = request.video, request.mask_image
    if video is None or mask is None or is_remote_url(video) or is_remote_url(mask):
        return ""
    frame_id = request.mask_frame_id or c.MASK_FRAME_ID_MIN
    preview = mask_preview(_source(video), _source(mask), frame_id, c.VIDEO_MIN_FPS)
    data = base64.b64encode(preview).decode()
    return (
        "<div style='font-size:12px'><img src='data:image/jpeg;base64," + data + "' "
        "style='border:1px solid #ddd'/><br>Frame " + str(frame_id) + " with the mask: the "
        "<b style='color:#d0005a'>tinted</b> region (white in the mask) will be edited.</div>"
    )


def _source(value: Any) -> Any:
    return value if isinstance(value, bytes) else Path(value).expanduser()


class VideoExtensionWidget(VaceWidget):
    """``video_extension``: a 5 s video from or into given frames and clips."""

    request_class = VideoExtension
    title = "Video extension"
    intro = (
        "Make a 5 s video that continues from a first frame or clip, leads into a last "
        "frame or clip, or joins both. Clips: MP4, together at most 3 s."
    )
    source_field = "first_clip"
    fields = form_params("video_extension")


class VideoOutpaintingWidget(VaceWidget):
    """``video_outpainting``: widen the frame of a video."""

    request_class = VideoOutpainting
    title = "Video outpainting"
    intro = (
        "Widen a video's frame: each scale (1–2) says how far that side reaches, "
        "1.5 = one and a half times the original."
    )
    fields = form_params("video_outpainting")
    source_thumbnail = False  # the widened canvas below shows the source's first frame

    def __init__(self, client: Any = None, request: VaceRequest | None = None):
        super().__init__(client=client, request=request)
        # the widened canvas (outpaint_preview.py), under the scales
        self._preview = OutpaintPreview()
        scales = {name: self._controls[name].control for name in c.SCALE_FIELDS}
        connect_outpaint_preview(self._preview, self._controls["video"].control, scales)
        self._add_below(self._controls[c.SCALE_FIELDS[-1]].widget, self._preview)
