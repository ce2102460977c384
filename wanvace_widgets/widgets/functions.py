"""The function widgets, one per function of each model: their titles, and what a
function adds to the shared body (``base.py``): video_edit's mask painter,
video_outpainting's widened canvas. The rest comes from the parameter table: a list of
images becomes image slots (``slots.py``) in any form."""

from __future__ import annotations

from typing import Any

from ..contract import constants as c
from ..contract.request_models import (
    ImageReference,
    InstructionEdit,
    VaceRequest,
    VideoEdit,
    VideoExtension,
    VideoOutpainting,
    VideoRepainting,
)
from .base import VaceWidget
from .mask_painter import MaskPainter, connect_expand_preview, connect_painter
from .outpaint_preview import OutpaintPreview, connect_outpaint_preview

__all__ = [
    "ImageReferenceWidget",
    "InstructionEditWidget",
    "VideoEditWidget",
    "VideoExtensionWidget",
    "VideoOutpaintingWidget",
    "VideoRepaintingWidget",
]


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


class InstructionEditWidget(VaceWidget):
    """``instruction_edit`` (Wan 2.7, ``wan2.7-videoedit``): edit a video by an instruction,
    optionally with up to 4 reference images."""

    request_class = InstructionEdit
    title = "Instruction edit"
    intro = (
        "Wan 2.7: edit a 2–10 s video (MP4/MOV) by an instruction, e.g. “turn it into "
        "claymation”; optional reference images give the people, clothes or props to use. "
        "Billed for the source's seconds plus the result's."
    )
    # the API's default: unlike VACE's editing functions, nothing recommends it off
    extend_prompt_by_default = True
