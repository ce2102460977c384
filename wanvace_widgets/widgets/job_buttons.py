"""Generate, Generate again, and the job's action (Cancel, Stop watching, …) in one row.

Stock ipywidgets buttons are disabled only after a round trip to the kernel, so a fast
double-click on Generate paid for two jobs. These buttons live in the page
(``static/job_buttons.js``, an anywidget module with no build step): a click disables the
whole row at once and sends one message; the row comes back to life when the kernel says
it has handled that click (``answered``), with whatever the job's new state allows.

The row also holds the job's live region: ``announcement``, a short line a screen reader
says when the job's stage changes (``aria-live``; it lives as long as the row, so every
change is heard), and carries the function widget's stylesheet (``static/vace_widget.css``):
the two-column layout, the theme's colours, the notice shown when the kernel is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

__all__ = ["ACTIONS", "JobButtons"]

_STATIC = Path(__file__).parent / "static"
#: the job's action, by name; what the page labels each is in job_buttons.js
ACTIONS = ("cancel", "stop", "follow", "reconcile")
_CLICKS = ("generate", "again", "action")


class JobButtons(anywidget.AnyWidget):
    """The job's buttons. ``on_click(name, callback)`` for "generate", "again" (a second
    variation while a job runs) and "action" (whatever ``action`` names); ``click(name)``
    does what a click in the page does."""

    _esm = _STATIC / "job_buttons.js"
    _css = _STATIC / "vace_widget.css"

    generate_enabled = traitlets.Bool(False).tag(sync=True)
    again_enabled = traitlets.Bool(False, help="shown only while enabled").tag(sync=True)
    action = traitlets.Unicode("", help="one of ACTIONS, or '' for none").tag(sync=True)
    answered = traitlets.Int(0, help="clicks the kernel has handled").tag(sync=True)
    announcement = traitlets.Unicode("", help="what a screen reader says of the job").tag(
        sync=True
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._callbacks: dict[str, Callable[[], None]] = {}
        self.on_msg(self._on_page_message)

    def __repr__(self) -> str:
        return f"JobButtons(generate={self.generate_enabled}, action={self.action!r})"

    @traitlets.validate("action")
    def _known_action(self, proposal) -> str:
        if proposal["value"] not in ("", *ACTIONS):
            raise traitlets.TraitError(f"action must be one of {ACTIONS} or ''")
        return proposal["value"]

    def on_click(self, name: str, callback: Callable[[], None]) -> None:
        """Run ``callback()`` when the button ``name`` is clicked (one callback each)."""
        if name not in _CLICKS:
            raise ValueError(f"no button {name!r}: one of {_CLICKS}")
        self._callbacks[name] = callback

    def click(self, name: str) -> None:
        """Click ``name`` as the page does: ignored while that button is disabled."""
        enabled = {
            "generate": self.generate_enabled,
            "again": self.again_enabled,
            "action": bool(self.action),
        }
        with self.hold_sync():  # the new state and the answer reach the page as one update
            callback = self._callbacks.get(name)
            if enabled.get(name) and callback is not None:
                callback()
            self.answered += 1

    def _on_page_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("click") in _CLICKS:
            self.click(content["click"])
