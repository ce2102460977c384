"""The documented limits of one input file (``docs/api-contract.md`` §4), as one check.

The client applies it to local files before uploading them (``uploads.py``), the
emulator to every file after downloading it (``emulator/validation.py``), so a file the
client lets through is one the emulator takes. Rules between two files (a mask's
resolution, the clips' total length, the mask's frame) are written on each side.
"""

from __future__ import annotations

from . import contract as c
from .media import MediaInfo
from .params import IMAGE_MEDIA, MediaKind

__all__ = ["IMAGE_FORMATS", "file_problem"]

#: §4.2: what media.probe calls the accepted image formats
IMAGE_FORMATS = ("png", "jpeg", "bmp", "tiff", "webp")


def file_problem(media: MediaKind, info: MediaInfo) -> tuple[str, str] | None:
    """Why ``info`` cannot be a file of kind ``media``: (DashScope code, rule), or None.

    The 360–2000 px rule is for reference and frame images only: a mask image must have
    its video's resolution instead, whatever that is (§4.3).
    """
    if media in IMAGE_MEDIA:
        if info.kind != "image" or info.format not in IMAGE_FORMATS:
            return "InvalidFile.Format", "must be a JPG, PNG, BMP, TIFF or WEBP image"
        if info.size_bytes > c.IMAGE_MAX_BYTES:
            return "InvalidFile.Size", f"is {_mb(info)}; images may be at most 10 MB"
        low, high = c.IMAGE_MIN_SIDE_PX, c.IMAGE_MAX_SIDE_PX
        if media == "image" and not (low <= info.width <= high and low <= info.height <= high):
            return (
                "InvalidFile.Resolution",
                f"is {info.width}x{info.height}; each side must be "
                f"{c.IMAGE_MIN_SIDE_PX}–{c.IMAGE_MAX_SIDE_PX} px",
            )
        return None
    if info.kind != "video" or info.format != "mp4":
        return "InvalidFile.Format", "must be an MP4 video"
    if info.size_bytes > c.VIDEO_MAX_BYTES:
        return "InvalidFile.Size", f"is {_mb(info)}; videos may be at most 50 MB"
    if (info.fps or 0) < c.VIDEO_MIN_FPS:
        fps = info.fps or 0
        return "InvalidFile.FPS", f"has {fps:g} fps; at least {c.VIDEO_MIN_FPS} fps is needed"
    return None


def _mb(info: MediaInfo) -> str:
    return f"{info.size_bytes / 2**20:.1f} MB"
