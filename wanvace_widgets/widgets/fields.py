"""The form rows of a widget: one control per parameter, built from its row of the table
(``params.py``), as ipywidgets' ``interactive`` builds controls from a signature.

Each control reads back ``None`` when it shows the API's default, so the request leaves
that field out and the server's default applies. A row wraps its help text under the
control when the column is narrow, so no row is wider than its box. Every control has a
label a screen reader announces (the ``description`` ipywidgets ties to the input).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from ..contract.params import Param
from .form_check import problem_html
from .media_picker import MediaPicker

__all__ = ["Field", "FieldControl"]

#: a form row is one parameter of the table (the widgets' base class calls it a Field)
Field = Param

#: the value of a choice's "(default: …)" entry: the field is left out of the request
_DEFAULT = "(default)"
_STYLE = {"description_width": "110px"}


class FieldControl:
    """A control for one row (``control``, the ipywidget a user types in), in its row
    (``widget``), with a place for its problem. ``read()`` gives the request's value,
    ``write()`` fills it from one, ``problem`` is the problem shown (plain words)."""

    def __init__(self, spec: Param, *, media_preview: bool = True):
        self.spec = spec
        self.problem = ""
        self._error = W.HTML()
        self._count: W.HTML | None = None
        if spec.kind == "media":
            self.control: Any = MediaPicker(
                spec.label, spec.media_kind, spec.help, spec.required, preview=media_preview
            )
            self.widget: W.Widget = self.control
            return
        self.control = _control(spec, self.initial)
        if spec.kind == "text":
            self.widget = self._text_row()
            return
        help_html = W.HTML(
            f"<span class='wanvace-help'>{html.escape(spec.help)}</span>",
            layout=W.Layout(flex="1 1 120px", min_width="0"),
        )
        row = W.HBox(
            [self.control, help_html],
            layout=W.Layout(flex_flow="row wrap", align_items="center", grid_gap="0 8px"),
        )
        self.widget = W.VBox([row, self._error], _dom_classes=("wanvace-field",))

    def _text_row(self) -> W.Widget:
        """A free text (the prompt): label over the box, its problem and a live count of
        characters under it."""
        self.control.add_class("wanvace-stacked")
        self._count = W.HTML(_dom_classes=("wanvace-count",))
        self._show_count()
        self.control.observe(lambda _: self._show_count(), "value")
        under = W.HBox(
            [self._error, self._count],
            layout=W.Layout(justify_content="space-between", align_items="flex-start"),
        )
        return W.VBox([self.control, under], _dom_classes=("wanvace-field", "wanvace-prompt"))

    @property
    def count_html(self) -> str:
        """A text's live count of characters as shown (HTML), or ""."""
        return self._count.value if self._count is not None else ""

    def _show_count(self) -> None:
        high = self.spec.length[1]
        if self._count is None or high is None:
            return
        count = len(self.control.value)
        over = " wanvace-over" if count > high else ""
        text = f"{count} / {high} characters"
        self._count.value = f"<span class='wanvace-count-text{over}'>{text}</span>"

    @property
    def initial(self) -> Any:
        """What the control shows before anyone touches it."""
        return self.spec.suggested if self.spec.suggested is not None else self._left_out

    @property
    def _left_out(self) -> Any:
        """What the control shows for a field left out of the request (the API default)."""
        spec = self.spec
        if spec.kind == "choice" and spec.default not in spec.choices:
            return spec.choices[0] if spec.required else _DEFAULT
        if spec.kind == "boolean":
            return bool(spec.default)
        if spec.kind == "text" or (spec.kind == "integer" and spec.default is None):
            return ""
        return spec.default

    @property
    def changed(self) -> bool:
        """Whether the control differs from what a new form shows."""
        if self.spec.kind == "media":
            return self.control.value is not None
        return self.control.value != self.initial

    def shown_value(self) -> str:
        """The value as a short text, for a summary of changed fields."""
        value = self.control.value
        if isinstance(value, bool):
            return "on" if value else "off"
        return str(value) if not isinstance(value, bytes) else "uploaded file"

    def read(self) -> Any:
        """The value for the request; None means "leave it out" (so does empty text)."""
        value = self.control.value
        if self.spec.kind == "media":
            return value
        if self.spec.kind == "text":  # blank optional text leaves the field out
            return value if value.strip() or self.spec.required else None
        if isinstance(self.control, W.Text):  # a whole number that may be left empty
            text = value.strip()
            return int(text) if text.lstrip("-").isdigit() else (text or None)
        if value == _DEFAULT or (value == self.spec.default and not self.spec.required):
            return None
        return value

    def write(self, value: Any) -> None:
        """Show ``value`` (None: the field left out, so the API's default)."""
        if self.spec.kind == "media":
            self.control.set_value(value)
        elif value is None or (self.spec.kind == "choice" and value not in self.spec.choices):
            self.control.value = self._left_out
        elif isinstance(self.control, W.Text):
            self.control.value = str(value)
        else:
            self.control.value = value

    def show_error(self, text: str | None) -> None:
        """Show ``text`` (plain words) under the control, or nothing."""
        self.problem = text or ""
        if self.spec.kind == "media":
            self.control.show_error(text)
        else:
            self._error.value = problem_html(text)

    def observe(self, callback: Callable[[Any], None]) -> None:
        self.control.observe(callback, "value")


def _choice_options(spec: Param, initial: Any) -> list[tuple[str, str]]:
    """(label, value) pairs; the API's default says what it is, e.g. "(default: none)"."""
    options = [(v + (" (default)" if v == spec.default else ""), v) for v in spec.choices]
    if initial not in spec.choices:
        options.insert(0, (f"(default: {spec.absent_means or spec.default or 'none'})", _DEFAULT))
    return options


def _control(spec: Param, initial: Any) -> W.ValueWidget:
    """The stock ipywidget for a row's kind, labelled with the row's label."""
    label = spec.label + (" *" if spec.required else "")
    common = {
        "description": label,
        "style": _STYLE,
        "layout": W.Layout(width="340px", max_width="100%"),
        "tooltip": f"{spec.help} (API: {spec.path})",
    }
    low, high = spec.bounds
    if spec.kind == "text":
        return W.Textarea(
            value=initial,
            description=label,
            placeholder=spec.help,
            tooltip=f"API: {spec.path}",
            layout=W.Layout(width="auto", height="76px"),
        )
    if spec.kind == "choice":
        return W.Dropdown(options=_choice_options(spec, initial), value=initial, **common)
    if spec.kind == "range":  # a number box: labelled, and stepped by the arrow keys
        # (ipywidgets' slider handle has no accessible name)
        return W.BoundedFloatText(
            value=initial, min=low, max=high, step=0.05, continuous_update=True, **common
        )
    if spec.kind == "integer" and spec.default is None and not spec.required:
        # empty means "left out" (a random seed): a text box, checked like the others
        return W.Text(
            value=initial,
            placeholder=spec.help.split(";")[0],  # the seed's: "empty = random"
            **(common | {"layout": W.Layout(width="220px", max_width="100%")}),
        )
    if spec.kind == "integer" and high is None:
        return W.IntText(value=initial, **common)
    if spec.kind == "integer":  # a row whose 0 means something takes 0 too (duration)
        return W.BoundedIntText(
            value=initial, min=0 if spec.zero_means else low, max=high, **common
        )
    if spec.kind == "boolean":
        return W.Checkbox(
            value=bool(initial),
            description=spec.label,
            indent=False,
            tooltip=common["tooltip"],
            layout=W.Layout(width="auto"),
        )
    raise ValueError(f"no form control for a {spec.kind} row ({spec.attr})")

