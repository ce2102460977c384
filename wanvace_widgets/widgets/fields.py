"""The form rows of a widget: one control per request field, built from a short spec.

Each control reads back ``None`` when left at the API's default, so the request leaves
that field out and the server's default applies.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import ipywidgets as W

from .media_picker import MediaPicker

__all__ = ["Field", "FieldControl"]

_DEFAULT = "(default)"


@dataclass(frozen=True)
class Field:
    """What one form row shows: ``kind`` is media, choice, float, int or flag."""

    attr: str
    label: str
    kind: str
    help: str = ""
    media_kind: str = "image"
    options: tuple[str, ...] = ()
    default: Any = None
    bounds: tuple[float, float] = (0.0, 1.0)
    required: bool = False


class FieldControl:
    """A control for one :class:`Field`, with a place for its error message."""

    def __init__(self, spec: Field):
        self.spec = spec
        self.error = W.HTML()
        if spec.kind == "media":
            self.control = MediaPicker(spec.label, spec.media_kind, spec.help, spec.required)
            self.widget = self.control
            return
        style = {"description_width": "150px"}
        layout = W.Layout(width="420px")
        if spec.kind == "choice":
            options = list(spec.options) if spec.required else [_DEFAULT, *spec.options]
            self.control = W.Dropdown(
                options=options, description=spec.label, style=style, layout=layout
            )
            if spec.default in spec.options:
                self.control.value = spec.default
        elif spec.kind == "float":
            low, high = spec.bounds
            self.control = W.FloatSlider(
                value=spec.default,
                min=low,
                max=high,
                step=0.05,
                description=spec.label,
                style=style,
                layout=layout,
            )
        elif spec.kind == "int":
            self.control = W.BoundedIntText(
                value=spec.default,
                min=int(spec.bounds[0]),
                max=int(spec.bounds[1]),
                description=spec.label,
                style=style,
                layout=layout,
            )
        elif spec.kind == "flag":
            self.control = W.Checkbox(
                value=bool(spec.default), description=spec.label, indent=False
            )
        else:
            raise ValueError(f"unknown field kind {spec.kind!r}")
        self.control.tooltip = spec.help
        help_html = W.HTML(
            f"<span style='color:#666;font-size:12px'>{html.escape(spec.help)}</span>"
        )
        self.widget = W.VBox([W.HBox([self.control, help_html]), self.error])

    def read(self) -> Any:
        """The value for the request; None means "leave it out"."""
        value = self.control.value
        if self.spec.kind == "choice" and value == _DEFAULT:
            return None
        if self.spec.kind in ("float", "int") and value == self.spec.default:
            return None
        return value

    def write(self, value: Any) -> None:
        if self.spec.kind == "media":
            self.control.set_value(value)
        elif value is None:
            self.control.value = (
                _DEFAULT
                if self.spec.kind == "choice" and not self.spec.required
                else self.spec.default
                if self.spec.default is not None
                else self.control.value
            )
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
