"""A row of the parameter table (``params.py``) as a check of one value.

:func:`check_python` checks what a user gives a request model in Python (paths, bytes and
numpy numbers welcome); :func:`check_json` checks a value of a JSON body as the server reads
it. They differ only where ``docs/api-contract.md`` §14 says: the client refuses what the
server would silently cut (a prompt over its length, a fourth reference image of VACE's).
Each raises :class:`ParamError` with a rule that does not name the field; the caller does.
:func:`media_by_type` reads wan2.7-videoedit's ``input.media`` list (§17.3) for both sides.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from . import constants as c
from .params import MEDIA_EXTENSIONS, MediaKind, Param, media_rows

__all__ = [
    "ParamError",
    "check_json",
    "check_python",
    "is_remote_url",
    "media_by_type",
    "media_value",
    "server_keeps",
    "url_problem",
]

REMOTE_SCHEMES: Final = ("http", "https", "oss")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


class ParamError(ValueError):
    """A value breaks its row's rule; ``rule`` says how, without naming the field."""

    def __init__(self, rule: str):
        super().__init__(rule)
        self.rule = rule


# -- URLs ------------------------------------------------------------------------------------


def _scheme(text: str) -> str:
    match = _SCHEME.match(text)
    return match.group(1).lower() if match else ""


def is_remote_url(value: object) -> bool:
    """True for an http, https or oss URL (well formed or not); False for paths and bytes."""
    return isinstance(value, str) and _scheme(value) in REMOTE_SCHEMES


def url_problem(text: str) -> str | None:
    """Why ``text`` is not a URL the API takes (§4.1), or None when it is one."""
    if c.has_chinese_characters(text):
        return "must not contain Chinese characters (the API refuses such URLs)"
    scheme = _scheme(text)
    if scheme not in REMOTE_SCHEMES:
        return "must be an http, https or oss URL"
    try:
        host = urlsplit(text).hostname
    except ValueError as exc:  # a broken IPv6 literal, for one
        return f"is not a well-formed URL ({exc})"
    if not host:
        return f"is not a complete {scheme} URL: it names no host"
    return None


def _local_problem(text: str, media: MediaKind) -> str | None:
    """Why ``text`` cannot be a local file for ``media``, or None."""
    if c.has_chinese_characters(text):
        return "must not contain Chinese characters (the file keeps its name when uploaded)"
    if "://" in text:
        scheme = _scheme(text) or "an unknown scheme"
        return f"uses {scheme}://; give an http(s) or oss URL or a local path"
    allowed = MEDIA_EXTENSIONS[media]
    if Path(text).suffix.lower() not in allowed:
        return f"must be a {'/'.join(e[1:] for e in allowed)} file"
    return None


# -- the two checks ------------------------------------------------------------------------


def check_python(row: Param, value: Any, function: str = "") -> Any:
    """``value`` as a request model keeps it, or raise :class:`ParamError`.

    Lists become tuples and numpy numbers plain ``int``/``float``; a single media or tag
    given for a list becomes a list of one. None means "left out". ``function`` names the
    function in the rules of required fields and choices, whose values differ by function.
    """
    if value is None:
        return _absent(row, function)
    if row.kind == "media_list":
        items = _as_tuple(value)
        if not items and row.length[0] == 0:
            return None  # no images where none are needed: the field is left out
        _check_count(row, len(items), python=True)
        return tuple(_python_media(row, v, f"entry {i + 1} ") for i, v in enumerate(items))
    if row.kind == "choice_list":
        entries = enumerate(_as_tuple(value))
        return tuple(_choice(row, v, function, f"entry {i + 1} ") for i, v in entries)
    if row.kind == "media":
        if isinstance(value, (list, tuple)):
            raise ParamError("takes one file, not a list")
        return _python_media(row, value)
    return _scalar(row, value, function, python=True)


def check_json(row: Param, value: Any, function: str = "") -> Any:
    """``value`` from a JSON body as the server reads it, or raise :class:`ParamError`.

    What the server would cut (§14) passes whole here; :func:`server_keeps` cuts it.
    """
    if value is None:
        return _absent(row, function)
    if row.kind in ("media_list", "choice_list") or row.one_as_list:
        if not isinstance(value, list):
            raise ParamError("must be a JSON list")
        if row.kind == "choice_list":
            return [_choice(row, v, function, f"entry {i + 1} ") for i, v in enumerate(value)]
        if row.one_as_list and len(value) != 1:
            raise ParamError(f"takes exactly one URL in a list, got {len(value)}")
        _check_count(row, len(value), python=False)
        return [_json_url(v, f"entry {i + 1} ") for i, v in enumerate(value)]
    if row.kind == "media":
        return _json_url(value)
    return _scalar(row, value, function, python=False)


def server_keeps(row: Param, value: Any) -> Any:
    """What the server keeps of a checked JSON value: it cuts a long prompt and extra
    reference images silently (§3.1, §5)."""
    if row.server_cuts and value is not None:
        return value[: row.length[1]]
    return value


def _absent(row: Param, function: str) -> None:
    if row.required:
        hint = {"text": ": describe the video you want"}.get(row.kind, "")
        hint = f": one of {_or(row.choices)}" if row.choices else hint
        raise ParamError(f"is required{_for(function)}{hint}")
    return None


def _for(function: str) -> str:
    return f" for {function}" if function else ""


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _check_count(row: Param, count: int, *, python: bool) -> None:
    """The number of items of a list; above the limit only the client refuses what the
    server would cut."""
    low, high = row.length
    too_many = high is not None and count > high and (python or not row.server_cuts)
    if count < low or too_many:
        what = "images" if row.media else "items"
        cut = f" (the API would silently keep only the first {high})" if row.server_cuts else ""
        needs = f"takes at most {high}" if low == 0 else f"needs {low} to {high}"
        raise ParamError(f"{needs} {what}, got {count}{cut}")


def _python_media(row: Param, value: Any, where: str = "") -> Any:
    if isinstance(value, bytes):
        if not value:
            raise ParamError(f"{where}is empty bytes")
        return value
    text = os.fspath(value) if isinstance(value, os.PathLike) else value
    if not isinstance(text, str) or not text.strip():
        raise ParamError(f"{where}must be a URL (http, https, oss), a local path or bytes")
    problem = url_problem(text) if is_remote_url(text) else _local_problem(text, row.media_kind)
    if problem:
        raise ParamError(where + problem)
    return value


def _json_url(value: Any, where: str = "") -> str:
    if not isinstance(value, str):
        raise ParamError(f"{where}must be a URL string")
    problem = url_problem(value)
    if problem:
        raise ParamError(where + problem)
    return value


def _scalar(row: Param, value: Any, function: str, *, python: bool) -> Any:
    """A text, choice, boolean, integer or range value. In Python any integral or real
    number type counts (numpy's too); in JSON only int and float."""
    if row.kind == "text":
        return _text(row, value, python=python)
    if row.kind == "choice":
        return _choice(row, value, function)
    if row.kind == "boolean":
        if not isinstance(value, bool):
            raise ParamError("must be true or false")
        return value
    if isinstance(value, bool):
        raise ParamError("must be a number, not true or false")
    integral = numbers.Integral if python else int
    real = numbers.Real if python else (int, float)
    if row.kind == "integer" and not isinstance(value, integral):
        raise ParamError("must be a whole number")
    if not isinstance(value, real):
        raise ParamError("must be a number")
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ParamError("must be a finite number")
    number = int(value) if isinstance(value, numbers.Integral) else float(value)
    _check_bounds(row, number)
    return int(number) if row.kind == "integer" else float(number)


def _check_bounds(row: Param, number: float) -> None:
    low, high = row.bounds
    if row.zero_means and number == 0:
        return
    if row.zero_means and low is not None and high is not None and not low <= number <= high:
        raise ParamError(
            f"must be 0 ({row.zero_means}) or between {_shown(low)} and {_shown(high)}"
        )
    if low is not None and low == high:
        if number != low:
            raise ParamError(f"is fixed at {_shown(low)} by the API; leave it out")
    elif high is None:
        if low is not None and number < low:
            raise ParamError(f"must be at least {_shown(low)}")
    elif low is None:
        if number > high:
            raise ParamError(f"must be at most {_shown(high)}")
    elif not low <= number <= high:
        raise ParamError(f"must be between {_shown(low)} and {_shown(high)}")


def _shown(bound: float) -> str:
    """A bound as people write it: 5, 0.05, 2147483647."""
    return str(int(bound)) if float(bound).is_integer() else repr(float(bound))


def _text(row: Param, value: Any, *, python: bool) -> str:
    if not isinstance(value, str):
        raise ParamError("must be text")
    if not value.strip():
        if row.required:
            raise ParamError("is required: describe the video you want")
        raise ParamError("is blank: give some text, or leave the field out")
    limit = row.length[1]
    if python and limit is not None and len(value) > limit:
        raise ParamError(
            f"has {len(value)} characters; the API keeps only the first {limit} and drops "
            "the rest silently, so shorten it"
        )
    return str(value)


def _choice(row: Param, value: Any, function: str, where: str = "") -> str:
    if not isinstance(value, str) or value not in row.allowed:
        unlisted = [repr(v) for v in row.allowed if v not in row.choices]
        default = f", or {unlisted[0]} (the API's default)" if unlisted else ""
        raise ParamError(f"{where}must be one of {_or(row.choices)}{default}{_for(function)}")
    return str(value)


def _or(values: Sequence[str]) -> str:
    quoted = [repr(v) for v in values]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]


# -- wan2.7-videoedit's media list (§17.3) -----------------------------------------------------


def media_by_type(function: str, value: Any) -> dict[str, list[Any]]:
    """``function``'s ``input.media`` as the server reads it: its URLs grouped by ``type``,
    in order (nothing for a function without media rows, whose server ignores the field).

    A missing list is an empty one. Each entry must be an object with a known ``type``
    and a ``url`` (other keys are ignored, §2.1); the URLs themselves are each row's to
    check. Raises :class:`ParamError` whose rule starts with the entry it is about.
    """
    types = [row.api_name for row in media_rows(function)]
    if value is None or not types:
        return {}
    if not isinstance(value, list):
        raise ParamError("must be a JSON list of {type, url} objects")
    grouped: dict[str, list[Any]] = {}
    for index, entry in enumerate(value):
        where = f"entry {index + 1} "
        if not isinstance(entry, dict):
            raise ParamError(f"{where}must be a JSON object with type and url")
        kind = entry.get("type")
        if not isinstance(kind, str) or kind not in types:
            raise ParamError(f"{where}has type {kind!r}: it must be one of {_or(types)}")
        if entry.get("url") is None:
            raise ParamError(f"{where}({kind}) has no url")
        grouped.setdefault(kind, []).append(entry["url"])
    return grouped


def media_value(row: Param, grouped: dict[str, list[Any]]) -> Any:
    """A media row's value out of :func:`media_by_type`'s groups: None when absent, the one
    URL of a single media, or the list of a media list."""
    urls = grouped.get(row.api_name)
    if not urls:
        return None
    if row.kind == "media_list":
        return urls
    if len(urls) > 1:
        raise ParamError(f"takes one {row.api_name}, got {len(urls)}")
    return urls[0]
