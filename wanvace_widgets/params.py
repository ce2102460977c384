"""Every parameter of the five VACE functions, declared once, as data.

One row per parameter: the request attribute and its API name, where it goes (``input`` or
``parameters``), its kind, bounds, documented default, whether it is required, and the
label and help a form shows. From this table the request models derive their per-field
checks and payload mapping (``requests.py``), the emulator its per-field checks
(``emulator/validation.py``), and the widgets their form rows (``widgets/functions.py``);
``param_checks.py`` turns a row into a check. Rules that tie two fields together are not
here: each side writes them by hand, and ``tests/test_contract_differential.py`` proves
the two sides agree. Sources and decisions: ``docs/api-contract.md`` (§ numbers below).

Adding a parameter: one row here, one attribute on the request class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from . import contract as c

__all__ = [
    "COMMON",
    "FUNCTION_PARAMS",
    "IMAGE_MEDIA",
    "MEDIA_KIND_OF_API_FIELD",
    "Param",
    "form_params",
    "param",
    "params_of",
]

#: one media, a list of media, one of a few strings, a list of such, a bounded number, a
#: whole number, true/false, free text
Kind = Literal[
    "media", "media_list", "choice", "choice_list", "range", "integer", "boolean", "text"
]
#: what a media file must be: an image (§4.2), a mask image (§4.3), a video or clip (§4.4)
MediaKind = Literal["image", "mask_image", "video", "clip", "mask_video"]
#: the media kinds that are images (the others are MP4 videos)
IMAGE_MEDIA: Final = ("image", "mask_image")


@dataclass(frozen=True)
class Param:
    """One parameter of one function (or of all five, in :data:`COMMON`).

    ``bounds`` are a number's limits (None: open), ``length`` a text's characters or a
    list's items. ``default`` is the API's documented default (None: none documented);
    a choice also accepts its default, so ``control_condition=""`` passes where ``""`` is
    documented. ``server_cuts``: above the upper ``length`` the server silently cuts
    instead of refusing (§14). ``one_as_list``: one media, sent as a list of one.
    ``suggested`` is what a form starts with where the API has no default. ``advanced``:
    rarely changed, so a form folds it into its "Advanced" section (shown when it differs
    from what a new form shows, or is wrong).
    """

    attr: str
    api_name: str
    place: Literal["input", "parameters"]
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
    suggested: Any = None
    advanced: bool = False

    @property
    def path(self) -> str:
        """``input.video_url``: how the server's messages name the field."""
        return f"{self.place}.{self.api_name}"

    @property
    def allowed(self) -> tuple[str, ...]:
        """A choice's accepted values: its choices and its documented default."""
        extra = (self.default,) if isinstance(self.default, str) else ()
        return tuple(dict.fromkeys(self.choices + extra))


_IMAGE = "JPG/PNG/BMP/TIFF/WEBP, sides 360–2000 px, ≤ 10 MB"
_VIDEO = "MP4, ≥ 16 fps, ≤ 50 MB; only the first 5 s are used"
_CLIP = "MP4, ≥ 16 fps; first and last clip together at most 3 s"


def _media(attr: str, api_name: str, media: MediaKind, label: str, help: str, **kw: Any):
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


#: §3: the fields all five functions share, first in every form
COMMON: Final = (
    Param("prompt", "prompt", "input", "text", label="Prompt",
          help="Describe the video you want, rather than giving instructions.",
          length=(1, c.PROMPT_MAX_CHARS), required=True, server_cuts=True),
    _option("prompt_extend", "boolean", "let the model rewrite the prompt",
            "a language model expands the prompt first", default=True, advanced=True),
    _option("seed", "integer", "seed", "empty = random; the same seed and inputs repeat a result",
            bounds=(c.SEED_MIN, c.SEED_MAX), advanced=True),
    _option("watermark", "boolean", "add an 'AI-generated' mark",
            "a small mark (in Chinese) in the bottom right corner", default=False, advanced=True),
)  # fmt: skip

#: §5–§9: each function's own parameters, in the order a form shows them
FUNCTION_PARAMS: Final[dict[str, tuple[Param, ...]]] = {
    "image_reference": (
        Param("ref_images", "ref_images_url", "input", "media_list", label="Reference image",
              help=_IMAGE, media="image", length=(c.REF_IMAGES_MIN, c.REF_IMAGES_MAX),
              required=True, server_cuts=True),
        _option("obj_or_bg", "choice_list", "image is",
                "obj = a subject (one per image, plain background); bg = the background "
                "(at most one)", choices=c.OBJ_OR_BG),
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
}  # fmt: skip


def params_of(function: str) -> tuple[Param, ...]:
    """Every parameter of ``function``: the common ones first, then its own."""
    return COMMON + FUNCTION_PARAMS[function]


def param(function: str, attr: str) -> Param:
    """The row of ``function``'s attribute ``attr``."""
    return next(p for p in params_of(function) if p.attr == attr)


def form_params(function: str) -> tuple[Param, ...]:
    """The rows a form shows for ``function``, in order: the common ones, then its own."""
    return tuple(p for p in params_of(function) if p.in_form)


#: API media field → what its files must be; the same in every function that has it (test)
MEDIA_KIND_OF_API_FIELD: Final[dict[str, MediaKind]] = {
    row.api_name: row.media for rows in FUNCTION_PARAMS.values() for row in rows if row.media
}
