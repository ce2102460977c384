"""The form's "Advanced" section: the rarely changed parameters (``advanced`` rows of the
table), folded under one button.

The section opens by itself when a field in it becomes different from what a new form
shows, or wrong, so nothing that matters stays hidden; the button's text names what is
changed, so it reads right folded too. A wrong field keeps the section open. The button is
a real ``<button aria-expanded>`` (``static/disclosure.js``): Tab reaches it, Enter and
Space fold and unfold it, and a screen reader says whether it is open.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import ipywidgets as W
import traitlets

__all__ = ["AdvancedSection", "Disclosure"]

_STATIC = Path(__file__).parent / "static"


class Disclosure(anywidget.AnyWidget):
    """A button that folds a section: ``expanded`` (the page sets it too), ``label``, and
    ``summary`` (what is changed inside, shown after the label)."""

    _esm = _STATIC / "disclosure.js"

    label = traitlets.Unicode("").tag(sync=True)
    summary = traitlets.Unicode("").tag(sync=True)
    expanded = traitlets.Bool(False).tag(sync=True)

    def __repr__(self) -> str:
        return f"Disclosure({self.label!r}, expanded={self.expanded})"


class AdvancedSection(W.VBox):
    """``rows`` (widgets) under a Disclosure; hidden altogether when there are none."""

    def __init__(self, rows: list[W.Widget], label: str = "Advanced"):
        self.toggle = Disclosure(label=label)
        self.body = W.VBox(rows, _dom_classes=("wanvace-advanced-body",))
        super().__init__([self.toggle, self.body], _dom_classes=("wanvace-advanced",))
        self._noticed = False  # whether something in it was changed or wrong at the last look
        if not rows:
            self.layout.display = "none"
        self._show_body()
        self.toggle.observe(self._show_body, "expanded")

    @property
    def expanded(self) -> bool:
        return self.toggle.expanded

    def update(self, changed: list[str], wrong: bool) -> None:
        """``changed``: "label value" of each field that differs from a new form;
        ``wrong``: a field in it shows a problem. Opens on the first of either; a wrong
        field keeps it open."""
        noticed = bool(changed) or wrong
        with self.toggle.hold_sync():
            summary = ", ".join(changed)
            if self.toggle.summary != summary:
                self.toggle.summary = summary
            if wrong or (noticed and not self._noticed):
                self.toggle.expanded = True
        self._noticed = noticed

    def _show_body(self, _change: object = None) -> None:
        display = None if self.toggle.expanded else "none"
        if self.body.layout.display != display:
            self.body.layout.display = display
