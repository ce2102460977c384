"""The form rows of a widget: one control per parameter, built from its row of the table
(``params.py``), as ipywidgets' ``interactive`` builds controls from a signature.

Each control reads back ``None`` when it shows the API's default, so the request leaves
that field out and the server's default applies.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W

from ..params import Param
from .media_picker import MediaPicker

__all__ = ["Field", "FieldControl"]

#: a form row is one parameter of the table (the widgets' base class calls it a Field)
Field = Param

_DEFAULT = "(default)"
_STYLE = {"description_width": "150px"}


class FieldControl:
    """A control for one row, with a place for its error message."""

    def __init__(self, spec: Param):
        self.spec = spec
        self.error = W.HTML()
        if spec.kind == "media":
            self.control = MediaPicker(spec.label, spec.media, spec.help, spec.required)
            self.widget = self.control
            return
        self.control = _control(spec, self.initial)
        self.control.tooltip = spec.help
        help_html = W.HTML(
            f"<span style='color:#666;font-size:12px'>{html.escape(spec.help)}</span>"
        )
        self.widget = W.VBox([W.HBox([self.control, help_html]), self.error])

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
        """The value for the request; None means "leave it out"."""
        value = self.control.value
        if value == _DEFAULT or (value == self.spec.default and not self.spec.required):
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
        if self.spec.kind == "media":
            self.control.show_error(text)
        else:
            self.error.value = (
                f"<span class='wanvace-error' style='color:#b00020'>{html.escape(text)}</span>"
                if text
                else ""
            )

    def observe(self, callback) -> None:
        self.control.observe(callback, "value")


def _control(spec: Param, initial: Any) -> W.ValueWidget:
    """The stock ipywidget for a row's kind."""
    common = {"description": spec.label, "style": _STYLE, "layout": W.Layout(width="420px")}
    low, high = spec.bounds
    if spec.kind == "choice":
        options = list(spec.choices) if initial in spec.choices else [_DEFAULT, *spec.choices]
        return W.Dropdown(options=options, value=initial, **common)
    if spec.kind == "range":
        return W.FloatSlider(value=initial, min=low, max=high, step=0.05, **common)
    if spec.kind == "integer" and high is None:
        return W.IntText(value=initial, **common)
    if spec.kind == "integer":
        return W.BoundedIntText(value=initial, min=low, max=high, **common)
    if spec.kind == "boolean":
        return W.Checkbox(value=bool(initial), description=spec.label, indent=False)
    raise ValueError(f"no form control for a {spec.kind} row ({spec.attr})")
