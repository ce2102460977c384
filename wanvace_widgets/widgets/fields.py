"""The form rows of a widget: one control per parameter, built from its row of the table
(``params.py``), as ipywidgets' ``interactive`` builds controls from a signature.

Each control reads back ``None`` when it shows the API's default, so the request leaves
that field out and the server's default applies. A row wraps its help text under the
control when the column is narrow, so no row is wider than its box.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from ..params import Param
from .form_check import problem_html
from .media_picker import MediaPicker

__all__ = ["Field", "FieldControl"]

#: a form row is one parameter of the table (the widgets' base class calls it a Field)
Field = Param

#: the value of a choice's "(default: …)" entry: the field is left out of the request
_DEFAULT = "(default)"
_STYLE = {"description_width": "110px"}


class FieldControl:
    """A control for one row, with a place for its error message."""

    def __init__(self, spec: Param, *, media_preview: bool = True):
        self.spec = spec
        self.error = W.HTML()
        if spec.kind == "media":
            self.control = MediaPicker(
                spec.label, spec.media, spec.help, spec.required, preview=media_preview
            )
            self.widget = self.control
            return
        self.control = _control(spec, self.initial)
        self.control.tooltip = f"{spec.help} (API: {spec.path})"
        help_html = W.HTML(
            f"<span class='wanvace-help'>{html.escape(spec.help)}</span>",
            layout=W.Layout(flex="1 1 120px", min_width="0"),
        )
        row = W.HBox(
            [self.control, help_html],
            layout=W.Layout(flex_flow="row wrap", align_items="center", grid_gap="0 8px"),
        )
        self.widget = W.VBox([row, self.error])

    @property
    def initial(self) -> Any:
        """What the control shows before anyone touches it."""
        spec = self.spec
        if spec.suggested is not None:
            return spec.suggested
        if spec.kind == "choice" and spec.default not in spec.choices:
            return spec.choices[0] if spec.required else _DEFAULT
        return spec.default

    def read(self) -> Any:
        """The value for the request; None means "leave it out" (so does empty text)."""
        value = self.control.value
        if value == _DEFAULT or (value == self.spec.default and not self.spec.required):
            return None
        if self.spec.kind == "text" and not value.strip():
            return None
        return value

    def write(self, value: Any) -> None:
        if self.spec.kind == "media":
            self.control.set_value(value)
        elif value is None or (self.spec.kind == "choice" and value not in self.spec.choices):
            self.control.value = self.initial  # left out, or the default "" of a choice
        else:
            self.control.value = value

    def show_error(self, text: str | None) -> None:
        """Show ``text`` (plain words) under the control, or nothing."""
        if self.spec.kind == "media":
            self.control.show_error(text)
        else:
            self.error.value = problem_html(text)

    def observe(self, callback: Callable[[Any], None]) -> None:
        self.control.observe(callback, "value")


def _choice_options(spec: Param, initial: Any) -> list[tuple[str, str]]:
    """(label, value) pairs; the API's default says what it is, e.g. "(default: none)"."""
    options = [(v + (" (default)" if v == spec.default else ""), v) for v in spec.choices]
    if initial not in spec.choices:
        options.insert(0, (f"(default: {spec.absent_means or spec.default or 'none'})", _DEFAULT))
    return options


def _control(spec: Param, initial: Any) -> W.ValueWidget:
    """The stock ipywidget for a row's kind."""
    common = {
        "description": spec.label,
        "style": _STYLE,
        "layout": W.Layout(width="340px", max_width="100%"),
    }
    low, high = spec.bounds
    if spec.kind == "choice":
        return W.Dropdown(options=_choice_options(spec, initial), value=initial, **common)
    if spec.kind == "range":
        return W.FloatSlider(value=initial, min=low, max=high, step=0.05, **common)
    if spec.kind == "integer" and high is None:
        return W.IntText(value=initial, **common)
    if spec.kind == "integer":  # a row whose 0 means something takes 0 too (duration)
        return W.BoundedIntText(
            value=initial, min=0 if spec.zero_means else low, max=high, **common
        )
    if spec.kind == "text":
        return W.Textarea(value=initial or "", placeholder=spec.help, **common)
    if spec.kind == "boolean":
        return W.Checkbox(
            value=bool(initial), description=spec.label, indent=False, layout=W.Layout(width="auto")
        )
    raise ValueError(f"no form control for a {spec.kind} row ({spec.attr})")
