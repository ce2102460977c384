"""Jupyter widgets for Alibaba Cloud's Wan video editing: Wan2.1 VACE (``wan2.1-vace-plus``)
and Wan 2.7 video edit (``wan2.7-videoedit``).

Every public name loads on first use (PEP 562), so ``import wanvace_widgets.emulator`` or
``wanvace_widgets.contract`` pulls in neither ipywidgets nor the client: the layers stay apart
(``tests/test_layers.py``, ``docs/architecture.md``), and scripts that never show a widget
never pay for it. The subpackages are the layers: ``contract/`` (what DashScope accepts),
``jobs/`` (running a job: HTTP, polling, the journal), ``quota/``, ``media/``, ``widgets/``,
``apps/`` (the ``wanvace`` command) and ``emulator/``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: module → the public names it defines (the TYPE_CHECKING imports below say the same for
#: type checkers; tests/test_exports.py keeps the two equal)
_MODULES = {
    ".apps.backend": ("default_client", "emulator_client"),
    ".jobs.client": ("VaceClient",),
    ".jobs.deadlines": ("Deadlines",),
    ".jobs.job_entry": ("JobEntry",),
    ".jobs.journal": ("Journal",),
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
    ".jobs.poll_plan": ("PollPlan", "PollSchedule"),
    ".jobs.polling": ("PollPolicy",),
    ".jobs.http.retry": ("RetryPolicy",),
    ".quota.policy": ("QuotaPolicy",),
    ".contract.regions": ("Endpoint", "resolve_endpoint"),
    ".contract.request_models": (
        "ImageReference", "InstructionEdit", "MediaInput", "VaceRequest", "VideoEdit",
        "VideoExtension", "VideoOutpainting", "VideoRepainting",
    ),
    ".jobs.tasks": ("Task", "TaskSnapshot"),
    ".widgets": (
        "ImageReferenceWidget", "InstructionEditWidget", "JobHistory", "MaskPainter",
        "VaceStudio", "VaceWidget", "VideoEditWidget", "VideoExtensionWidget",
        "VideoOutpaintingWidget", "VideoRepaintingWidget",
    ),
}  # fmt: skip
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> object:
    """Load a public name on first use; a submodule is imported by name, as usual."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# what type checkers and editors see; nothing is imported at run time (``__all__`` lists them)
if TYPE_CHECKING:
    from .apps.backend import default_client, emulator_client
    from .contract.regions import Endpoint, resolve_endpoint
    from .contract.request_models import (
        ImageReference,
        InstructionEdit,
        MediaInput,
        VaceRequest,
        VideoEdit,
        VideoExtension,
        VideoOutpainting,
        VideoRepainting,
    )
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
    from .jobs.client import VaceClient
    from .jobs.deadlines import Deadlines
    from .jobs.http.retry import RetryPolicy
    from .jobs.job_entry import JobEntry
    from .jobs.journal import Journal
    from .jobs.poll_plan import PollPlan, PollSchedule
    from .jobs.polling import PollPolicy
    from .jobs.tasks import Task, TaskSnapshot
    from .quota.policy import QuotaPolicy
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
