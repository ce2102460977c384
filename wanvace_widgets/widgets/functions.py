"""The five widgets, one per VACE function: which fields each shows, and their help."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import ipywidgets as W

from .. import contract as c
from ..media import mask_preview
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
from .mask_painter import MaskPainter, connect_painter
from .outpaint_preview import OutpaintPreview, connect_outpaint_preview

__all__ = [
    "ImageReferenceWidget",
    "VideoEditWidget",
    "VideoExtensionWidget",
    "VideoOutpaintingWidget",
    "VideoRepaintingWidget",
]

_VIDEO_HELP = "MP4, ≥ 16 fps, ≤ 50 MB; only the first 5 s are used"
_IMAGE_HELP = "JPG/PNG/BMP/TIFF/WEBP, sides 360–2000 px, ≤ 10 MB"
_SIZE = Field(
    "size",
    "size",
    "choice",
    "output width*height",
    options=tuple(c.SIZES),
    default=c.DEFAULT_SIZE,
    required=True,
)
_TAG_HELP = (
    "obj = a subject (one per image, plain background); bg = the background scene (at most one)"
)


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
        *(
            f
            for i in (1, 2, 3)
            for f in (
                Field(
                    f"ref_image_{i}",
                    f"Reference image {i}",
                    "media",
                    _IMAGE_HELP,
                    media_kind="image",
                    required=i == 1,
                ),
                Field(
                    f"tag_{i}",
                    f"image {i} is",
                    "choice",
                    _TAG_HELP,
                    options=c.OBJ_OR_BG,
                    default="bg" if i == 2 else "obj",
                    required=True,
                ),
            )
        ),
        _SIZE,
    )

    def _values(self) -> dict[str, Any]:
        values = super()._values()
        images, tags = [], []
        for i in (1, 2, 3):
            image, tag = values.pop(f"ref_image_{i}"), values.pop(f"tag_{i}")
            if image is not None:
                images.append(image)
                tags.append(tag)
        values["ref_images"] = images
        values["obj_or_bg"] = tags or None
        values["size"] = None if values["size"] == c.DEFAULT_SIZE else values["size"]
        return values

    def _write_fields(self, request: VaceRequest) -> None:
        tags = list(request.obj_or_bg or ["obj"] * len(request.ref_images))
        for i in (1, 2, 3):
            has = i <= len(request.ref_images)
            self._controls[f"ref_image_{i}"].write(request.ref_images[i - 1] if has else None)
            if has:
                self._controls[f"tag_{i}"].write(tags[i - 1])
        self._controls["size"].write(request.size or c.DEFAULT_SIZE)


class VideoRepaintingWidget(VaceWidget):
    """``video_repainting``: keep the motion of a video, repaint its look."""

    request_class = VideoRepainting
    title = "Video repainting"
    intro = (
        "Keep a video's motion and composition, and repaint it from the prompt "
        "(optionally with a subject image)."
    )
    fields = (
        Field("video", "Source video", "media", _VIDEO_HELP, media_kind="video", required=True),
        Field(
            "control_condition",
            "keep",
            "choice",
            "posebodyface: face and body motion · posebody: body only · depth: composition and "
            "contours · scribble: line art",
            options=c.REPAINT_CONTROL_CONDITIONS,
            default="depth",
            required=True,
        ),
        Field(
            "strength",
            "strength",
            "float",
            "1 stays close to the source, 0 is freer",
            default=c.DEFAULT_STRENGTH,
            bounds=c.STRENGTH_RANGE,
        ),
        Field(
            "ref_image",
            "Subject image (optional)",
            "media",
            "replaces the subject of the video; " + _IMAGE_HELP,
            media_kind="image",
        ),
    )


class VideoEditWidget(VaceWidget):
    """``video_edit``: change only the masked region of a video."""

    request_class = VideoEdit
    title = "Video edit"
    intro = (
        "Change only part of a video. In the mask, WHITE pixels are edited and BLACK "
        "pixels are kept; the mask must have the video's resolution."
    )
    fields = (
        Field("video", "Source video", "media", _VIDEO_HELP, media_kind="video", required=True),
        Field(
            "mask_image",
            "Mask image",
            "media",
            "white = edit, black = keep; same resolution as the video (recommended)",
            media_kind="mask_image",
        ),
        Field(
            "mask_frame_id",
            "mask frame",
            "int",
            "the frame the mask image belongs to (1 = first)",
            default=1,
            bounds=(1, 10_000),
        ),
        Field(
            "mask_type",
            "mask type",
            "choice",
            "tracking: the region follows the object · fixed: the region stays still",
            options=c.MASK_TYPES,
        ),
        Field(
            "expand_ratio",
            "expand ratio",
            "float",
            "tracking only: how far the mask grows",
            default=c.DEFAULT_EXPAND_RATIO,
            bounds=c.EXPAND_RATIO_RANGE,
        ),
        Field(
            "expand_mode",
            "expand mode",
            "choice",
            "tracking only: hull (polygon), bbox (rectangle), original (the mask's shape)",
            options=c.EXPAND_MODES,
        ),
        Field(
            "mask_video",
            "…or a mask video",
            "media",
            "instead of a mask image: same fps, resolution and length as the video",
            media_kind="mask_video",
        ),
        Field(
            "ref_image",
            "Reference image (optional)",
            "media",
            "used in the edited region; " + _IMAGE_HELP,
            media_kind="image",
        ),
        Field(
            "control_condition",
            "keep",
            "choice",
            "posebodyface or depth of the source",
            options=c.EDIT_CONTROL_CONDITIONS,
        ),
        _SIZE,
    )

    def __init__(self, client: Any = None, request: VaceRequest | None = None):
        self._overlay = W.HTML()
        self._painter = MaskPainter()
        super().__init__(client=client, request=request)
        children = list(self.children)
        children.insert(children.index(self._form_error), self._overlay)
        # the mask painter (mask_painter.py), under the mask field it fills
        children.insert(children.index(self._controls["mask_image"].widget) + 1, self._painter)
        self.children = children
        fields = ("video", "mask_image", "mask_frame_id")
        connect_painter(self._painter, *(self._controls[f].control for f in fields))

    def _values(self) -> dict[str, Any]:
        values = super()._values()
        values["size"] = None if values["size"] == c.DEFAULT_SIZE else values["size"]
        return values

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
    fields = (
        Field(
            "first_clip", "First clip", "media", "the video continues from it", media_kind="clip"
        ),
        Field("first_frame", "First frame", "media", "the video starts here; " + _IMAGE_HELP),
        Field("last_frame", "Last frame", "media", "the video ends here; " + _IMAGE_HELP),
        Field("last_clip", "Last clip", "media", "the video leads into it", media_kind="clip"),
        Field(
            "video",
            "Motion video (optional)",
            "media",
            "only its motion is used; needs 'keep' below",
            media_kind="video",
        ),
        Field(
            "control_condition",
            "keep",
            "choice",
            "posebodyface or depth of the motion video",
            options=c.EXTENSION_CONTROL_CONDITIONS,
        ),
    )


class VideoOutpaintingWidget(VaceWidget):
    """``video_outpainting``: widen the frame of a video."""

    request_class = VideoOutpainting
    title = "Video outpainting"
    intro = (
        "Widen a video's frame: each scale (1–2) says how far that side reaches, "
        "1.5 = one and a half times the original."
    )
    fields = (
        Field("video", "Source video", "media", _VIDEO_HELP, media_kind="video", required=True),
        *(
            Field(
                name,
                name.replace("_", " "),
                "float",
                "1 = unchanged",
                default=1.0,
                bounds=c.SCALE_RANGE,
            )
            for name in c.SCALE_FIELDS
        ),
    )

    def __init__(self, client: Any = None, request: VaceRequest | None = None):
        super().__init__(client=client, request=request)
        # the widened canvas (outpaint_preview.py), under the scales
        self._preview = OutpaintPreview()
        scales = {name: self._controls[name].control for name in c.SCALE_FIELDS}
        connect_outpaint_preview(self._preview, self._controls["video"].control, scales)
        children = list(self.children)
        children.insert(
            children.index(self._controls[c.SCALE_FIELDS[-1]].widget) + 1, self._preview
        )
        self.children = children
