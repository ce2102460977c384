"""Every parameter of every function, declared once, as data: VACE's five and Wan 2.7's
instruction edit.

One row per parameter: the request attribute and its API name, where it goes (``input``,
``parameters``, or an entry of ``input.media`` whose ``type`` is the API name), its kind,
bounds, documented default, whether it is required, and the label and help a form shows.
From this table the request models derive their per-field checks and payload mapping
(``request_models.py``), the emulator its per-field checks (``emulator/validation.py``), and the
widgets their form rows (``widgets/functions.py``); ``param_checks.py`` turns a row into a
check. Rules that tie two fields together are not here: each side writes them by hand, and
``tests/test_contract_differential.py`` proves the two sides agree. Sources and decisions:
``docs/api-contract.md`` (§ numbers below).

Adding a parameter: one row here, one attribute on the request class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from . import constants as c

__all__ = [
    "COMMON",
    "FUNCTION_PARAMS",
    "IMAGE_MEDIA",
    "MEDIA_EXTENSIONS",
    "MEDIA_KIND_OF_API_FIELD",
    "MEDIA_PATH_OF_API_FIELD",
    "Param",
    "common_of",
    "form_params",
    "media_rows",
    "param",
    "params_of",
]

#: one media, a list of media, one of a few strings, a list of such, a bounded number, a
#: whole number, true/false, free text
Kind = Literal[
    "media", "media_list", "choice", "choice_list", "range", "integer", "boolean", "text"
]
#: where a value goes: ``input``, ``parameters``, or ``input.media`` as ``{"type": api_name,
#: "url": value}`` (§17.3)
Place = Literal["input", "parameters", "media"]
#: what a media file must be: an image (§4.2), a mask image (§4.3), a video or clip (§4.4);
#: wan2.7-videoedit's source video and reference image (§17.3)
MediaKind = Literal[
    "image", "mask_image", "video", "clip", "mask_video", "edit_video", "edit_reference"
]
#: the media kinds that are images (the others are videos)
IMAGE_MEDIA: Final = ("image", "mask_image", "edit_reference")
#: the file name endings a local file of each kind may have
MEDIA_EXTENSIONS: Final[dict[str, tuple[str, ...]]] = {
    "image": c.IMAGE_EXTENSIONS,
    "mask_image": c.IMAGE_EXTENSIONS,
    "video": c.VIDEO_EXTENSIONS,
    "clip": c.VIDEO_EXTENSIONS,
    "mask_video": c.VIDEO_EXTENSIONS,
    "edit_video": c.EDIT27_VIDEO_EXTENSIONS,
    "edit_reference": c.EDIT27_IMAGE_EXTENSIONS,
}


@dataclass(frozen=True)
class Param:
    """One parameter of one function (or of all VACE's five, in :data:`COMMON`).

    ``bounds`` are a number's limits (None: open), ``length`` a text's characters or a
    list's items. ``default`` is the API's documented default (None: none documented);
    a choice also accepts its default, so ``control_condition=""`` passes where ``""`` is
    documented. ``server_cuts``: above the upper ``length`` the server silently cuts
    instead of refusing (§14). ``one_as_list``: one media, sent as a list of one.
    ``zero_means``: 0 is also accepted, below the bounds, and means this (a duration of 0
    keeps the source's length). ``absent_means`` says what leaving the field out gives when
    no default value is documented (a form shows it). ``suggested`` is what a form starts
    with where the API has no default (a list's: one per entry, e.g. the second image
    offered as the background). ``advanced``: rarely changed, so a form folds it into
    its "Advanced" section (shown when it differs from what a new form shows, or is wrong).
    """

    attr: str
    api_name: str
    place: Place
    kind: Kind
    label: str
    help: str = ""
    media: MediaKind | None = None
    choices: tuple[str, ...] = ()
    bounds: tuple[float | None, float | None] = (None, None)
    length: tuple[int, int | None] = (0, None)
    default: Any = None
    required: bool = False
    server_cuts: bool = False
    one_as_list: bool = False
    in_form: bool = True
    zero_means: str = ""
    absent_means: str = ""
    suggested: Any = None
    advanced: bool = False

    @property
    def path(self) -> str:
        """``input.video_url``, ``input.media[type=video]``: how the server's messages name
        the field."""
        if self.place == "media":
            return f"input.media[type={self.api_name}]"
        return f"{self.place}.{self.api_name}"

    @property
    def media_kind(self) -> MediaKind:
        """The kind of file a media row takes (every media row names one)."""
        if self.media is None:
            raise TypeError(f"{self.attr} is a {self.kind} row, not a media row")
        return self.media

    @property
    def allowed(self) -> tuple[str, ...]:
        """A choice's accepted values: its choices and its documented default."""
        extra = (self.default,) if isinstance(self.default, str) else ()
        return tuple(dict.fromkeys(self.choices + extra))


_IMAGE = "JPG/PNG/BMP/TIFF/WEBP, sides 360–2000 px, ≤ 10 MB"
_VIDEO = "MP4, ≥ 16 fps, ≤ 50 MB; only the first 5 s are used"
_CLIP = "MP4, ≥ 16 fps; first and last clip together at most 3 s"


def _media(
    attr: str, api_name: str, media: MediaKind, label: str, help: str, **kw: Any
) -> Param:
    return Param(attr, api_name, "input", "media", label=label, help=help, media=media, **kw)


def _source_video() -> Param:
    return _media("video", "video_url", "video", "Source video", _VIDEO, required=True)


def _ref_image(help: str) -> Param:
    label = "Reference image (optional)"
    return _media(
        "ref_image", "ref_images_url", "image", label, help, one_as_list=True, advanced=True
    )


def _option(attr: str, kind: Kind, label: str, help: str, **kw: Any) -> Param:
    """A row in ``parameters`` whose API name is its attribute's."""
    return Param(attr, attr, "parameters", kind, label=label, help=help, **kw)


def _control(choices: tuple[str, ...], help: str, **kw: Any) -> Param:
    return _option("control_condition", "choice", "keep", help, choices=choices, **kw)


def _size() -> Param:
    sizes = tuple(c.SIZES)
    return _option(
        "size",
        "choice",
        "size",
        "output width*height",
        choices=sizes,
        default=c.DEFAULT_SIZE,
        advanced=True,
    )


def _duration() -> Param:
    fixed = c.FIXED_DURATION_S
    return _option(
        "duration",
        "integer",
        "duration",
        "fixed at 5 s by the API",
        bounds=(fixed, fixed),
        default=fixed,
        in_form=False,
    )


def _prompt_extend() -> Param:
    return _option(
        "prompt_extend",
        "boolean",
        "let the model rewrite the prompt",
        "a language model expands the prompt first",
        default=True,
        advanced=True,
    )


def _seed() -> Param:
    return _option(
        "seed",
        "integer",
        "seed",
        "empty = random; the same seed and inputs repeat a result",
        bounds=(c.SEED_MIN, c.SEED_MAX),
        advanced=True,
    )


def _watermark() -> Param:
    return _option(
        "watermark",
        "boolean",
        "add an 'AI-generated' mark",
        "a small mark (in Chinese) in the bottom right corner",
        default=False,
        advanced=True,
    )


#: §3: the fields all five VACE functions share, first in every form
COMMON: Final = (
    Param("prompt", "prompt", "input", "text", label="Prompt",
          help="Describe the video you want, rather than giving instructions.",
          length=(1, c.PROMPT_MAX_CHARS), required=True, server_cuts=True),
    _prompt_extend(),
    _seed(),
    _watermark(),
)  # fmt: skip

#: §17.2: the fields wan2.7-videoedit shares with VACE, its own instruction first (a
#: longer one, and optional: without it the model makes a style transfer of its choice)
COMMON_EDIT27: Final = (
    Param("prompt", "prompt", "input", "text", label="Instruction",
          help="What to change, e.g. “turn the scene into claymation”, “replace her coat with "
               "the one in the reference image”. ≤ 5000 characters.",
          length=(1, c.EDIT27_PROMPT_MAX_CHARS), server_cuts=True,
          absent_means="a style transfer of the model's choice"),
    _prompt_extend(),
    _seed(),
    _watermark(),
)  # fmt: skip

#: §5–§9: each function's own parameters, in the order a form shows them
FUNCTION_PARAMS: Final[dict[str, tuple[Param, ...]]] = {
    "image_reference": (
        Param("ref_images", "ref_images_url", "input", "media_list", label="Reference image",
              help=_IMAGE, media="image", length=(c.REF_IMAGES_MIN, c.REF_IMAGES_MAX),
              required=True, server_cuts=True),
        _option("obj_or_bg", "choice_list", "image is",
                "obj = a subject (one per image, plain background); bg = the background "
                "(at most one)", choices=c.OBJ_OR_BG, suggested=("obj", "bg", "obj")),
        _size(),
        _duration(),
    ),
    "video_repainting": (
        _source_video(),
        _control(c.REPAINT_CONTROL_CONDITIONS,
                 "posebodyface: face and body motion · posebody: body only · depth: "
                 "composition and contours · scribble: line art",
                 required=True, suggested="depth"),
        _option("strength", "range", "strength", "1 stays close to the source, 0 is freer",
                bounds=c.STRENGTH_RANGE, default=c.DEFAULT_STRENGTH),
        _ref_image("replaces the subject of the video; " + _IMAGE),
    ),
    "video_edit": (
        _source_video(),
        _media("mask_image", "mask_image_url", "mask_image", "Mask image",
               "white = edit, black = keep; same resolution as the video (recommended)"),
        Param("mask_frame_id", "mask_frame_id", "input", "integer", label="mask frame",
              help="the frame the mask image belongs to (1 = first)",
              bounds=(c.MASK_FRAME_ID_MIN, None), default=c.MASK_FRAME_ID_MIN),
        _option("mask_type", "choice", "mask type",
                "tracking: the region follows the object · fixed: the region stays still",
                choices=c.MASK_TYPES, default="tracking", advanced=True),
        _option("expand_ratio", "range", "expand ratio", "tracking only: how far the mask grows",
                bounds=c.EXPAND_RATIO_RANGE, default=c.DEFAULT_EXPAND_RATIO, advanced=True),
        _option("expand_mode", "choice", "expand mode",
                "tracking only: hull (polygon), bbox (rectangle), original (the mask's shape)",
                choices=c.EXPAND_MODES, default="hull", advanced=True),
        _media("mask_video", "mask_video_url", "mask_video", "…or a mask video",
               "instead of a mask image: same fps, resolution and length as the video",
               advanced=True),
        _ref_image("used in the edited region; " + _IMAGE),
        _control(c.EDIT_CONTROL_CONDITIONS, "posebodyface or depth of the source", default="",
                 advanced=True),
        _size(),
        _duration(),
    ),
    "video_extension": (
        _media("first_clip", "first_clip_url", "clip", "First clip",
               "the video continues from it; " + _CLIP),
        _media("first_frame", "first_frame_url", "image", "First frame",
               "the video starts here; " + _IMAGE),
        _media("last_frame", "last_frame_url", "image", "Last frame",
               "the video ends here; " + _IMAGE),
        _media("last_clip", "last_clip_url", "clip", "Last clip",
               "the video leads into it; " + _CLIP),
        _media("video", "video_url", "video", "Motion video (optional)",
               "only its motion is used; needs 'keep' below", advanced=True),
        _control(c.EXTENSION_CONTROL_CONDITIONS, "posebodyface or depth of the motion video",
                 default="", advanced=True),
        _duration(),
    ),
    "video_outpainting": (
        _source_video(),
        *(_option(side, "range", side.replace("_", " "), "1 = unchanged", bounds=c.SCALE_RANGE,
                  default=1.0) for side in c.SCALE_FIELDS),
        _duration(),
    ),
    # §17: wan2.7-videoedit (no input.function: the model names it)
    c.INSTRUCTION_EDIT: (
        Param("video", c.EDIT27_VIDEO_TYPE, "media", "media", label="Source video",
              help="the video to edit: MP4/MOV, 2–10 s, sides 240–4096 px (at most 8:1), "
                   "≤ 100 MB", media="edit_video", required=True),
        Param("ref_images", c.EDIT27_REFERENCE_TYPE, "media", "media_list",
              label="Reference images (optional)",
              help="up to 4 images whose people, clothes or props the instruction can use; "
                   "JPG/PNG/BMP/WEBP, sides 240–8000 px, ≤ 20 MB",
              media="edit_reference", length=(0, c.EDIT27_REFERENCE_IMAGES_MAX)),
        Param("negative_prompt", "negative_prompt", "input", "text", label="Avoid",
              help="what should not appear, e.g. “blurry, low quality”. ≤ 500 characters.",
              length=(1, c.EDIT27_NEGATIVE_PROMPT_MAX_CHARS), server_cuts=True, advanced=True),
        _option("resolution", "choice", "resolution", "output tier; the price per second follows "
                "it", choices=c.EDIT27_RESOLUTIONS, default=c.EDIT27_DEFAULT_RESOLUTION),
        _option("ratio", "choice", "ratio", "output width:height", choices=c.EDIT27_RATIOS,
                absent_means="the source's", advanced=True),
        _option("duration", "integer", "duration", "seconds cut from the start of the source, "
                "at most its length; 0 keeps all of it", bounds=c.EDIT27_DURATION_RANGE,
                default=c.EDIT27_DURATION_SOURCE, zero_means="the source's length",
                advanced=True),
        _option("audio_setting", "choice", "audio", "auto: the model decides from the "
                "instruction · origin: keep the source's sound", choices=c.EDIT27_AUDIO_SETTINGS,
                default=c.EDIT27_DEFAULT_AUDIO_SETTING, advanced=True),
    ),
}  # fmt: skip

#: the shared fields of a function whose family has its own (the others have COMMON)
_COMMON_OF: Final[dict[str, tuple[Param, ...]]] = {c.INSTRUCTION_EDIT: COMMON_EDIT27}


def common_of(function: str) -> tuple[Param, ...]:
    """The fields ``function`` shares with the others (prompt, prompt_extend, seed,
    watermark), with its own rules: the widgets lay these out themselves."""
    return _COMMON_OF.get(function, COMMON)


def params_of(function: str) -> tuple[Param, ...]:
    """Every parameter of ``function``: the common ones first, then its own."""
    return common_of(function) + FUNCTION_PARAMS[function]


def media_rows(function: str) -> tuple[Param, ...]:
    """The rows of ``function`` that go into ``input.media`` (none for VACE's)."""
    return tuple(row for row in FUNCTION_PARAMS[function] if row.place == "media")


def param(function: str, attr: str) -> Param:
    """The row of ``function``'s attribute ``attr``."""
    return next(p for p in params_of(function) if p.attr == attr)


def form_params(function: str) -> tuple[Param, ...]:
    """The rows a form shows for ``function``, in order: the common ones, then its own."""
    return tuple(p for p in params_of(function) if p.in_form)


#: API media field (or ``input.media`` type) → what its files must be; the same in every
#: function that has it (test)
MEDIA_KIND_OF_API_FIELD: Final[dict[str, MediaKind]] = {
    row.api_name: row.media for rows in FUNCTION_PARAMS.values() for row in rows if row.media
}
#: API media field (or ``input.media`` type) → how the server's messages name it
MEDIA_PATH_OF_API_FIELD: Final[dict[str, str]] = {
    row.api_name: row.path for rows in FUNCTION_PARAMS.values() for row in rows if row.media
}
