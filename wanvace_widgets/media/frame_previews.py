"""Small JPEGs of a video's frames, for scrubbing to the frame a mask belongs to.

Frames are decoded once, in order, as far as they are asked for, and kept as small JPEGs:
scrubbing back and forth then costs nothing, and the video is never held decoded in
memory. Only the frames a mask can belong to are offered: the API uses the first 5 s.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING

from ..contract import constants as c
from .codec import MediaInfo, MediaReadError, Source, iter_frames, jpeg_preview, probe

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FRAME_MAX_SIDE", "FramePreviews", "mask_frame_limit"]

#: the longest side of a frame preview: about as wide as the painter is on screen
FRAME_MAX_SIDE = 640


def mask_frame_limit(info: MediaInfo) -> int:
    """The last frame a mask image can belong to (1-based): the video's last frame within
    the first 5 s the API uses (§4: ``max_frame_id = fps × duration + 1``)."""
    frames = info.frames or 0
    if info.fps:
        frames = min(frames, math.floor(info.fps * c.VIDEO_USED_SECONDS) + 1)
    return max(0, frames)


class FramePreviews:
    """The frames of one video as JPEGs of at most ``max_side`` pixels a side."""

    def __init__(self, source: Source, max_side: int = FRAME_MAX_SIDE):
        self.info = probe(source)
        if self.info.kind != "video":
            raise MediaReadError("not a video")
        #: the last frame there is (it drops if the video has fewer frames than it says)
        self.limit = mask_frame_limit(self.info)
        if self.limit < 1:
            raise MediaReadError("the video has no frames")
        self._max_side = max_side
        self._decoder: Generator[np.ndarray, None, None] | None = iter_frames(source)
        self._jpegs: list[bytes] = []

    def jpeg(self, frame_id: int) -> tuple[int, bytes]:
        """The frame (1-based, clamped to the frames there are) and its JPEG."""
        frame_id = max(1, min(frame_id, self.limit))
        while len(self._jpegs) < frame_id and self._decoder is not None:
            rgb = next(self._decoder, None)
            if rgb is None:
                self.limit = len(self._jpegs)
                self.close()
            else:
                self._jpegs.append(jpeg_preview(rgb, self._max_side))
        if len(self._jpegs) >= self.limit:
            self.close()
        if not self._jpegs:
            raise MediaReadError("the video has no frames")
        frame_id = min(frame_id, len(self._jpegs))
        return frame_id, self._jpegs[frame_id - 1]

    def close(self) -> None:
        """Stop decoding (and release the file); the frames made so far stay available."""
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None
