"""The server's rules, as the emulator applies them to a submitted body.

Each field's own rule comes from the parameter table (``params.py``) through
:func:`~wanvace_widgets.contract.param_checks.check_json`; the rules that tie fields together are
written here again, against the API's names and independently of the request models, so
that ``tests/test_contract_differential.py`` can check each side against the other. The
server is lenient where the documentation says it is: a long prompt is cut to its length
and only the first 3 reference images of VACE are kept (``docs/api-contract.md`` §14).
Every refusal is a 400 ``InvalidParameter`` whose message names the field. A body is read
by the rules of its model's family: VACE's by ``input.function``, wan2.7-videoedit's with
its ``input.media`` list (§17).
"""

from __future__ import annotations

from typing import Any

from ..contract import constants as c
from ..contract.families import family_of_model
from ..contract.media_rules import file_problem
from ..contract.param_checks import ParamError, check_json, media_by_type, media_value, server_keeps
from ..contract.params import MEDIA_KIND_OF_API_FIELD, MEDIA_PATH_OF_API_FIELD, params_of
from ..media.codec import MediaInfo

__all__ = ["ApiFailure", "TaskFailure", "check_media", "check_submit", "media_fields"]


class ApiFailure(Exception):
    """A synchronous error answer: HTTP status, DashScope code and message."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers


class TaskFailure(Exception):
    """A check the server makes after downloading the media: the task ends FAILED."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def bad_parameter(message: str) -> ApiFailure:
    """DashScope's answer to a malformed request (contract §12.1)."""
    return ApiFailure(400, "InvalidParameter", message)


def media_fields(inp: dict) -> dict[str, Any]:
    """The media URLs of a checked input block, by API field (lists stay lists); the
    entries of ``input.media`` by their type, as lists."""
    if isinstance(inp.get("media"), list):
        grouped: dict[str, list] = {}
        for entry in inp["media"]:
            grouped.setdefault(entry["type"], []).append(entry["url"])
        return grouped
    return {name: inp[name] for name in MEDIA_KIND_OF_API_FIELD if name in inp}


def check_submit(body: Any, *, model: str | tuple[str, ...], oss_resolve: bool) -> dict:
    """Check a submit body; return what the server keeps of it, or raise ApiFailure.

    ``model`` is the name, or the names, this region serves (any other is 404
    ``ModelNotFound``). The kept body holds only the function's documented fields: unknown
    ones (the SDK's ``extend_prompt``, another function's fields) are ignored, and ``null``
    is the same as leaving a field out (contract §2.1).
    """
    if not isinstance(body, dict):
        raise bad_parameter("The request body must be a JSON object.")
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise bad_parameter("Field required: model (a model name).")
    if name not in ((model,) if isinstance(model, str) else model):
        raise ApiFailure(404, "ModelNotFound", "Model not exist.")
    inp, params = body.get("input"), body.get("parameters")
    if not isinstance(inp, dict):
        raise bad_parameter("Field required: input (a JSON object).")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise bad_parameter("The field parameters must be a JSON object.")
    family = family_of_model(name)
    if family is not None and not family.function_in_body:
        function = family.functions[0]
        given: dict[str, dict] = {"input": {}, "parameters": {}}
    else:
        named = inp.get("function")
        if not isinstance(named, str) or named not in c.FUNCTIONS:
            raise bad_parameter(f"input.function must be one of {', '.join(c.FUNCTIONS)}.")
        function = named
        given = {"input": {"function": function}, "parameters": {}}
    grouped = _media_list(function, inp.get("media"))
    media: list[dict] = []
    for row in params_of(function):
        try:
            if row.place == "media":
                given_value = media_value(row, grouped)
            else:
                given_value = (inp if row.place == "input" else params).get(row.api_name)
            value = check_json(row, given_value, function)
        except ParamError as error:
            if error.rule.startswith("is required"):
                raise bad_parameter(f"Field required: {row.path} ({error.rule}).") from None
            raise bad_parameter(f"The parameter {row.path} {error.rule}.") from None
        if value is None:
            continue
        if row.place == "media":
            urls = value if isinstance(value, list) else [value]
            media += [{"type": row.api_name, "url": url} for url in urls]
        else:
            given[row.place][row.api_name] = value
    if media:
        given["input"]["media"] = media
    _check_oss(given["input"], oss_resolve)
    _RULES[function](given["input"], given["parameters"])
    for row in params_of(function):  # what the server cuts, after the rules saw it whole
        fields = given.get(row.place, {})  # media rows are never cut
        if row.api_name in fields:
            fields[row.api_name] = server_keeps(row, fields[row.api_name])
    return {"model": name, **given}


def _media_list(function: str, value: Any) -> dict[str, list]:
    """``input.media`` grouped by type (§17.3)."""
    try:
        return media_by_type(function, value)
    except ParamError as error:
        raise bad_parameter(f"The parameter input.media {error.rule}.") from None


def _check_oss(inp: dict, oss_resolve: bool) -> None:
    """An oss:// URL needs the resolve header (contract §13.2)."""
    for name, value in media_fields(inp).items():
        urls = value if isinstance(value, list) else [value]
        if not oss_resolve and any(u.startswith(c.OSS_SCHEME) for u in urls):
            raise ApiFailure(
                400,
                "InvalidParameter.DataInspection",
                f"The provided URL of {MEDIA_PATH_OF_API_FIELD[name]} does not appear to be "
                f"valid. An oss:// URL needs the header {c.OSS_RESOLVE_HEADER}: enable.",
            )


# -- rules that tie fields together (contract §5–§9) -----------------------------------------

_SAME_LENGTH = "ref_images_url and obj_or_bg must be the same length."


def _image_reference(inp: dict, params: dict) -> None:
    count, tags = len(inp["ref_images_url"]), params.get("obj_or_bg")
    if tags is None:
        if count != 1:
            raise bad_parameter(f"{_SAME_LENGTH} parameters.obj_or_bg is needed for {count}.")
        return
    if len(tags) != count:
        raise bad_parameter(f"{_SAME_LENGTH} parameters.obj_or_bg has {len(tags)} for {count}.")
    if tags.count("bg") > 1:
        raise bad_parameter("At most one bg is allowed in parameters.obj_or_bg.")
    # the server keeps the first 3 images (contract §5), and their tags with them
    params["obj_or_bg"] = tags[: c.REF_IMAGES_MAX]


def _video_edit(inp: dict, params: dict) -> None:
    if ("mask_image_url" in inp) == ("mask_video_url" in inp):
        raise bad_parameter(
            "Exactly one of input.mask_image_url and input.mask_video_url must be provided."
        )


def _video_extension(inp: dict, params: dict) -> None:
    anchors = ("first_frame_url", "last_frame_url", "first_clip_url", "last_clip_url")
    if not any(a in inp for a in anchors):
        raise bad_parameter(
            "At least one of input.first_frame_url, input.last_frame_url, "
            "input.first_clip_url and input.last_clip_url must be provided."
        )
    if "video_url" in inp and not params.get("control_condition"):
        raise bad_parameter(
            "Field required: parameters.control_condition (posebodyface or depth) when "
            "input.video_url is given."
        )


def _no_cross_field_rule(inp: dict, params: dict) -> None:
    """video_repainting, video_outpainting and instruction_edit: every rule that can be
    checked before the download is a field's own (the video's count and the images' are
    the media rows'; the duration against the source's length waits for the file)."""


_RULES = {
    "image_reference": _image_reference,
    "video_repainting": _no_cross_field_rule,
    "video_edit": _video_edit,
    "video_extension": _video_extension,
    "video_outpainting": _no_cross_field_rule,
    c.INSTRUCTION_EDIT: _no_cross_field_rule,
}


# -- checks after download (contract §4) ------------------------------------------------------


def check_media(inp: dict, infos: dict[str, list[MediaInfo]], params: dict | None = None) -> None:
    """Checks made after download; ``infos`` maps API fields (or ``input.media`` types) to
    probed files."""
    for name, items in infos.items():
        for info in items:
            problem = file_problem(MEDIA_KIND_OF_API_FIELD[name], info)
            if problem:
                code, rule = problem
                raise TaskFailure(code, f"The file of {MEDIA_PATH_OF_API_FIELD[name]} {rule}.")
    if c.EDIT27_VIDEO_TYPE in infos:
        _check_duration_within_source(infos[c.EDIT27_VIDEO_TYPE][0], params or {})
    clips = [infos[n][0].duration_s or 0 for n in ("first_clip_url", "last_clip_url") if n in infos]
    if len(clips) == 2 and sum(clips) > c.CLIP_MAX_SECONDS + 0.05:
        raise TaskFailure(
            "InvalidFile.Duration",
            "The total duration of input.first_clip_url and input.last_clip_url must not "
            f"exceed {c.CLIP_MAX_SECONDS:g}s.",
        )
    if "video_url" in infos and ("mask_image_url" in infos or "mask_video_url" in infos):
        _check_mask(inp, infos["video_url"][0], infos)


def _check_mask(inp: dict, video: MediaInfo, infos: dict[str, list[MediaInfo]]) -> None:
    """The mask has the video's resolution; a mask image's frame lies in the video."""
    name = "mask_image_url" if "mask_image_url" in infos else "mask_video_url"
    mask = infos[name][0]
    if (mask.width, mask.height) != (video.width, video.height):
        raise TaskFailure(
            "InvalidParameter",
            f"The size is not match between input.{name} ({mask.width}x{mask.height}) and "
            f"input.video_url ({video.width}x{video.height}).",
        )
    frame = inp.get("mask_frame_id")
    last = c.max_mask_frame_id(video.fps or 0, video.duration_s or 0)
    if name == "mask_image_url" and frame is not None and frame > last:
        raise TaskFailure("InvalidParameter", f"The input.mask_frame_id must be in [1, {last}].")


def _check_duration_within_source(video: MediaInfo, params: dict) -> None:
    """wan2.7-videoedit: a duration other than 0 is cut from the source, so it may not be
    longer than the source (§17.4)."""
    duration = params.get("duration") or 0
    seconds = video.duration_s or 0.0
    if duration and duration > seconds + c.EDIT27_SECONDS_TOLERANCE:
        raise TaskFailure(
            "InvalidParameter",
            f"The parameter parameters.duration ({duration} s) must not exceed the duration of "
            f"{MEDIA_PATH_OF_API_FIELD[c.EDIT27_VIDEO_TYPE]} ({seconds:.2f} s); use 0 to keep "
            "the source's length.",
        )
