"""The documented limits of one input file (``docs/api-contract.md`` §4, §17.3), as one check.

The client applies it to local files before uploading them (``media/local_files.py``), the
emulator to every file after downloading it (``emulator/validation.py``), so a file the
client lets through is one the emulator takes. The limits of each kind of file are a row
of :data:`LIMITS`; rules between two files or fields (a mask's resolution, the clips' total
length, the mask's frame, a duration within the source) are written on each side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..media.codec import MediaInfo
from . import constants as c
from .params import IMAGE_MEDIA, MediaKind

__all__ = ["IMAGE_FORMATS", "LIMITS", "FileLimits", "file_problem"]

#: §4.2: what media.probe calls the accepted image formats
IMAGE_FORMATS = ("png", "jpeg", "bmp", "tiff", "webp")


@dataclass(frozen=True)
class FileLimits:
    """What one kind of file must be. ``formats`` as ``media.probe`` names them (MOV is
    probed as ``mp4``, the same container family); ``sides`` the range of each side in px,
    ``max_aspect`` of the long side over the short one, ``seconds`` a video's length (None:
    not checked). ``what`` names the formats in messages."""

    formats: tuple[str, ...]
    what: str
    max_bytes: int
    sides: tuple[int, int] | None = None
    max_aspect: float | None = None
    min_fps: float | None = None
    seconds: tuple[float, float] | None = None


_VACE_IMAGE = FileLimits(IMAGE_FORMATS, "a JPG, PNG, BMP, TIFF or WEBP image", c.IMAGE_MAX_BYTES)
_VACE_VIDEO = FileLimits(("mp4",), "an MP4 video", c.VIDEO_MAX_BYTES, min_fps=c.VIDEO_MIN_FPS)

#: each media kind's limits. A mask image has no side limits of its own: it must have its
#: video's resolution instead, whatever that is (§4.3).
LIMITS: Final[dict[str, FileLimits]] = {
    "image": FileLimits(
        IMAGE_FORMATS,
        _VACE_IMAGE.what,
        c.IMAGE_MAX_BYTES,
        sides=(c.IMAGE_MIN_SIDE_PX, c.IMAGE_MAX_SIDE_PX),
    ),
    "mask_image": _VACE_IMAGE,
    "video": _VACE_VIDEO,
    "clip": _VACE_VIDEO,
    "mask_video": _VACE_VIDEO,
    "edit_video": FileLimits(
        ("mp4",),
        "an MP4 or MOV video",
        c.EDIT27_VIDEO_MAX_BYTES,
        sides=c.EDIT27_VIDEO_SIDE_PX,
        max_aspect=c.EDIT27_MAX_ASPECT,
        seconds=c.EDIT27_VIDEO_SECONDS,
    ),
    "edit_reference": FileLimits(
        ("png", "jpeg", "bmp", "webp"),
        "a JPG, PNG, BMP or WEBP image",
        c.EDIT27_IMAGE_MAX_BYTES,
        sides=c.EDIT27_IMAGE_SIDE_PX,
        max_aspect=c.EDIT27_MAX_ASPECT,
    ),
}


def file_problem(media: MediaKind, info: MediaInfo) -> tuple[str, str] | None:
    """Why ``info`` cannot be a file of kind ``media``: (DashScope code, rule), or None."""
    limits = LIMITS[media]
    kind = "image" if media in IMAGE_MEDIA else "video"
    if info.kind != kind or info.format not in limits.formats:
        return "InvalidFile.Format", f"must be {limits.what}"
    if info.size_bytes > limits.max_bytes:
        noun = "images" if kind == "image" else "videos"
        return "InvalidFile.Size", f"is {_mb(info)}; {noun} may be at most {_mb_of(limits)}"
    return _shape_problem(limits, info) or _timing_problem(limits, info)


def _shape_problem(limits: FileLimits, info: MediaInfo) -> tuple[str, str] | None:
    if limits.sides is not None:
        low, high = limits.sides
        if not (low <= info.width <= high and low <= info.height <= high):
            return (
                "InvalidFile.Resolution",
                f"is {info.width}x{info.height}; each side must be {low}–{high} px",
            )
    if limits.max_aspect is not None:
        aspect = max(info.width, info.height) / max(1, min(info.width, info.height))
        if aspect > limits.max_aspect:
            ratio = f"1:{limits.max_aspect:g} and {limits.max_aspect:g}:1"
            return (
                "InvalidFile.Resolution",
                f"is {info.width}x{info.height}; its sides must be between {ratio}",
            )
    return None


def _timing_problem(limits: FileLimits, info: MediaInfo) -> tuple[str, str] | None:
    if limits.min_fps is not None and (info.fps or 0) < limits.min_fps:
        fps = info.fps or 0
        return "InvalidFile.FPS", f"has {fps:g} fps; at least {limits.min_fps:g} fps is needed"
    if limits.seconds is not None:
        low, high = limits.seconds
        seconds, slack = info.duration_s or 0.0, c.EDIT27_SECONDS_TOLERANCE
        if not (low - slack <= seconds <= high + slack):
            return (
                "InvalidFile.Duration",
                f"lasts {seconds:.2f} s; it must last {low:g}–{high:g} s",
            )
    return None


def _mb(info: MediaInfo) -> str:
    return f"{info.size_bytes / 2**20:.1f} MB"


def _mb_of(limits: FileLimits) -> str:
    return f"{limits.max_bytes // 2**20} MB"
