"""The widgets: one per VACE function, and a studio holding all five."""

from .base import VaceWidget
from .functions import (
    ImageReferenceWidget,
    VideoEditWidget,
    VideoExtensionWidget,
    VideoOutpaintingWidget,
    VideoRepaintingWidget,
)
from .mask_painter import MaskPainter
from .studio import VaceStudio

__all__ = [
    "ImageReferenceWidget",
    "MaskPainter",
    "VaceStudio",
    "VaceWidget",
    "VideoEditWidget",
    "VideoExtensionWidget",
    "VideoOutpaintingWidget",
    "VideoRepaintingWidget",
]
