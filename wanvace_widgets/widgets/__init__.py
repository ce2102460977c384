"""The widgets: one per VACE function, a history of every job, and a studio holding all."""

from .base import VaceWidget
from .functions import (
    ImageReferenceWidget,
    VideoEditWidget,
    VideoExtensionWidget,
    VideoOutpaintingWidget,
    VideoRepaintingWidget,
)
from .history import JobHistory
from .mask_painter import MaskPainter
from .studio import VaceStudio

__all__ = [
    "ImageReferenceWidget",
    "JobHistory",
    "MaskPainter",
    "VaceStudio",
    "VaceWidget",
    "VideoEditWidget",
    "VideoExtensionWidget",
    "VideoOutpaintingWidget",
    "VideoRepaintingWidget",
]
