"""Every problem of a form at once, each for the field it belongs to, in on-screen words.

No rule is written here. A field's own rule is its row's (``param_checks.check_python``),
the rules that tie fields together are the request model's, and the local files' are
``uploads.local_media_problems``. A request model stops at its first problem, so to hear
about the others each faulty field is replaced by a valid stand-in of its kind and the
model is asked again.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..contract.param_checks import ParamError, check_python
from ..contract.params import IMAGE_MEDIA, Param, params_of
from ..contract.request_models import VaceRequest
from ..errors import ValidationError

__all__ = ["FormCheck", "check_form", "noun", "on_screen", "problem_html"]

#: a stand-in media: remote, so no local file check ever reads it
_STAND_IN_URL = "https://stand-in.example/input"


@dataclass(frozen=True)
class FormCheck:
    """The outcome of checking a form: ``request`` when there is no problem, else None;
    ``problems`` maps request attributes to rules (the first problem of each field)."""

    request: VaceRequest | None
    problems: dict[str, str] = field(default_factory=dict)


def check_form(
    request_class: type[VaceRequest],
    values: Mapping[str, Any],
    file_problems: Callable[[VaceRequest], list[ValidationError]],
) -> FormCheck:
    """All problems of ``values`` (request attributes → form values): each field's own,
    the rules between fields, and, for local files, ``file_problems(request)``."""
    rows = {row.attr: row for row in params_of(request_class.function)}
    problems: dict[str, str] = {}
    trial = dict(values)
    for attr, row in rows.items():
        try:
            check_python(row, values.get(attr), request_class.function)
        except ParamError as error:
            problems[attr] = error.rule
            trial[attr] = _stand_in(row, values.get(attr))
    request = None
    for _ in range(len(rows)):  # each round settles one field
        try:
            request = request_class(**trial)
            break
        except ValidationError as error:
            row = rows[error.field]
            if error.field not in problems:
                problems[error.field] = error.rule
                trial[error.field] = _stand_in(row, trial.get(error.field))
            elif trial.get(error.field) is not None and not row.required:
                trial[error.field] = None  # a stand-in cannot settle it: leave it out
            else:
                break
    if request is not None:
        for problem in file_problems(request):
            problems.setdefault(problem.field, problem.rule)
    return FormCheck(request if not problems else None, problems)


def _stand_in(row: Param, value: Any) -> Any:
    """A valid value of the row's kind, only to ask the model about the other fields; None
    for an absent optional field (it stays absent)."""
    if value is None and not row.required:
        return None
    low, high = row.length
    count = len(value) if isinstance(value, (list, tuple)) else 1
    count = max(low, min(count, high or count), 1)
    url = _STAND_IN_URL + (".png" if row.media in IMAGE_MEDIA else ".mp4")
    if row.kind == "text":
        return "stand-in"
    if row.kind == "media":
        return url
    if row.kind == "media_list":
        return (url,) * count
    if row.kind == "choice":
        return row.choices[0]
    if row.kind == "choice_list":
        return (row.choices[0],) * count
    if row.kind == "boolean":
        return bool(row.default)
    bound = row.bounds[0] if row.bounds[0] is not None else row.default
    return bound if bound is not None else 0


def noun(row: Param) -> str:
    """How sentences on screen name a field: its label, lower case, without the form's
    decorations ("…or a mask video" → "mask video")."""
    text = re.sub(r"^…or (a |an )?", "", row.label)
    return text.removesuffix(" (optional)").lower()


def on_screen(rule: str, function: str) -> str:
    """A rule in the words of the form it is shown in: fields by their labels, not API
    names; no "for video_edit" (the form is that function); "Required", not "Is required".

    >>> on_screen("is required for video_repainting: one of 'depth' or 'scribble'",
    ...           "video_repainting")
    "Required: one of 'depth' or 'scribble'"
    >>> on_screen("give exactly one of mask_image (recommended) or mask_video", "video_edit")
    'Give exactly one of mask image (recommended) or mask video'
    """
    text = rule.replace(f" for {function}", "")
    names = {}
    for row in params_of(function):  # identifiers only: "video" is also a plain word
        for name in (row.attr, row.api_name):
            if "_" in name:
                names[name] = noun(row)
    pattern = r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b"
    text = re.sub(pattern, lambda match: names[match.group(1)], text)
    text = re.sub(r"^is required", "required", text)
    return text[:1].upper() + text[1:]


def problem_html(text: str | None) -> str:
    """A problem as a form shows it beside its control; "" for none."""
    if not text:
        return ""
    return f"<span class='wanvace-error wanvace-problem'>{html.escape(text)}</span>"
