"""The request schema of docs/api-contract.md §2–§9 and §17, written out as JSON Schema.

Kept apart from the package on purpose: the request models are checked against this
independent reading of the reference, not against themselves.
"""

#: a scheme, a host, no Chinese characters (the full set of §4.1 is in contract/constants.py; this is
#: an independent, simpler reading)
URL = {"type": "string", "pattern": r"^(https?|oss)://[^/?#\u4e00-\u9fff]+(/[^\u4e00-\u9fff]*)?$"}
PROMPT = {"type": "string", "minLength": 1, "maxLength": 800}
COMMON_PARAMS = {
    "prompt_extend": {"type": "boolean"},
    "seed": {"type": "integer", "minimum": 0, "maximum": 2147483647},
    "watermark": {"type": "boolean"},
}
SIZE = {"enum": ["1280*720", "720*1280", "960*960", "832*1088", "1088*832"]}
DURATION = {"const": 5}
ONE_URL = {"type": "array", "items": URL, "minItems": 1, "maxItems": 1}


def _body(function, input_props, params_props, required_input=(), required_params=()):
    params = {
        "type": "object",
        "properties": {**COMMON_PARAMS, **params_props},
        "additionalProperties": False,
        "required": list(required_params),
    }
    schema = {
        "type": "object",
        "required": ["model", "input"] + (["parameters"] if required_params else []),
        "additionalProperties": False,
        "properties": {
            "model": {"enum": ["wan2.1-vace-plus", "wanx2.1-vace-plus"]},
            "input": {
                "type": "object",
                "required": ["function", "prompt", *required_input],
                "additionalProperties": False,
                "properties": {"function": {"const": function}, "prompt": PROMPT, **input_props},
            },
            "parameters": params,
        },
    }
    return schema


SCHEMAS = {
    "image_reference": _body(
        "image_reference",
        {"ref_images_url": {"type": "array", "items": URL, "minItems": 1, "maxItems": 3}},
        {
            "obj_or_bg": {"type": "array", "items": {"enum": ["obj", "bg"]}},
            "size": SIZE,
            "duration": DURATION,
        },
        required_input=["ref_images_url"],
    ),
    "video_repainting": _body(
        "video_repainting",
        {"video_url": URL, "ref_images_url": ONE_URL},
        {
            "control_condition": {"enum": ["posebodyface", "posebody", "depth", "scribble"]},
            "strength": {"type": "number", "minimum": 0, "maximum": 1},
        },
        required_input=["video_url"],
        required_params=["control_condition"],
    ),
    "video_edit": _body(
        "video_edit",
        {
            "video_url": URL,
            "ref_images_url": ONE_URL,
            "mask_image_url": URL,
            "mask_video_url": URL,
            "mask_frame_id": {"type": "integer", "minimum": 1},
        },
        {
            "control_condition": {"enum": ["posebodyface", "depth", ""]},
            "mask_type": {"enum": ["tracking", "fixed"]},
            "expand_ratio": {"type": "number", "minimum": 0, "maximum": 1},
            "expand_mode": {"enum": ["hull", "bbox", "original"]},
            "size": SIZE,
            "duration": DURATION,
        },
        required_input=["video_url"],
    ),
    "video_extension": _body(
        "video_extension",
        {
            "first_frame_url": URL,
            "last_frame_url": URL,
            "first_clip_url": URL,
            "last_clip_url": URL,
            "video_url": URL,
        },
        {"control_condition": {"enum": ["posebodyface", "depth", ""]}, "duration": DURATION},
    ),
    "video_outpainting": _body(
        "video_outpainting",
        {"video_url": URL},
        {
            **{
                side: {"type": "number", "minimum": 1, "maximum": 2}
                for side in ("top_scale", "bottom_scale", "left_scale", "right_scale")
            },
            "duration": DURATION,
        },
        required_input=["video_url"],
    ),
}


def _media(kind: str) -> dict:
    return {
        "type": "object",
        "required": ["type", "url"],
        "additionalProperties": False,
        "properties": {"type": {"const": kind}, "url": URL},
    }


#: §17: wan2.7-videoedit, which names no function: its model says what it is
SCHEMAS["instruction_edit"] = {
    "type": "object",
    "required": ["model", "input"],
    "additionalProperties": False,
    "properties": {
        "model": {"const": "wan2.7-videoedit"},
        "input": {
            "type": "object",
            "required": ["media"],
            "additionalProperties": False,
            "properties": {
                "prompt": {"type": "string", "minLength": 1, "maxLength": 5000},
                "negative_prompt": {"type": "string", "minLength": 1, "maxLength": 500},
                "media": {
                    "type": "array",
                    "items": {"anyOf": [_media("video"), _media("reference_image")]},
                    "minItems": 1,
                    "maxItems": 5,
                },
            },
        },
        "parameters": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                **COMMON_PARAMS,
                "resolution": {"enum": ["720P", "1080P"]},
                "ratio": {"enum": ["16:9", "9:16", "1:1", "4:3", "3:4"]},
                "duration": {
                    "anyOf": [{"const": 0}, {"type": "integer", "minimum": 2, "maximum": 10}]
                },
                "audio_setting": {"enum": ["auto", "origin"]},
            },
        },
    },
}


def cross_field_problems(body: dict) -> list[str]:
    """Rules JSON Schema cannot say simply; an empty list means the body is acceptable."""
    inp, params = body["input"], body.get("parameters", {})
    problems = []
    function = inp.get("function")
    if body["model"] == "wan2.7-videoedit":
        kinds = [entry["type"] for entry in inp["media"]]
        if kinds.count("video") != 1:
            problems.append("exactly one video")
        if kinds.count("reference_image") > 4:
            problems.append("at most 4 reference images")
    if function == "image_reference":
        refs = inp["ref_images_url"]
        tags = params.get("obj_or_bg")
        if tags is None and len(refs) != 1:
            problems.append("obj_or_bg may be left out only with one image")
        if tags is not None and len(tags) != len(refs):
            problems.append("ref_images_url and obj_or_bg must be the same length.")
        if tags is not None and tags.count("bg") > 1:
            problems.append("at most one bg")
    if function == "video_edit":
        if ("mask_image_url" in inp) == ("mask_video_url" in inp):
            problems.append("exactly one of mask_image_url and mask_video_url")
    if function == "video_extension":
        anchors = ("first_frame_url", "last_frame_url", "first_clip_url", "last_clip_url")
        if not any(a in inp for a in anchors):
            problems.append("at least one frame or clip")
        if "video_url" in inp and not params.get("control_condition"):
            problems.append("control_condition is required with video_url")
    return problems
