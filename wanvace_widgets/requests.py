"""One request model per VACE function; each builds the exact JSON body of the API.

A request validates itself when it is made, before any I/O, so that nothing the API
would reject is ever sent (each second of output costs money). Field names are friendlier
than the API's, and each maps to exactly one API field, named in the class docstring.

Where the reference's sources disagree, these choices are made:

* ``video_repainting`` requires ``control_condition`` (ZH-API marks it required; EN-GUIDE
  calls it optional; a request without it may be refused, so we do not send one).
* ``mask_frame_id`` is 1-based with the first frame as 1 (ZH-API and every worked example;
  QW-OAS's "default 0" contradicts its own example).
* A prompt over 800 characters is rejected, not cut: the server would cut it silently.
* More than 3 reference images are rejected, not cut: the server would drop the rest.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from . import contract as c
from .errors import ValidationError

__all__ = [
    "ImageReference",
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
Media = str | os.PathLike | bytes

_REMOTE_SCHEMES = ("http", "https", "oss")
_KIND_EXTENSIONS = {
    "image": c.IMAGE_EXTENSIONS,
    "mask_image": c.IMAGE_EXTENSIONS,
    "video": c.VIDEO_EXTENSIONS,
    "clip": c.VIDEO_EXTENSIONS,
    "mask_video": c.VIDEO_EXTENSIONS,
}


def is_remote_url(value: object) -> bool:
    """True for an http, https or oss URL; False for local paths and bytes."""
    return isinstance(value, str) and urlsplit(value).scheme.lower() in _REMOTE_SCHEMES


@dataclass(frozen=True)
class MediaInput:
    """One media value of a request, for the client's checks and uploads."""

    field: str
    api_field: str
    index: int | None
    value: Media
    kind: str

    @property
    def is_local(self) -> bool:
        return not is_remote_url(self.value)


@dataclass(frozen=True)
class _ApiField:
    """Where one request attribute goes in the API body."""

    attr: str
    place: str  # "input" or "parameters"
    api_name: str
    media_kind: str | None = None
    as_list: bool = False  # a single value sent as a one-element list (ref_images_url)
    many: bool = False  # a list field; a single value given for it is taken as a list of one


@dataclass(frozen=True, kw_only=True)
class VaceRequest:
    """Fields shared by all five functions (reference §1.1).

    ``prompt`` → input.prompt (≤ 800 characters; describe the result, do not instruct),
    ``prompt_extend`` → parameters.prompt_extend (API default true: an LLM rewrites the
    prompt), ``seed`` → parameters.seed (0 … 2147483647; random when absent),
    ``watermark`` → parameters.watermark (API default false). ``None`` leaves a field out,
    so the API's default applies.
    """

    function: ClassVar[str] = ""
    _fields: ClassVar[tuple[_ApiField, ...]] = ()
    _common: ClassVar[tuple[_ApiField, ...]] = (
        _ApiField("prompt", "input", "prompt"),
        _ApiField("prompt_extend", "parameters", "prompt_extend"),
        _ApiField("seed", "parameters", "seed"),
        _ApiField("watermark", "parameters", "watermark"),
    )

    prompt: str
    prompt_extend: bool | None = None
    seed: int | None = None
    watermark: bool | None = None

    def __post_init__(self) -> None:
        for spec in self._all_fields():
            value = getattr(self, spec.attr)
            if isinstance(value, (list, tuple)):
                object.__setattr__(self, spec.attr, tuple(value))
            elif spec.many and value is not None:
                object.__setattr__(self, spec.attr, (value,))
        self._check_common()
        self._check_media()
        self._check()

    # -- public API -------------------------------------------------------------------

    def to_payload(self, model: str) -> dict[str, Any]:
        """The exact JSON body of ``POST …/video-synthesis`` for ``model``.

        Local paths are written as they are; the client uploads them and swaps in
        ``oss://`` URLs (see :meth:`with_media`) before sending.
        """
        body: dict[str, Any] = {"model": model, "input": {"function": self.function}}
        parameters: dict[str, Any] = {}
        for spec in self._all_fields():
            value = getattr(self, spec.attr)
            if value is None:
                continue
            if spec.media_kind:
                value = _media_to_json(value, spec.attr)
            if spec.as_list:
                value = [value]
            elif isinstance(value, tuple):
                value = list(value)
            (body["input"] if spec.place == "input" else parameters)[spec.api_name] = value
        if parameters:
            body["parameters"] = parameters
        return body

    def media_inputs(self) -> list[MediaInput]:
        """Every media value with its field, API field, list position and kind."""
        items = []
        for spec in self._fields:
            if not spec.media_kind:
                continue
            value = getattr(self, spec.attr)
            if value is None:
                continue
            if isinstance(value, tuple):
                for i, v in enumerate(value):
                    items.append(MediaInput(spec.attr, spec.api_name, i, v, spec.media_kind))
            else:
                items.append(MediaInput(spec.attr, spec.api_name, None, value, spec.media_kind))
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
        for spec in self._all_fields():
            value = getattr(self, spec.attr)
            if value is None:
                continue
            out[spec.attr] = (
                [_describe_media(v) for v in value]
                if isinstance(value, tuple) and spec.media_kind
                else _describe_media(value)
                if spec.media_kind
                else list(value)
                if isinstance(value, tuple)
                else value
            )
        return out

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> VaceRequest:
        """Rebuild a request from an API body (for the journal and tests)."""
        inp = dict(payload.get("input") or {})
        params = dict(payload.get("parameters") or {})
        function = inp.get("function")
        target = _BY_FUNCTION.get(function)
        if target is None:
            rule = f"must be one of {', '.join(c.FUNCTIONS)}"
            raise ValidationError("function", function, rule, api_field="function")
        kwargs: dict[str, Any] = {}
        for spec in target._all_fields():
            source = inp if spec.place == "input" else params
            if spec.api_name not in source:
                continue
            value = source[spec.api_name]
            if spec.as_list:
                if not isinstance(value, list) or len(value) != 1:
                    raise ValidationError(
                        spec.attr, value, "takes exactly one image", api_field=spec.api_name
                    )
                value = value[0]
            kwargs[spec.attr] = value
        return target(**kwargs)

    # -- validation -------------------------------------------------------------------

    @classmethod
    def _all_fields(cls) -> tuple[_ApiField, ...]:
        return cls._common + cls._fields

    def _api_name(self, attr: str) -> str:
        return next(s.api_name for s in self._all_fields() if s.attr == attr)

    def _fail(self, attr: str, rule: str) -> ValidationError:
        return ValidationError(attr, getattr(self, attr), rule, api_field=self._api_name(attr))

    def _check_common(self) -> None:
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise self._fail("prompt", "is required: describe the video you want")
        if len(self.prompt) > c.PROMPT_MAX_CHARS:
            raise self._fail(
                "prompt",
                f"has {len(self.prompt)} characters; the API keeps only the first "
                f"{c.PROMPT_MAX_CHARS} and drops the rest silently, so shorten it",
            )
        for attr in ("prompt_extend", "watermark"):
            if getattr(self, attr) is not None and not isinstance(getattr(self, attr), bool):
                raise self._fail(attr, "must be True, False or None (the API default)")
        if self.seed is not None:
            if isinstance(self.seed, bool) or not isinstance(self.seed, int):
                raise self._fail("seed", "must be a whole number")
            if not c.SEED_MIN <= self.seed <= c.SEED_MAX:
                raise self._fail("seed", f"must be between {c.SEED_MIN} and {c.SEED_MAX}")

    def _check_media(self) -> None:
        for spec in self._fields:
            if not spec.media_kind:
                continue
            value = getattr(self, spec.attr)
            values = value if isinstance(value, tuple) else (value,)
            for v in values:
                if v is not None:
                    _check_media_value(self, spec.attr, v, spec.media_kind)

    def _check(self) -> None:
        """Rules of one function; subclasses override."""

    # -- shared rule helpers for subclasses ---------------------------------------------

    def _check_choice(self, attr: str, allowed: Sequence[str], *, required: bool = False) -> None:
        value = getattr(self, attr)
        if value is None:
            if required:
                raise self._fail(attr, f"is required for {self.function}: one of {_or(allowed)}")
            return
        if value not in allowed:
            raise self._fail(attr, f"must be one of {_or(allowed)} for {self.function}")

    def _check_range(self, attr: str, bounds: tuple[float, float]) -> None:
        value = getattr(self, attr)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise self._fail(attr, "must be a number")
        low, high = bounds
        if not low <= value <= high:
            raise self._fail(attr, f"must be between {low:g} and {high:g}")

    def _check_size(self) -> None:
        self._check_choice("size", tuple(c.SIZES))

    def _check_duration(self) -> None:
        value = getattr(self, "duration")  # noqa: B009 (not every request has duration)
        if value is not None and (isinstance(value, bool) or value != c.FIXED_DURATION_S):
            raise self._fail(
                "duration", f"is fixed at {c.FIXED_DURATION_S} seconds by the API; leave it out"
            )

    def _require(self, attr: str, why: str) -> None:
        if getattr(self, attr) is None:
            raise self._fail(attr, why)


@dataclass(frozen=True, kw_only=True)
class ImageReference(VaceRequest):
    """``image_reference``: a video made from 1–3 reference images (§2).

    ``ref_images`` → input.ref_images_url (1–3 images; JPG/PNG/BMP/TIFF/WEBP, sides
    360–2000 px, ≤ 10 MB; one subject per image, on a plain background),
    ``obj_or_bg`` → parameters.obj_or_bg (one tag per image: ``"obj"`` a subject,
    ``"bg"`` the background scene, at most one ``"bg"``; may be left out for one image,
    which is then a subject), ``size`` → parameters.size (default ``1280*720``),
    ``duration`` → parameters.duration (fixed at 5).
    """

    function: ClassVar[str] = "image_reference"
    _fields: ClassVar[tuple[_ApiField, ...]] = (
        _ApiField("ref_images", "input", "ref_images_url", "image", many=True),
        _ApiField("obj_or_bg", "parameters", "obj_or_bg", many=True),
        _ApiField("size", "parameters", "size"),
        _ApiField("duration", "parameters", "duration"),
    )

    ref_images: tuple[Media, ...] = ()
    obj_or_bg: tuple[str, ...] | None = None
    size: str | None = None
    duration: int | None = None

    def _check(self) -> None:
        count = len(self.ref_images)
        if not c.REF_IMAGES_MIN <= count <= c.REF_IMAGES_MAX:
            raise self._fail(
                "ref_images",
                f"needs {c.REF_IMAGES_MIN} to {c.REF_IMAGES_MAX} images, got {count}"
                + (" (the API would silently keep only the first 3)" if count > 3 else ""),
            )
        if self.obj_or_bg is None:
            if count > 1:
                raise self._fail(
                    "obj_or_bg",
                    f"is required with {count} images: give one 'obj' (subject) or 'bg' "
                    "(background) per image, in order",
                )
        else:
            if len(self.obj_or_bg) != count:
                raise self._fail(
                    "obj_or_bg",
                    f"must have {count} entries to match ref_images (one per image), "
                    f"got {len(self.obj_or_bg)}",
                )
            bad = [t for t in self.obj_or_bg if t not in c.OBJ_OR_BG]
            if bad:
                raise self._fail("obj_or_bg", f"entries must be 'obj' or 'bg', got {bad[0]!r}")
            if self.obj_or_bg.count("bg") > 1:
                raise self._fail("obj_or_bg", "allows at most one 'bg' (one background image)")
        self._check_size()
        self._check_duration()


@dataclass(frozen=True, kw_only=True)
class VideoRepainting(VaceRequest):
    """``video_repainting``: keep a video's motion, repaint its look (§3).

    ``video`` → input.video_url (MP4, ≥ 16 fps, ≤ 50 MB; only the first 5 s are used),
    ``ref_image`` → input.ref_images_url (one subject image that replaces the video's),
    ``control_condition`` → parameters.control_condition (required: ``posebodyface``
    face and body motion, ``posebody`` body only, ``depth`` composition and contours,
    ``scribble`` line art), ``strength`` → parameters.strength (0–1, default 1; higher
    stays closer to the source). ``prompt_extend=False`` is recommended.
    """

    function: ClassVar[str] = "video_repainting"
    _fields: ClassVar[tuple[_ApiField, ...]] = (
        _ApiField("video", "input", "video_url", "video"),
        _ApiField("ref_image", "input", "ref_images_url", "image", as_list=True),
        _ApiField("control_condition", "parameters", "control_condition"),
        _ApiField("strength", "parameters", "strength"),
    )

    video: Media | None = None
    ref_image: Media | None = None
    control_condition: str | None = None
    strength: float | None = None

    def _check(self) -> None:
        self._require("video", "is required: the source video to repaint")
        self._check_choice("control_condition", c.REPAINT_CONTROL_CONDITIONS, required=True)
        self._check_range("strength", c.STRENGTH_RANGE)


@dataclass(frozen=True, kw_only=True)
class VideoEdit(VaceRequest):
    """``video_edit``: change only a masked region of a video (§4).

    ``video`` → input.video_url; ``mask_image`` → input.mask_image_url or ``mask_video``
    → input.mask_video_url (exactly one; white [255,255,255] pixels are edited, black
    [0,0,0] kept; same resolution as the video; the image is recommended);
    ``mask_frame_id`` → input.mask_frame_id (1-based frame the mask image belongs to,
    default 1; image mask only); ``mask_type`` → parameters.mask_type (``tracking``
    follows the object, default; ``fixed`` keeps the region still; image mask only);
    ``expand_ratio`` → parameters.expand_ratio (0–1, default 0.05) and ``expand_mode``
    → parameters.expand_mode (``hull``, ``bbox``, ``original``), both for tracking only;
    ``ref_image`` → input.ref_images_url (one image used in the edited region);
    ``control_condition`` → parameters.control_condition (``posebodyface`` or ``depth``);
    ``size`` → parameters.size; ``duration`` → parameters.duration (fixed at 5).
    """

    function: ClassVar[str] = "video_edit"
    _fields: ClassVar[tuple[_ApiField, ...]] = (
        _ApiField("video", "input", "video_url", "video"),
        _ApiField("ref_image", "input", "ref_images_url", "image", as_list=True),
        _ApiField("mask_image", "input", "mask_image_url", "mask_image"),
        _ApiField("mask_frame_id", "input", "mask_frame_id"),
        _ApiField("mask_video", "input", "mask_video_url", "mask_video"),
        _ApiField("control_condition", "parameters", "control_condition"),
        _ApiField("mask_type", "parameters", "mask_type"),
        _ApiField("expand_ratio", "parameters", "expand_ratio"),
        _ApiField("expand_mode", "parameters", "expand_mode"),
        _ApiField("size", "parameters", "size"),
        _ApiField("duration", "parameters", "duration"),
    )

    video: Media | None = None
    ref_image: Media | None = None
    mask_image: Media | None = None
    mask_frame_id: int | None = None
    mask_video: Media | None = None
    control_condition: str | None = None
    mask_type: str | None = None
    expand_ratio: float | None = None
    expand_mode: str | None = None
    size: str | None = None
    duration: int | None = None

    def _check(self) -> None:
        self._require("video", "is required: the video to edit")
        if (self.mask_image is None) == (self.mask_video is None):
            raise self._fail(
                "mask_image",
                "give exactly one of mask_image (recommended) or mask_video: "
                "white pixels are edited, black pixels kept",
            )
        if self.mask_video is not None:
            for attr in ("mask_frame_id", "mask_type", "expand_ratio", "expand_mode"):
                if getattr(self, attr) is not None:
                    raise self._fail(attr, "applies only with mask_image, not mask_video")
        if self.mask_frame_id is not None:
            if isinstance(self.mask_frame_id, bool) or not isinstance(self.mask_frame_id, int):
                raise self._fail("mask_frame_id", "must be a whole number (1 = first frame)")
            if self.mask_frame_id < c.MASK_FRAME_ID_MIN:
                raise self._fail(
                    "mask_frame_id", f"counts from {c.MASK_FRAME_ID_MIN} (the first frame)"
                )
        self._check_choice("control_condition", c.EDIT_CONTROL_CONDITIONS)
        self._check_choice("mask_type", c.MASK_TYPES)
        if self.mask_type == "fixed":
            for attr in ("expand_ratio", "expand_mode"):
                if getattr(self, attr) is not None:
                    raise self._fail(attr, "applies only with mask_type='tracking'")
        self._check_range("expand_ratio", c.EXPAND_RATIO_RANGE)
        self._check_choice("expand_mode", c.EXPAND_MODES)
        self._check_size()
        self._check_duration()


@dataclass(frozen=True, kw_only=True)
class VideoExtension(VaceRequest):
    """``video_extension``: generate a 5 s video from or into given frames and clips (§5).

    ``first_frame`` → input.first_frame_url and ``last_frame`` → input.last_frame_url
    (images), ``first_clip`` → input.first_clip_url and ``last_clip`` →
    input.last_clip_url (MP4, ≥ 16 fps, together ≤ 3 s); at least one of the four.
    ``video`` → input.video_url (a motion reference, MP4 ≤ 5 s) needs
    ``control_condition`` → parameters.control_condition (``posebodyface`` or ``depth``).
    ``duration`` → parameters.duration (fixed at 5: the total, not added to the input).
    """

    function: ClassVar[str] = "video_extension"
    _fields: ClassVar[tuple[_ApiField, ...]] = (
        _ApiField("first_frame", "input", "first_frame_url", "image"),
        _ApiField("last_frame", "input", "last_frame_url", "image"),
        _ApiField("first_clip", "input", "first_clip_url", "clip"),
        _ApiField("last_clip", "input", "last_clip_url", "clip"),
        _ApiField("video", "input", "video_url", "video"),
        _ApiField("control_condition", "parameters", "control_condition"),
        _ApiField("duration", "parameters", "duration"),
    )

    first_frame: Media | None = None
    last_frame: Media | None = None
    first_clip: Media | None = None
    last_clip: Media | None = None
    video: Media | None = None
    control_condition: str | None = None
    duration: int | None = None

    def _check(self) -> None:
        anchors = ("first_frame", "last_frame", "first_clip", "last_clip")
        if all(getattr(self, a) is None for a in anchors):
            raise self._fail(
                "first_frame",
                "give at least one of first_frame, last_frame, first_clip or last_clip",
            )
        self._check_choice(
            "control_condition", c.EXTENSION_CONTROL_CONDITIONS, required=self.video is not None
        )
        if self.control_condition is not None and self.video is None:
            raise self._fail("control_condition", "is used only with a motion video (video)")
        self._check_duration()


@dataclass(frozen=True, kw_only=True)
class VideoOutpainting(VaceRequest):
    """``video_outpainting``: widen a video's frame in any direction (§6).

    ``video`` → input.video_url; ``top_scale``, ``bottom_scale``, ``left_scale``,
    ``right_scale`` → the parameters of the same names (1–2, default 1 = no change;
    1.5 makes that side 1.5 times the original); ``duration`` → parameters.duration.
    """

    function: ClassVar[str] = "video_outpainting"
    _fields: ClassVar[tuple[_ApiField, ...]] = (
        _ApiField("video", "input", "video_url", "video"),
        *(_ApiField(name, "parameters", name) for name in c.SCALE_FIELDS),
        _ApiField("duration", "parameters", "duration"),
    )

    video: Media | None = None
    top_scale: float | None = None
    bottom_scale: float | None = None
    left_scale: float | None = None
    right_scale: float | None = None
    duration: int | None = None

    def _check(self) -> None:
        self._require("video", "is required: the video to widen")
        for name in c.SCALE_FIELDS:
            self._check_range(name, c.SCALE_RANGE)
        self._check_duration()


_BY_FUNCTION: dict[str, type[VaceRequest]] = {
    cls.function: cls
    for cls in (ImageReference, VideoRepainting, VideoEdit, VideoExtension, VideoOutpainting)
}


def _check_media_value(request: VaceRequest, attr: str, value: Any, kind: str) -> None:
    if isinstance(value, bytes):
        if not value:
            raise request._fail(attr, "is empty")
        return
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip():
        raise request._fail(attr, "must be a URL (http, https, oss), a local path or bytes")
    if c.has_chinese_characters(value):
        raise request._fail(attr, "must not contain Chinese characters (the API refuses such URLs)")
    scheme = urlsplit(value).scheme.lower()
    if scheme in _REMOTE_SCHEMES:
        if not urlsplit(value).netloc:
            raise request._fail(attr, f"is not a complete {scheme} URL")
        return
    if len(scheme) > 1 and "://" in value:
        raise request._fail(attr, f"uses {scheme}://; give an http(s) or oss URL or a local path")
    suffix = Path(value).suffix.lower()
    allowed = _KIND_EXTENSIONS[kind]
    if suffix not in allowed:
        raise request._fail(attr, f"must be a {'/'.join(e[1:] for e in allowed)} file")


def _media_to_json(value: Any, attr: str) -> Any:
    if isinstance(value, tuple):
        return [_media_to_json(v, attr) for v in value]
    if isinstance(value, bytes):
        raise ValidationError(attr, value, "holds bytes: upload them first (the client does)")
    return os.fspath(value)


def _describe_media(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def _or(values: Sequence[str]) -> str:
    quoted = [repr(v) for v in values]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]
