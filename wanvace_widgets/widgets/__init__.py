"""The widgets: one per function (VACE's five, Wan 2.7's instruction edit), a history of
every job, and a studio holding all."""

from .base import VaceWidget
from .functions import (
    ImageReferenceWidget,
    InstructionEditWidget,
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
    "InstructionEditWidget",
    "JobHistory",
    "MaskPainter",
    "VaceStudio",
    "VaceWidget",
    "VideoEditWidget",
    "VideoExtensionWidget",
    "VideoOutpaintingWidget",
    "VideoRepaintingWidget",
]
