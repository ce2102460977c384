"""The inputs of a function widget: a control for every row of the parameter table the
form shows (the common ones too), the values they make, and every problem at once beside
the control it belongs to.

Where a row goes comes from the table, not from per-widget code: the prompt first, then
the function's other rows in table order, and the ``advanced`` rows folded into the
"Advanced" section (``advanced.py``). A new row therefore reaches every form of its
function, and ``tests/test_widget_form.py`` fails if a row has no control. A list of
images is shown as one control per image the API takes (``slots.py``).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import ipywidgets as W

from ..contract.request_models import VaceRequest
from ..errors import ValidationError
from ..media.local_files import LocalMediaReport, inspect_local_media
from .advanced import AdvancedSection
from .fields import Field, FieldControl
from .form_check import FormCheck, check_form, on_screen
from .slots import ListSlots

__all__ = ["Form"]

#: where problems of fields without a place of their own are shown
_PROMPT = "prompt"


class Form:
    """The form of ``request_class`` with a control for each of ``fields`` (a list of
    images: one per image, ``slots.py``); ``widget`` is its column. ``no_preview``: media
    fields whose thumbnail another view replaces. ``on_edit(key)`` runs when a control
    changes."""

    def __init__(
        self,
        request_class: type[VaceRequest],
        fields: tuple[Field, ...],
        on_edit: Callable[[str], None],
        *,
        no_preview: Collection[str] = (),
    ):
        self.request_class = request_class
        self.function = request_class.function
        self._slots = ListSlots.of(fields)
        if self._slots is not None:
            fields = self._slots.split(fields)
        self._controls = {
            f.attr: FieldControl(f, media_preview=f.attr not in no_preview) for f in fields
        }
        #: the controls by request attribute (or form slot), read-only
        self.controls: Mapping[str, FieldControl] = MappingProxyType(self._controls)
        self.touched: set[str] = set()
        self.check = FormCheck(None)
        self._files: tuple[Any, LocalMediaReport] = (None, LocalMediaReport({}, []))
        main = [ctrl.widget for ctrl in self._controls.values() if not ctrl.spec.advanced]
        self.advanced = AdvancedSection(
            [ctrl.widget for ctrl in self._controls.values() if ctrl.spec.advanced]
        )
        self.widget = W.VBox(
            [*main, self.advanced],
            layout=W.Layout(min_width="0"),
            _dom_classes=("wanvace-inputs",),
        )
        for key, ctrl in self._controls.items():
            ctrl.observe(functools.partial(_call_with_key, on_edit, key))

    # -- values ------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """Request attributes → the controls' values (None: left out)."""
        values = {attr: ctrl.read() for attr, ctrl in self._controls.items()}
        if self._slots is not None:
            self._slots.gather(values)
        return values

    def write(self, request: VaceRequest) -> None:
        """Show ``request`` in the controls."""
        slotted = self._slots.keys if self._slots is not None else frozenset()
        for attr, ctrl in self._controls.items():
            if attr not in slotted:
                ctrl.write(getattr(request, attr))
        if self._slots is not None:
            self._slots.spread(request, self._controls)

    def add_below(self, anchor: str | None, *widgets: W.Widget) -> None:
        """Put ``widgets`` under the control of ``anchor`` (at the end of the main rows
        for None)."""
        children = list(self.widget.children)
        at = (
            children.index(self._controls[anchor].widget) + 1
            if anchor is not None
            else children.index(self.advanced)
        )
        self.widget.children = children[:at] + list(widgets) + children[at:]

    # -- problems ----------------------------------------------------------------------------

    def validate(self) -> FormCheck:
        """Check the whole form; show each problem beside its control once that control
        was touched (a fresh form is not red); fold the Advanced section open if need be."""
        self.check = check_form(self.request_class, self.values(), self.file_problems)
        placed = self.place(self.check.problems)
        for key, ctrl in self._controls.items():
            ctrl.show_error(placed.get(key) if key in self.touched else None)
        advanced = [ctrl for ctrl in self._controls.values() if ctrl.spec.advanced]
        self.advanced.update(
            [f"{ctrl.spec.label} {ctrl.shown_value()}" for ctrl in advanced if ctrl.changed],
            any(ctrl.problem for ctrl in advanced),
        )
        return self.check

    @property
    def shown_problems(self) -> dict[str, str]:
        """The problems on screen, by control, in plain words."""
        return {key: ctrl.problem for key, ctrl in self._controls.items() if ctrl.problem}

    def place(self, problems: dict[str, str]) -> dict[str, str]:
        """Problems by the control that shows them, in on-screen words (a list's beside its
        slots)."""
        placed: dict[str, str] = {}
        lists: frozenset[str] = frozenset()
        if self._slots is not None:
            placed = self._slots.place(problems, self._controls, self.function)
            lists = self._slots.list_attrs
        for attr, rule in problems.items():
            if attr in lists:
                continue
            key = attr if attr in self._controls else _PROMPT
            placed.setdefault(key, on_screen(rule, self.function))
        return placed

    def readiness(self) -> str:
        """What the status line says while no job is live: ready, or what is missing (the
        problems of untouched fields, which are not marked in red). Escaped HTML."""
        if self.check.request is not None:
            return "Ready: Generate starts one job."
        placed = self.place(self.check.problems)
        marked = {text for key, text in placed.items() if key in self.touched}
        todo = [
            f"{self._label_of(key)} — {text[:1].lower()}{text[1:]}"
            for key, text in placed.items()
            if key not in self.touched and text not in marked
        ]
        if marked:
            todo.append(f"{len(marked)} problem{'s' if len(marked) > 1 else ''} marked in red")
        return "Not ready: " + html.escape(" · ".join(todo))

    def _label_of(self, key: str) -> str:
        return self._controls[key].spec.label if key in self._controls else key.capitalize()

    def file_problems(self, request: VaceRequest) -> list[ValidationError]:
        """The local files' problems (format, size, fps, mask size and frame), so Generate
        is never pressed for a file the server would refuse."""
        return self._local_files(request).problems

    def source_seconds(self, request: VaceRequest) -> float | None:
        """The length of the request's source video when it is a local file (None for a
        URL, or a file that cannot be read)."""
        info = self._local_files(request).infos.get(("video", None))
        return info.duration_s if info is not None else None

    def _local_files(self, request: VaceRequest) -> LocalMediaReport:
        """The local files read and checked; cached until a file or a field checked
        against them (the mask frame, the duration) changes."""
        key = (
            tuple(
                (m.field, m.index, _identity(m.value)) for m in request.media_inputs() if m.is_local
            ),
            getattr(request, "mask_frame_id", None),
            getattr(request, "duration", None),
        )
        if key != self._files[0]:
            self._files = (key, inspect_local_media(request))
        return self._files[1]


def _identity(value: Any) -> Any:
    """What tells a local input changed: its bytes' hash, or its path and modification."""
    if isinstance(value, bytes):
        return hash(value)
    try:
        return str(value), Path(value).expanduser().stat().st_mtime
    except (OSError, TypeError):
        return str(value), None


def _call_with_key(on_edit: Callable[[str], object], key: str, _change: object) -> None:
    """A control's observer: tells ``on_edit`` which field changed."""
    on_edit(key)
