"""VaceStudio: every function widget in tabs (VACE's five, then Wan 2.7's instruction
edit), above the history of every job.

Light on purpose: a function widget is a few hundred widget models (form rows, previews,
the mask painter), so each tab's widget is built the first time the tab is shown or asked
for (``studio[function]``, ``select``); a new studio builds only the first. Jobs move
between tabs through the widgets' public surface only: a result goes into another
function's form as a path relative to the notebook (``set_input``), a job's request back
into its own form (``set_request``). Shown as a cell's result, the studio also displays a
static copy of its finished jobs (``summary.py``), for a notebook reopened without widget
state and for HTML exports.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from ..contract.params import param
from ..contract.request_models import VaceRequest
from ..jobs.tasks import Task
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
from .player import display_path
from .summary import display_with_copy
from .tab_strip import TabStrip

__all__ = ["VaceStudio"]

_CLASSES: tuple[type[VaceWidget], ...] = (
    ImageReferenceWidget,
    VideoRepaintingWidget,
    VideoEditWidget,
    VideoExtensionWidget,
    VideoOutpaintingWidget,
    InstructionEditWidget,
)
_FUNCTIONS = tuple(cls.request_class.function for cls in _CLASSES)
#: where a result video can go next: (function, field)
_INPUTS = (
    ("video_repainting", "video"),
    ("video_edit", "video"),
    ("video_extension", "first_clip"),
    ("video_outpainting", "video"),
    ("instruction_edit", "video"),
)


class VaceStudio(W.VBox):
    """Every function of both models in tabs over a shared history (:class:`JobHistory`);
    a result can feed another tab, and a job's request can be loaded back into its form."""

    def __init__(self, client: Any = None):
        super().__init__()
        if client is None:
            from ..apps.backend import default_client

            client = default_client()
        self.client = client
        self._built: dict[str, VaceWidget] = {}
        self._tabs = TabStrip(labels=[cls.title for cls in _CLASSES], description="Functions")
        self._panels = W.Stack(children=[W.Box() for _ in _CLASSES], selected_index=0)
        self._panels.add_class("wanvace-tab-panels")
        self.history = JobHistory(client=client, title="Wan video studio")
        self.history.set_targets(
            [(_input_label(f, field), f, self._sender(f, field)) for f, field in _INPUTS]
        )
        self.history.set_loader(self._load)
        self.children = [self._tabs, self._panels, self.history]
        self.add_class("wanvace-studio")
        self._build(0)
        self._tabs.observe(self._on_tab, "selected_index")

    def __getitem__(self, function: str) -> VaceWidget:
        """The widget of one function, e.g. ``studio["video_edit"]`` (built if need be)."""
        if function not in _FUNCTIONS:
            raise KeyError(f"{function!r} is not one of {', '.join(_FUNCTIONS)}")
        return self._build(_FUNCTIONS.index(function))

    def select(self, function: str) -> VaceWidget:
        """Show the tab of one function and return its widget."""
        widget = self[function]
        self._tabs.selected_index = _FUNCTIONS.index(function)
        return widget

    @property
    def selected(self) -> str:
        """The function whose tab is shown, e.g. ``"video_edit"``."""
        return _FUNCTIONS[self._tabs.selected_index]

    @property
    def function_widgets(self) -> list[VaceWidget]:
        """The function widgets built so far, in tab order."""
        return [self._built[f] for f in _FUNCTIONS if f in self._built]

    @property
    def tasks(self) -> list[Task]:
        """The current task of each function widget."""
        return [w.task for w in self.function_widgets if w.task is not None]

    def close(self) -> None:
        self.history.close()
        super().close()

    def _ipython_display_(self) -> None:
        """The live studio, then the static copy of its finished jobs as its own output."""
        display_with_copy(self, self.history.show_summary)

    # -- tabs ------------------------------------------------------------------------------

    def _build(self, index: int) -> VaceWidget:
        function = _FUNCTIONS[index]
        widget = self._built.get(function)
        if widget is not None:
            return widget
        widget = _CLASSES[index](client=self.client)
        widget.set_targets(
            [
                (_input_label(f, field), self._sender(f, field))
                for f, field in _INPUTS
                if f != function  # never the job's own tab
            ]
        )
        widget.observe(lambda _: self.history.track_new_tasks(), "status")
        self._built[function] = widget
        children = list(self._panels.children)
        children[index] = widget
        self._panels.children = children
        return widget

    def _on_tab(self, change: dict) -> None:
        self._build(change["new"])
        self._panels.selected_index = change["new"]

    # -- hand-over between tabs --------------------------------------------------------------

    def _sender(self, function: str, field: str):
        def send(path: str) -> None:
            self.select(function).set_input(field, display_path(path))

        return send

    def _load(self, request: VaceRequest) -> None:
        self.select(request.function).set_request(request)


def _input_label(function: str, field: str) -> str:
    """``Video edit: source video``: the tab's title and the field's label."""
    label = param(function, field).label
    return f"{_CLASSES[_FUNCTIONS.index(function)].title}: {label[0].lower()}{label[1:]}"
