"""The studio's tab strip: a row of tabs over a ``W.Stack`` of panels.

Not ipywidgets' ``Tab``: in Notebook 7 its tab bar does not move on the arrow keys, so the
studio's functions could not be reached by keyboard there. This one is the WAI-ARIA tabs
pattern (``static/tab_strip.js``): the selected tab is in the Tab order, the arrow keys,
Home and End move between tabs and show them, and a screen reader hears a tab list.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

__all__ = ["TabStrip"]

_STATIC = Path(__file__).parent / "static"


class TabStrip(anywidget.AnyWidget):
    """The tabs' ``labels``, which one is ``selected_index`` (the page sets it too), and
    the ``description`` a screen reader gives the list."""

    _esm = _STATIC / "tab_strip.js"
    _css = _STATIC / "tab_strip.css"

    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected_index = traitlets.Int(0).tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)

    @traitlets.validate("selected_index")
    def _within(self, proposal: dict) -> int:
        index = proposal["value"]
        if not 0 <= index < max(len(self.labels), 1):
            raise traitlets.TraitError(f"no tab {index}: there are {len(self.labels)}")
        return index

    def __repr__(self) -> str:
        return f"TabStrip({self.labels!r}, selected_index={self.selected_index})"
