"""The five widgets, one per VACE function: their titles, and what a function adds to the
shared body (``base.py``): image_reference's image slots, video_edit's mask painter,
video_outpainting's widened canvas."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from .. import contract as c
from ..params import form_params, param
from ..requests import (
    ImageReference,
    VaceRequest,
    VideoEdit,
    VideoExtension,
    VideoOutpainting,
    VideoRepainting,
)
from .base import VaceWidget
from .fields import Field
from .form import Form
from .form_check import on_screen
from .mask_painter import MaskPainter, connect_expand_preview, connect_painter
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
_SLOT_ATTRS = {f"{kind}_{i}" for kind in ("ref_image", "tag") for i in _SLOTS}


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


class ImageReferenceForm(Form):
    """The image_reference form: the table's two list rows shown as image slots, each
    with its own "image N is" (see ``_image_slots``)."""

    def values(self) -> dict[str, Any]:
        values = super().values()
        images, tags = [], []
        for i in _SLOTS:
            image, tag = values.pop(f"ref_image_{i}"), values.pop(f"tag_{i}")
            if image is not None:
                images.append(image)
                tags.append(tag)
        values["ref_images"] = images or None
        values["obj_or_bg"] = tags or None
        return values

    def place(self, problems: dict[str, str]) -> dict[str, str]:
        """The images' problems beside their own slots: "entry 2 …" of the image list beside
        the second image given; a rule of the tags beside the "image N is" of each image."""
        placed = super().place({k: v for k, v in problems.items() if k not in _LISTS})
        filled = [i for i in _SLOTS if self.controls[f"ref_image_{i}"].read() is not None]
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
                placed.setdefault(slot.format(i), on_screen(rule, self.function))
        return placed

    def write(self, request: VaceRequest) -> None:
        tags = list(request.obj_or_bg or ["obj"] * len(request.ref_images))
        for attr, ctrl in self.controls.items():
            if attr not in _SLOT_ATTRS:
                ctrl.write(getattr(request, attr))
        for i in _SLOTS:
            has = i <= len(request.ref_images)
            self.controls[f"ref_image_{i}"].write(request.ref_images[i - 1] if has else None)
            if has:
                self.controls[f"tag_{i}"].write(tags[i - 1])


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
    fields = tuple(
        slot
        for row in form_params("image_reference")
        for slot in (_image_slots() if row is _REFS else () if row is _TAGS else (row,))
    )
    form_class = ImageReferenceForm


class VideoRepaintingWidget(VaceWidget):
    """``video_repainting``: keep the motion of a video, repaint its look."""

    request_class = VideoRepainting
    title = "Video repainting"
    intro = (
        "Keep a video's motion and composition, and repaint it from the prompt "
        "(optionally with a subject image)."
    )


class VideoEditWidget(VaceWidget):
    """``video_edit``: change only the masked region of a video."""

    request_class = VideoEdit
    title = "Video edit"
    intro = (
        "Change only part of a video. In the mask, WHITE pixels are edited and BLACK "
        "pixels are kept; the mask must have the video's resolution."
    )

    # one view of the mask: the painter shows the frame and the mask (one picked in the
    # field is loaded into it), so neither field shows a thumbnail of its own
    no_preview = ("video", "mask_image")

    def __init__(self, client: Any = None, request: VaceRequest | None = None):
        self._painter = MaskPainter()
        super().__init__(client=client, request=request)
        # the mask painter (mask_painter.py), under the mask frame it sets
        self._form.add_below("mask_frame_id", self._painter)
        fields = ("video", "mask_image", "mask_frame_id")
        connect_painter(self._painter, *(self.controls[f].control for f in fields))
        expand = {f: self.controls[f].control for f in ("mask_type", "expand_ratio", "expand_mode")}
        connect_expand_preview(self._painter, expand)

    @property
    def painter(self) -> MaskPainter:
        """The mask painter of this form."""
        return self._painter


class VideoExtensionWidget(VaceWidget):
    """``video_extension``: a 5 s video from or into given frames and clips."""

    request_class = VideoExtension
    title = "Video extension"
    intro = (
        "Make a 5 s video that continues from a first frame or clip, leads into a last "
        "frame or clip, or joins both. Clips: MP4, together at most 3 s."
    )
    source_field = "first_clip"


class VideoOutpaintingWidget(VaceWidget):
    """``video_outpainting``: widen the frame of a video."""

    request_class = VideoOutpainting
    title = "Video outpainting"
    intro = (
        "Widen a video's frame: each scale (1–2) says how far that side reaches, "
        "1.5 = one and a half times the original."
    )
    no_preview = ("video",)  # the widened canvas below shows the source's first frame

    def __init__(self, client: Any = None, request: VaceRequest | None = None):
        super().__init__(client=client, request=request)
        # the widened canvas (outpaint_preview.py), under the scales
        self._preview = OutpaintPreview()
        scales = {name: self.controls[name].control for name in c.SCALE_FIELDS}
        connect_outpaint_preview(self._preview, self.controls["video"].control, scales)
        self._form.add_below(c.SCALE_FIELDS[-1], self._preview)

    @property
    def preview(self) -> OutpaintPreview:
        """The widened canvas of this form."""
        return self._preview
