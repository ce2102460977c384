"""VaceStudio: the five widgets in tabs, sharing one client and one history of results."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W

from .. import contract as c
from ..tasks import TaskSnapshot
from .base import VaceWidget
from .functions import (
    ImageReferenceWidget,
    VideoEditWidget,
    VideoExtensionWidget,
    VideoOutpaintingWidget,
    VideoRepaintingWidget,
)
from .player import display_path

__all__ = ["VaceStudio"]

#: where a result can go next: (tab index, field, label)
_REUSE = (
    (1, "video", "Video repainting: source video"),
    (2, "video", "Video edit: source video"),
    (3, "first_clip", "Video extension: first clip"),
    (4, "video", "Video outpainting: source video"),
)


class VaceStudio(W.VBox):
    """All five functions in tabs, with a shared history; a result can feed another tab."""

    def __init__(self, client: Any = None):
        super().__init__()
        classes = (
            ImageReferenceWidget,
            VideoRepaintingWidget,
            VideoEditWidget,
            VideoExtensionWidget,
            VideoOutpaintingWidget,
        )
        self.function_widgets: list[VaceWidget] = [cls(client=client) for cls in classes]
        self._tabs = W.Tab(
            children=self.function_widgets, titles=[w.title for w in self.function_widgets]
        )
        self._history = W.HTML()
        self._rows: dict[int, TaskSnapshot] = {}
        for widget in self.function_widgets:
            widget.set_targets([(label, self._sender(tab, field)) for tab, field, label in _REUSE])
            widget.observe(self._on_status, ["status", "local_path"])
        self.children = [self._tabs, W.HTML("<b>History</b>"), self._history]
        self.add_class("wanvace-studio")
        self._render_history()

    def __getitem__(self, function: str) -> VaceWidget:
        """The widget of one function, e.g. ``studio["video_edit"]``."""
        for widget in self.function_widgets:
            if widget.request_class.function == function:
                return widget
        raise KeyError(f"{function!r} is not one of {', '.join(c.FUNCTIONS)}")

    def select(self, function: str) -> VaceWidget:
        """Show the tab of one function and return its widget."""
        widget = self[function]
        self._tabs.selected_index = self.function_widgets.index(widget)
        return widget

    @property
    def tasks(self):
        return [w.task for w in self.function_widgets if w.task is not None]

    def _sender(self, tab: int, field: str):
        def send(path: str) -> None:
            self.function_widgets[tab]._controls[field].write(path)
            self._tabs.selected_index = tab

        return send

    def _on_status(self, change) -> None:
        widget = change["owner"]
        if widget.task is not None:
            self._rows[id(widget.task)] = widget.task.snapshot()
            self._render_history()

    def _render_history(self) -> None:
        if not self._rows:
            self._history.value = "<i>No jobs yet.</i>"
            return
        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>".format(
                html.escape(s.function),
                html.escape(s.status),
                html.escape(s.task_id or "—"),
                html.escape(display_path(s.local_path) if s.local_path else ""),
            )
            for s in self._rows.values()
        )
        self._history.value = (
            "<table style='font-size:12px'><tr><th>function</th><th>status</th><th>task</th>"
            f"<th>saved as</th></tr>{rows}</table>"
        )
