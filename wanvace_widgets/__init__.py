"""Jupyter widgets for Alibaba Cloud's Wan video editing: Wan2.1 VACE (``wan2.1-vace-plus``)
and Wan 2.7 video edit (``wan2.7-videoedit``).

Every public name loads on first use (PEP 562), so ``import wanvace_widgets.emulator`` or
``wanvace_widgets.requests`` pulls in neither ipywidgets nor the client: the layers stay
apart (``tests/test_layers.py``), and scripts that never show a widget never pay for it.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: module → the public names it defines (the TYPE_CHECKING imports below say the same for
#: type checkers; tests/test_exports.py keeps the two equal)
_MODULES = {
    ".backend": ("default_client", "emulator_client"),
    ".client": ("VaceClient",),
    ".config": ("Deadlines",),
    ".job_entry": ("JobEntry",),
    ".journal": ("Journal",),
    ".errors": (
        "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError",
        "AuthenticationError", "BadRequestError", "BudgetExceededError", "ConfigurationError",
        "ContentModerationError", "DownloadError", "InternalError", "JobInProgressError",
        "JobInterruptedError", "MalformedAnswerError",
        "NotFoundError", "PermissionDeniedError", "QuotaError", "QuotaStoreError",
        "RateLimitError", "ServerError", "SubmitNotCreatedError", "SubmitUnconfirmedError",
        "TaskCanceledError",
        "TaskDetachedError",
        "TaskError", "TaskFailedError", "TaskUnknownError", "UploadError", "VaceError",
        "ValidationError", "WaitTimeoutError",
    ),
    ".poll_plan": ("PollPlan",),
    ".polling": ("PollPolicy", "QuotaPolicy", "RetryPolicy"),
    ".regions": ("Endpoint", "resolve_endpoint"),
    ".requests": (
        "ImageReference", "InstructionEdit", "MediaInput", "VaceRequest", "VideoEdit",
        "VideoExtension", "VideoOutpainting", "VideoRepainting",
    ),
    ".tasks": ("Task", "TaskSnapshot"),
    ".widgets": (
        "ImageReferenceWidget", "InstructionEditWidget", "JobHistory", "MaskPainter",
        "VaceStudio", "VaceWidget", "VideoEditWidget", "VideoExtensionWidget",
        "VideoOutpaintingWidget", "VideoRepaintingWidget",
    ),
}  # fmt: skip
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> object:
    """Load a public name, or a submodule (``wanvace_widgets.backend``), on first use."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}"):
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# what type checkers and editors see; nothing is imported at run time (``__all__`` lists them)
if TYPE_CHECKING:
    from .backend import default_client, emulator_client
    from .client import VaceClient
    from .config import Deadlines
    from .errors import (
        APIConnectionError,
        APIError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        BudgetExceededError,
        ConfigurationError,
        ContentModerationError,
        DownloadError,
        InternalError,
        JobInProgressError,
        JobInterruptedError,
        MalformedAnswerError,
        NotFoundError,
        PermissionDeniedError,
        QuotaError,
        QuotaStoreError,
        RateLimitError,
        ServerError,
        SubmitNotCreatedError,
        SubmitUnconfirmedError,
        TaskCanceledError,
        TaskDetachedError,
        TaskError,
        TaskFailedError,
        TaskUnknownError,
        UploadError,
        VaceError,
        ValidationError,
        WaitTimeoutError,
    )
    from .job_entry import JobEntry
    from .journal import Journal
    from .poll_plan import PollPlan
    from .polling import PollPolicy, QuotaPolicy, RetryPolicy
    from .regions import Endpoint, resolve_endpoint
    from .requests import (
        ImageReference,
        InstructionEdit,
        MediaInput,
        VaceRequest,
        VideoEdit,
        VideoExtension,
        VideoOutpainting,
        VideoRepainting,
    )
    from .tasks import Task, TaskSnapshot
    from .widgets import (
        ImageReferenceWidget,
        InstructionEditWidget,
        JobHistory,
        MaskPainter,
        VaceStudio,
        VaceWidget,
        VideoEditWidget,
        VideoExtensionWidget,
        VideoOutpaintingWidget,
        VideoRepaintingWidget,
    )
