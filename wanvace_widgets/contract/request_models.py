"""One request model per function (VACE's five, Wan 2.7's instruction edit); each builds
the JSON body of the API.

A request validates itself when it is made, before any I/O, so that nothing the API
would reject is ever sent (each second of output costs money). Which attribute maps to
which API field, and each field's own rule, come from the parameter table
(``params.py``); only the rules that tie fields together are written here, in each
class's ``_check``. The emulator writes the same rules again against the API's names
(``emulator/validation.py``), and ``tests/test_contract_differential.py`` proves the two
agree. Where the documentation is silent or contradicts itself, the decision taken is in
``docs/api-contract.md`` (§16 lists them all).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from ..errors import ValidationError
from . import constants as c
from .families import FAMILIES, VACE, ModelFamily, family_of_model
from .param_checks import ParamError, check_python, is_remote_url, media_by_type, media_value
from .params import MediaKind, Param, params_of

__all__ = [
    "REQUEST_CLASSES",
    "ImageReference",
    "InstructionEdit",
    "Media",
    "MediaInput",
    "VaceRequest",
    "VideoEdit",
    "VideoExtension",
    "VideoOutpainting",
    "VideoRepainting",
    "is_remote_url",
]

#: A media input: an http(s) or oss:// URL, a local path, or the file's bytes.
Media = str | os.PathLike[str] | bytes

_LISTS = ("media_list", "choice_list")


@dataclass(frozen=True)
class MediaInput:
    """One media value of a request, for the client's checks and uploads."""

    field: str
    api_field: str
    index: int | None
    value: Media
    kind: MediaKind

    @property
    def is_local(self) -> bool:
        return not is_remote_url(self.value)


@dataclass(frozen=True, kw_only=True)
class VaceRequest:
    """Fields shared by every function (contract §3, §17.2); ``None`` leaves a field out,
    so the API's default applies. The base of every request, VACE's and Wan 2.7's.

    ``prompt`` → input.prompt (VACE: required, ≤ 800 characters; describe the result, do
    not instruct), ``prompt_extend`` → parameters.prompt_extend (API default true: an LLM
    rewrites the prompt), ``seed`` → parameters.seed (0 … 2147483647; random when absent),
    ``watermark`` → parameters.watermark (API default false). ``family`` is the model
    family the request is for (``families.py``): the client sends it to that family's model.
    """

    function: ClassVar[str] = ""
    family: ClassVar[ModelFamily] = VACE

    prompt: str | None = ""
    prompt_extend: bool | None = None
    seed: int | None = None
    watermark: bool | None = None

    def __post_init__(self) -> None:
        if not self.function:
            raise TypeError("make one of the requests, e.g. VideoEdit(...) or InstructionEdit(...)")
        for row in params_of(self.function):
            value = getattr(self, row.attr)
            try:
                checked = check_python(row, value, self.function)
            except ParamError as error:
                raise ValidationError(row.attr, value, error.rule, api_field=row.api_name) from None
            object.__setattr__(self, row.attr, checked)
        self._check()

    # -- public API -------------------------------------------------------------------

    def to_payload(self, model: str) -> dict[str, Any]:
        """The JSON body of ``POST …/video-synthesis`` for ``model``, *before uploads*.

        URLs are written as they are. Local paths are written as they are too: this is not
        yet what goes on the wire. :class:`~wanvace_widgets.VaceClient` uploads each local
        file to temporary storage and swaps in its ``oss://`` URL (:meth:`with_media`)
        before sending; a request holding bytes cannot be written at all until then.
        """
        inp: dict[str, Any] = {"function": self.function} if self.family.function_in_body else {}
        body: dict[str, Any] = {"model": model, "input": inp}
        parameters: dict[str, Any] = {}
        media: list[dict[str, Any]] = []
        for row in params_of(self.function):
            value = getattr(self, row.attr)
            if value is None:
                continue
            if row.media:
                value = _media_to_json(value, row)
            elif isinstance(value, tuple):
                value = list(value)
            if row.place == "media":
                items = value if isinstance(value, list) else [value]
                media += [{"type": row.api_name, "url": url} for url in items]
                continue
            if row.one_as_list:
                value = [value]
            (inp if row.place == "input" else parameters)[row.api_name] = value
        if media:
            inp["media"] = media
        if parameters:
            body["parameters"] = parameters
        return body

    def media_inputs(self) -> list[MediaInput]:
        """Every media value with its field, API field, list position and kind."""
        items = []
        for row in params_of(self.function):
            value = getattr(self, row.attr)
            if row.media is None or value is None:
                continue
            indexed = enumerate(value) if isinstance(value, tuple) else [(None, value)]
            items += [MediaInput(row.attr, row.api_name, i, v, row.media_kind) for i, v in indexed]
        return items

    def with_media(self, replacements: Mapping[tuple[str, int | None], str]) -> VaceRequest:
        """A copy with media replaced by URLs, keyed by (field, index) of :meth:`media_inputs`."""
        changes: dict[str, Any] = {}
        for (attr, index), url in replacements.items():
            current = changes.get(attr, getattr(self, attr))
            if index is None:
                changes[attr] = url
            else:
                items = list(current)
                items[index] = url
                changes[attr] = tuple(items)
        return dataclasses.replace(self, **changes)

    def summary(self) -> dict[str, Any]:
        """A JSON-safe description (bytes shown by size), for the journal and reprs."""
        out: dict[str, Any] = {"function": self.function}
        for row in params_of(self.function):
            value = getattr(self, row.attr)
            if value is None:
                continue
            if isinstance(value, tuple):
                out[row.attr] = [_describe_media(v) for v in value]
            else:
                out[row.attr] = _describe_media(value)
        return out

    def max_billed(self, source_seconds: float | None = None) -> tuple[str, float]:
        """(output tier, the most seconds the server may bill for this job): what a submit
        records against the daily budget. VACE: at most 5 s of 720P output (§10, §13.3)."""
        return self.family.default_tier, float(c.OUTPUT_MAX_SECONDS)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> VaceRequest:
        """Rebuild a request from an API body, as :meth:`to_payload` writes it.

        The body is read as the server reads JSON (contract §2.1): ``null`` is the same as
        leaving a field out, list fields must be lists, fields another function has are
        ignored. A body for ``wan2.7-videoedit`` (named by its ``model``) is an
        :class:`InstructionEdit`; any other is read by its ``input.function``. Raises
        ValidationError naming the field for anything else.
        """
        if not isinstance(payload, Mapping):
            raise ValidationError("body", payload, "must be a JSON object")
        inp, params = payload.get("input"), payload.get("parameters")
        if not isinstance(inp, Mapping):
            raise ValidationError("input", inp, "must be a JSON object with function and prompt")
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise ValidationError("parameters", params, "must be a JSON object")
        family = family_of_model(payload.get("model"))
        target: type[VaceRequest] | None
        if family is not None and not family.function_in_body:
            target = REQUEST_CLASSES[family.functions[0]]
        else:
            function = inp.get("function")
            target = _VACE_CLASSES.get(function) if isinstance(function, str) else None
            if target is None:
                rule = f"must be one of {', '.join(_VACE_CLASSES)}"
                raise ValidationError("function", function, rule)
        grouped = _media_groups(target.function, inp.get("media"))
        kwargs = {}
        for row in params_of(target.function):
            if row.place == "media":
                value = _group_value(row, grouped)
            else:
                value = (inp if row.place == "input" else params).get(row.api_name)
            if value is not None:
                kwargs[row.attr] = _from_json(row, value)
        return target(**kwargs)

    # -- rules that tie fields together; each class writes its own -------------------------

    def _check(self) -> None:
        """The function's cross-field rules (contract §5–§9)."""

    def _fail(self, attr: str, rule: str) -> ValidationError:
        row = next(r for r in params_of(self.function) if r.attr == attr)
        return ValidationError(attr, getattr(self, attr), rule, api_field=row.api_name)


RequestClass = TypeVar("RequestClass", bound=type[VaceRequest])


def _from_table(cls: RequestClass) -> RequestClass:
    """Tie a request class to its rows of the table: its attributes must be exactly the
    table's, and its docstring gains the list of them with their API fields."""
    attrs = [f.name for f in dataclasses.fields(cls)]
    rows = params_of(cls.function)
    if sorted(attrs) != sorted(r.attr for r in rows):
        raise TypeError(f"{cls.__name__}'s attributes differ from the table in params.py")
    lines = [f"* ``{r.attr}`` → {r.path}{_notes(r)}: {r.help}" for r in rows]
    doc = (cls.__doc__ or "").rstrip()
    cls.__doc__ = f"{doc}\n\n    Parameters:\n\n    " + "\n    ".join(lines)
    return cls


def _notes(row: Param) -> str:
    notes = ["a list of one"] if row.one_as_list else []
    notes += ["required"] if row.required else []
    notes += [f"API default {row.default!r}"] if row.default is not None else []
    notes += [f"0: {row.zero_means}"] if row.zero_means else []
    notes += [f"left out: {row.absent_means}"] if row.absent_means else []
    return f" ({', '.join(notes)})" if notes else ""


@_from_table
@dataclass(frozen=True, kw_only=True)
class ImageReference(VaceRequest):
    """``image_reference``: a video made from 1–3 reference images (contract §5).

    One tag per image in ``obj_or_bg``: ``"obj"`` a subject (one per image, on a plain
    background), ``"bg"`` the background scene (at most one). The tags may be left out
    for a single image, which is then a subject.
    """

    function: ClassVar[str] = "image_reference"

    ref_images: Sequence[Media] | None = None
    obj_or_bg: Sequence[str] | None = None
    size: str | None = None
    duration: int | None = None

    def _check(self) -> None:
        count = len(self.ref_images or ())
        if self.obj_or_bg is None:
            if count > 1:
                raise self._fail(
                    "obj_or_bg",
                    f"is required with {count} images: give one 'obj' (subject) or 'bg' "
                    "(background) per image, in order",
                )
            return
        if len(self.obj_or_bg) != count:
            raise self._fail(
                "obj_or_bg",
                f"must have {count} entries to match ref_images (one per image), "
                f"got {len(self.obj_or_bg)}",
            )
        if self.obj_or_bg.count("bg") > 1:
            raise self._fail("obj_or_bg", "allows at most one 'bg' (one background image)")


@_from_table
@dataclass(frozen=True, kw_only=True)
class VideoRepainting(VaceRequest):
    """``video_repainting``: keep a video's motion, repaint its look (contract §6).

    ``control_condition`` is required (contract §16: ZH-API says required, EN-GUIDE
    optional); ``prompt_extend=False`` is recommended.
    """

    function: ClassVar[str] = "video_repainting"

    video: Media | None = None
    control_condition: str | None = None
    strength: float | None = None
    ref_image: Media | None = None


@_from_table
@dataclass(frozen=True, kw_only=True)
class VideoEdit(VaceRequest):
    """``video_edit``: change only a masked region of a video (contract §7).

    Give exactly one of ``mask_image`` (recommended) and ``mask_video``: white
    [255,255,255] pixels are edited, black [0,0,0] kept, at the video's resolution.
    ``mask_frame_id``, ``mask_type``, ``expand_ratio`` and ``expand_mode`` matter only
    with a mask image, the two ``expand_*`` only with ``mask_type="tracking"``; elsewhere
    the server ignores them (contract §7).
    """

    function: ClassVar[str] = "video_edit"

    video: Media | None = None
    mask_image: Media | None = None
    mask_frame_id: int | None = None
    mask_type: str | None = None
    expand_ratio: float | None = None
    expand_mode: str | None = None
    mask_video: Media | None = None
    ref_image: Media | None = None
    control_condition: str | None = None
    size: str | None = None
    duration: int | None = None

    def _check(self) -> None:
        if (self.mask_image is None) == (self.mask_video is None):
            raise self._fail(
                "mask_image",
                "give exactly one of mask_image (recommended) or mask_video: "
                "white pixels are edited, black pixels kept",
            )


#: §8: the inputs video_extension builds from; at least one is needed
EXTENSION_ANCHORS = ("first_frame", "last_frame", "first_clip", "last_clip")


@_from_table
@dataclass(frozen=True, kw_only=True)
class VideoExtension(VaceRequest):
    """``video_extension``: a 5 s video from or into given frames and clips (contract §8).

    Give at least one of ``first_frame``, ``last_frame``, ``first_clip``, ``last_clip``.
    A motion ``video`` needs a ``control_condition``; without a video, a condition is
    accepted and has no effect. ``duration`` is the total, not added to the input.
    """

    function: ClassVar[str] = "video_extension"

    first_clip: Media | None = None
    first_frame: Media | None = None
    last_frame: Media | None = None
    last_clip: Media | None = None
    video: Media | None = None
    control_condition: str | None = None
    duration: int | None = None

    def _check(self) -> None:
        if all(getattr(self, a) is None for a in EXTENSION_ANCHORS):
            raise self._fail(
                "first_frame",
                "give at least one of first_frame, last_frame, first_clip or last_clip",
            )
        if self.video is not None and not self.control_condition:
            raise self._fail(
                "control_condition",
                "is required with a motion video: 'posebodyface' or 'depth'",
            )


@_from_table
@dataclass(frozen=True, kw_only=True)
class VideoOutpainting(VaceRequest):
    """``video_outpainting``: widen a video's frame in any direction (contract §9).

    Each scale (1–2) says how far that side reaches: 1.5 makes it 1.5 times the original.
    """

    function: ClassVar[str] = "video_outpainting"

    video: Media | None = None
    top_scale: float | None = None
    bottom_scale: float | None = None
    left_scale: float | None = None
    right_scale: float | None = None
    duration: int | None = None


@_from_table
@dataclass(frozen=True, kw_only=True)
class InstructionEdit(VaceRequest):
    """``wan2.7-videoedit``: edit a 2–10 s video by an instruction, optionally with up to 4
    reference images whose people, clothes or props it may use (contract §17).

    ``prompt`` is the instruction ("turn the scene into claymation", "dress her in the
    coat of the reference image"); without one the model makes a style transfer of its
    own choice. ``duration`` 0 (the API's default) keeps the source's length; 2–10 cuts
    that many seconds from its start and may not exceed it. The job is billed for the
    source's seconds used plus the output's, at the ``resolution``'s price (§17.7).
    """

    function: ClassVar[str] = c.INSTRUCTION_EDIT
    family: ClassVar[ModelFamily] = FAMILIES["videoedit27"]

    prompt: str | None = None
    video: Media | None = None
    ref_images: Sequence[Media] | None = None
    negative_prompt: str | None = None
    resolution: str | None = None
    ratio: str | None = None
    duration: int | None = None
    audio_setting: str | None = None

    def max_billed(self, source_seconds: float | None = None) -> tuple[str, float]:
        """The source's seconds used plus as many of output (§17.7): ``duration``, or the
        source's length (10 s, the longest allowed, when it is not known here)."""
        longest = float(c.EDIT27_DURATION_RANGE[1])
        source = min(source_seconds, longest) if source_seconds else longest
        output = min(float(self.duration), source) if self.duration else source
        return self.resolution or self.family.default_tier, 2 * output


#: function → request class, for every function of every family
REQUEST_CLASSES: dict[str, type[VaceRequest]] = {
    cls.function: cls
    for cls in (
        ImageReference,
        VideoRepainting,
        VideoEdit,
        VideoExtension,
        VideoOutpainting,
        InstructionEdit,
    )
}
#: the functions a body names in ``input.function``
_VACE_CLASSES = {f: cls for f, cls in REQUEST_CLASSES.items() if cls.family is VACE}


def _media_groups(function: str, value: Any) -> dict[str, list[Any]]:
    """``input.media`` grouped by type (contract §17.3)."""
    try:
        return media_by_type(function, value)
    except ParamError as error:
        raise ValidationError("media", value, error.rule, api_field="media") from None


def _group_value(row: Param, grouped: dict[str, list[Any]]) -> Any:
    try:
        return media_value(row, grouped)
    except ParamError as error:
        raise ValidationError(
            row.attr, grouped.get(row.api_name), error.rule, api_field=row.api_name
        ) from None


def _from_json(row: Param, value: Any) -> Any:
    """A JSON value as the request's attribute: lists must be lists, and a one-image list
    is unwrapped (contract §2.1). ``input.media`` entries come grouped already."""
    if row.kind not in _LISTS and not row.one_as_list:
        return value
    if not isinstance(value, list):
        raise ValidationError(row.attr, value, "must be a JSON list", api_field=row.api_name)
    if not row.one_as_list:
        return value
    if len(value) != 1 or value[0] is None:
        rule = "takes exactly one image, as a list of one URL"
        raise ValidationError(row.attr, value, rule, api_field=row.api_name)
    return value[0]


def _media_to_json(value: Any, row: Param) -> Any:
    if isinstance(value, tuple):
        return [_media_to_json(v, row) for v in value]
    if isinstance(value, bytes):
        rule = "holds bytes: upload them first (the client does)"
        raise ValidationError(row.attr, value, rule, api_field=row.api_name)
    return os.fspath(value)


def _describe_media(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return os.fspath(value) if isinstance(value, os.PathLike) else value
