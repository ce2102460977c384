"""The server's rules, as the emulator applies them to a submitted body.

Written against the API's field names and DashScope's error texts (reference §2–6, §8,
§13), independently of the request models, so that each side checks the other. The
server is lenient where the reference says it is: a long prompt is cut to 800 characters
and only the first 3 reference images are kept.
"""

from __future__ import annotations

from typing import Any

from .. import contract as c
from ..media import MediaInfo

__all__ = ["ApiFailure", "TaskFailure", "check_media", "check_submit", "media_fields"]

_MISSING = "Required parameter(s) missing or invalid, please check the request parameters."

#: API media fields and the kind of file each must be
MEDIA_FIELDS = {
    "ref_images_url": "image",
    "video_url": "video",
    "mask_image_url": "image",
    "mask_video_url": "video",
    "first_frame_url": "image",
    "last_frame_url": "image",
    "first_clip_url": "video",
    "last_clip_url": "video",
}


class ApiFailure(Exception):
    """A synchronous error answer: HTTP status, DashScope code and message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class TaskFailure(Exception):
    """A check the server makes after downloading the media: the task ends FAILED."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _bad(message: str) -> ApiFailure:
    return ApiFailure(400, "InvalidParameter", message)


def media_fields(inp: dict) -> dict[str, Any]:
    """The media URLs of an input block, by API field (ref_images_url keeps its list)."""
    return {name: inp[name] for name in MEDIA_FIELDS if inp.get(name)}


def check_submit(body: Any, *, model: str, oss_resolve: bool) -> dict:
    """Check a submit body; return it normalised as the server keeps it, or raise ApiFailure."""
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
        raise _bad(_MISSING)
    if body.get("model") != model:
        raise ApiFailure(404, "ModelNotFound", "Model not exist.")
    inp = dict(body["input"])
    params = dict(body.get("parameters") or {})
    if not isinstance(params, dict):
        raise _bad(_MISSING)
    function = inp.get("function")
    if function not in c.FUNCTIONS:
        raise _bad(f"Unsupported function: {function!r}. " + _MISSING)
    prompt = inp.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise _bad("Field required: input.prompt")
    inp["prompt"] = prompt[: c.PROMPT_MAX_CHARS]
    _check_common(params)
    _check_urls(inp, oss_resolve)
    _RULES[function](inp, params)
    return {"model": model, "input": inp, "parameters": params}


def _check_common(params: dict) -> None:
    seed = params.get("seed")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not c.SEED_MIN <= seed <= c.SEED_MAX
    ):
        raise _bad(f"The seed must be an integer in [{c.SEED_MIN}, {c.SEED_MAX}].")
    for flag in ("prompt_extend", "watermark"):
        if flag in params and not isinstance(params[flag], bool):
            raise _bad(f"The parameter {flag} must be a boolean.")
    if "duration" in params and params["duration"] != c.FIXED_DURATION_S:
        raise _bad(f"The duration can only be {c.FIXED_DURATION_S}.")


def _check_urls(inp: dict, oss_resolve: bool) -> None:
    for name, value in media_fields(inp).items():
        for url in value if isinstance(value, list) else [value]:
            if not isinstance(url, str) or not url.startswith(("http://", "https://", "oss://")):
                raise ApiFailure(
                    400,
                    "InvalidParameter",
                    f"The provided URL does not appear to be valid: {name}.",
                )
            if c.has_chinese_characters(url):
                raise _bad(f"The URL of {name} must not contain Chinese characters.")
            if url.startswith(c.OSS_SCHEME) and not oss_resolve:
                raise ApiFailure(
                    400,
                    "InvalidParameter.DataInspection",
                    "The provided URL does not appear to be valid. An oss:// URL needs the "
                    f"header {c.OSS_RESOLVE_HEADER}: enable.",
                )


def _enum(params: dict, name: str, allowed: tuple[str, ...], *, required: bool = False) -> None:
    value = params.get(name)
    if value in (None, "") and not required:
        return
    if value not in allowed:
        raise _bad(f"The parameter {name} must be one of {', '.join(allowed)}.")


def _number(params: dict, name: str, bounds: tuple[float, float]) -> None:
    if name not in params:
        return
    value = params[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(f"The parameter {name} must be a number.")
    if not bounds[0] <= value <= bounds[1]:
        raise _bad(f"The parameter {name} must be in [{bounds[0]}, {bounds[1]}].")


def _size(params: dict) -> None:
    if "size" in params and params["size"] not in c.SIZES:
        raise _bad(f"The size must be one of {', '.join(c.SIZES)}.")


def _image_reference(inp: dict, params: dict) -> None:
    refs = inp.get("ref_images_url")
    if not isinstance(refs, list) or not refs:
        raise _bad("Field required: input.ref_images_url")
    inp["ref_images_url"] = refs = refs[: c.REF_IMAGES_MAX]
    tags = params.get("obj_or_bg")
    if tags is None:
        if len(refs) != 1:
            raise _bad("ref_images_url and obj_or_bg must be the same length.")
    else:
        if not isinstance(tags, list) or len(tags) < len(refs):
            raise _bad("ref_images_url and obj_or_bg must be the same length.")
        params["obj_or_bg"] = tags = tags[: len(refs)]
        if len(tags) != len(refs):
            raise _bad("ref_images_url and obj_or_bg must be the same length.")
        if any(t not in c.OBJ_OR_BG for t in tags):
            raise _bad("The obj_or_bg elements must be obj or bg.")
        if tags.count("bg") > 1:
            raise _bad("At most one bg is allowed in obj_or_bg.")
    _size(params)


def _single_ref(inp: dict) -> None:
    refs = inp.get("ref_images_url")
    if refs is not None and (not isinstance(refs, list) or len(refs) != 1):
        raise _bad("ref_images_url takes exactly one image for this function.")


def _need_video(inp: dict) -> None:
    if not inp.get("video_url"):
        raise _bad("Field required: input.video_url")


def _video_repainting(inp: dict, params: dict) -> None:
    _need_video(inp)
    _single_ref(inp)
    _enum(params, "control_condition", c.REPAINT_CONTROL_CONDITIONS, required=True)
    _number(params, "strength", c.STRENGTH_RANGE)


def _video_edit(inp: dict, params: dict) -> None:
    _need_video(inp)
    _single_ref(inp)
    if bool(inp.get("mask_image_url")) == bool(inp.get("mask_video_url")):
        raise _bad("Exactly one of mask_image_url and mask_video_url must be provided.")
    frame = inp.get("mask_frame_id")
    if frame is not None and (isinstance(frame, bool) or not isinstance(frame, int) or frame < 1):
        raise _bad("The mask_frame_id must be an integer of at least 1.")
    _enum(params, "control_condition", c.EDIT_CONTROL_CONDITIONS)
    _enum(params, "mask_type", c.MASK_TYPES)
    _enum(params, "expand_mode", c.EXPAND_MODES)
    _number(params, "expand_ratio", c.EXPAND_RATIO_RANGE)
    _size(params)


def _video_extension(inp: dict, params: dict) -> None:
    anchors = ("first_frame_url", "last_frame_url", "first_clip_url", "last_clip_url")
    if not any(inp.get(a) for a in anchors):
        raise _bad(
            "At least one of first_frame_url, last_frame_url, first_clip_url and "
            "last_clip_url must be provided."
        )
    _enum(
        params,
        "control_condition",
        c.EXTENSION_CONTROL_CONDITIONS,
        required=bool(inp.get("video_url")),
    )


def _video_outpainting(inp: dict, params: dict) -> None:
    _need_video(inp)
    for name in c.SCALE_FIELDS:
        _number(params, name, c.SCALE_RANGE)


_RULES = {
    "image_reference": _image_reference,
    "video_repainting": _video_repainting,
    "video_edit": _video_edit,
    "video_extension": _video_extension,
    "video_outpainting": _video_outpainting,
}


def check_media(inp: dict, infos: dict[str, list[MediaInfo]]) -> None:
    """Checks made after download; ``infos`` maps API fields to probed files."""
    for name, items in infos.items():
        for info in items:
            if MEDIA_FIELDS[name] == "image":
                _check_image(name, info)
            else:
                _check_video(name, info)
    clips = [infos[n][0].duration_s or 0 for n in ("first_clip_url", "last_clip_url") if n in infos]
    if len(clips) == 2 and sum(clips) > c.CLIP_MAX_SECONDS + 0.05:
        raise TaskFailure(
            "InvalidFile.Duration",
            "The total duration of first_clip and last_clip must not exceed "
            f"{c.CLIP_MAX_SECONDS:g}s.",
        )
    if "video_url" in infos and ("mask_image_url" in infos or "mask_video_url" in infos):
        video = infos["video_url"][0]
        mask = (infos.get("mask_image_url") or infos["mask_video_url"])[0]
        if (mask.width, mask.height) != (video.width, video.height):
            raise TaskFailure(
                "InvalidParameter",
                f"The size is not match between mask ({mask.width}x{mask.height}) and video "
                f"({video.width}x{video.height}).",
            )
        frame = inp.get("mask_frame_id")
        used = min(video.duration_s or 0, c.VIDEO_USED_SECONDS)
        last = int(round((video.fps or 0) * used)) + 1
        if frame is not None and frame > last:
            raise TaskFailure("InvalidParameter", f"The mask_frame_id must be in [1, {last}].")


def _check_image(name: str, info: MediaInfo) -> None:
    if info.kind != "image":
        raise TaskFailure("InvalidFile.Format", f"The image format of {name} is not supported.")
    if info.size_bytes > c.IMAGE_MAX_BYTES:
        raise TaskFailure("InvalidFile.Size", f"The image of {name} is larger than 10MB.")
    if not all(c.IMAGE_MIN_SIDE_PX <= s <= c.IMAGE_MAX_SIDE_PX for s in (info.width, info.height)):
        raise TaskFailure(
            "InvalidFile.Resolution",
            f"The image resolution of {name} must be within [{c.IMAGE_MIN_SIDE_PX}, "
            f"{c.IMAGE_MAX_SIDE_PX}] pixels per side.",
        )


def _check_video(name: str, info: MediaInfo) -> None:
    if info.kind != "video" or info.format != "mp4":
        raise TaskFailure("InvalidFile.Format", f"The video of {name} must be MP4.")
    if info.size_bytes > c.VIDEO_MAX_BYTES:
        raise TaskFailure("InvalidFile.Size", f"The video of {name} is larger than 50MB.")
    if (info.fps or 0) < c.VIDEO_MIN_FPS:
        raise TaskFailure("InvalidFile.FPS", f"The frame rate of {name} must be at least 16 fps.")
