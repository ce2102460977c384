"""The documented contract of the two video editing models, as data: Wan2.1 VACE
(``wan2.1-vace-plus``, §1–§16) and Wan 2.7 video editing (``wan2.7-videoedit``, §17).

Every number, enum and limit that the request models, the client, the emulator and the
widgets rely on lives here once, with the section of ``docs/api-contract.md`` that gives
its source and, where the documentation is silent or contradicts itself, the decision
taken. Which field of which function takes which rule is the parameter table's job
(``params.py``). Code elsewhere checks these values; it never restates them.
"""

from __future__ import annotations

import re
from typing import Any, Final, TypeGuard

#: §2: the five values of ``input.function``.
FUNCTIONS: Final = (
    "image_reference",
    "video_repainting",
    "video_edit",
    "video_extension",
    "video_outpainting",
)

#: §2: paths below the region's base URL.
SUBMIT_PATH: Final = "/api/v1/services/aigc/video-generation/video-synthesis"
TASKS_PATH: Final = "/api/v1/tasks"
UPLOADS_PATH: Final = "/api/v1/uploads"

#: §3.1: prompt length, counted in characters; the server silently cuts longer prompts.
PROMPT_MAX_CHARS: Final = 800
#: §3.2: seed range, inclusive.
SEED_MIN: Final = 0
SEED_MAX: Final = 2_147_483_647
#: §3.3: the only output duration the API accepts for ``parameters.duration``.
FIXED_DURATION_S: Final = 5

#: §5, §7: allowed ``size`` values (image_reference, video_edit) and their aspect ratios.
SIZES: Final = {
    "1280*720": "16:9",
    "720*1280": "9:16",
    "960*960": "1:1",
    "832*1088": "3:4",
    "1088*832": "4:3",
}
DEFAULT_SIZE: Final = "1280*720"

#: §4.2, §4.3: image inputs (ref images, first/last frame; mask images: formats and bytes only).
IMAGE_EXTENSIONS: Final = (".jpg", ".jpeg", ".png", ".bmp", ".tiff", ".tif", ".webp")
IMAGE_MIN_SIDE_PX: Final = 360
IMAGE_MAX_SIDE_PX: Final = 2000
IMAGE_MAX_BYTES: Final = 10 * 1024 * 1024

#: §4.4: video inputs.
VIDEO_EXTENSIONS: Final = (".mp4",)
VIDEO_MIN_FPS: Final = 16
VIDEO_MAX_BYTES: Final = 50 * 1024 * 1024
#: §4.4: only the first 5 s of a longer video are used.
VIDEO_USED_SECONDS: Final = 5.0
#: §8: each clip is cut to 3 s, and first + last clip together must be at most 3 s.
CLIP_MAX_SECONDS: Final = 3.0

#: §5: reference image counts and tags.
REF_IMAGES_MIN: Final = 1
REF_IMAGES_MAX: Final = 3
OBJ_OR_BG: Final = ("obj", "bg")

#: §6: control conditions for video_repainting (required there).
REPAINT_CONTROL_CONDITIONS: Final = ("posebodyface", "posebody", "depth", "scribble")
#: §7, §8: control conditions for video_edit and video_extension (optional, default "").
EDIT_CONTROL_CONDITIONS: Final = ("posebodyface", "depth")
EXTENSION_CONTROL_CONDITIONS: Final = ("posebodyface", "depth")

#: §6: strength range and default.
STRENGTH_RANGE: Final = (0.0, 1.0)
DEFAULT_STRENGTH: Final = 1.0

#: §7: video_edit mask options.
MASK_TYPES: Final = ("tracking", "fixed")
EXPAND_MODES: Final = ("hull", "bbox", "original")
EXPAND_RATIO_RANGE: Final = (0.0, 1.0)
DEFAULT_EXPAND_RATIO: Final = 0.05
#: §7: the first frame is 1 (ZH-API; QW-OAS's "default 0" contradicts its own example).
MASK_FRAME_ID_MIN: Final = 1

#: §9: outpainting scales.
SCALE_RANGE: Final = (1.0, 2.0)
SCALE_FIELDS: Final = ("top_scale", "bottom_scale", "left_scale", "right_scale")

#: §10: the output video.
OUTPUT_FPS: Final = 30
OUTPUT_MAX_SECONDS: Final = 5
#: §10: the 720P tier: no side beyond these after scale-down (long side, short side).
OUTPUT_MAX_LONG_SIDE: Final = 1280
OUTPUT_MAX_SHORT_SIDE: Final = 720

#: §11.1: task statuses. CANCELLED (double L) appears in some Alibaba samples; accept both.
PENDING: Final = "PENDING"
RUNNING: Final = "RUNNING"
SUCCEEDED: Final = "SUCCEEDED"
FAILED: Final = "FAILED"
CANCELED: Final = "CANCELED"
UNKNOWN: Final = "UNKNOWN"
SERVER_STATUSES: Final = (PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED, UNKNOWN)
#: Only these keep a poller polling; any other value, unrecognised ones included, ends it.
LIVE_STATUSES: Final = (PENDING, RUNNING)
STATUS_ALIASES: Final = {"CANCELLED": CANCELED}

#: §11.3: task data and result URLs are kept this long.
TASK_RETENTION_S: Final = 24 * 3600
RESULT_URL_TTL_S: Final = 24 * 3600
#: §11.2: time format of submit_time, scheduled_time, end_time; the zone is UTC+8 (decided).
TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S.%f"  # trimmed to milliseconds when written

#: §12.3: submit limits per account and model, and the query limit.
SUBMITS_PER_SECOND: Final = 2
CONCURRENT_TASKS: Final = 2
QUERIES_PER_SECOND: Final = 20

#: §13.2: temporary upload.
OSS_SCHEME: Final = "oss://"
OSS_RESOLVE_HEADER: Final = "X-DashScope-OssResourceResolve"
ASYNC_HEADER: Final = "X-DashScope-Async"
UPLOAD_URL_TTL_S: Final = 48 * 3600

#: §13.1, §17.9: the workspace-specific host of a region (the old hosts stay the default);
#: a workspace id is one DNS label, as the official SDK checks it, so it can never name
#: another host.
WORKSPACE_HOST: Final = "https://{workspace_id}.{region}.maas.aliyuncs.com"
WORKSPACE_REGIONS: Final = {"intl": "ap-southeast-1", "cn": "cn-beijing"}
WORKSPACE_ID_PATTERN: Final = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")

# -- §17: wan2.7-videoedit ---------------------------------------------------------------

#: §17: our name for the job kind of wan2.7-videoedit (the API has no ``input.function``
#: for it): what the journal, the history and the poll plan call such a job.
INSTRUCTION_EDIT: Final = "instruction_edit"
EDIT27_MODEL: Final = "wan2.7-videoedit"
#: §17.2: the instruction; the server cuts a longer one silently (the client refuses it).
EDIT27_PROMPT_MAX_CHARS: Final = 5000
EDIT27_NEGATIVE_PROMPT_MAX_CHARS: Final = 500
#: §17.3: the two entry types of ``input.media``.
EDIT27_VIDEO_TYPE: Final = "video"
EDIT27_REFERENCE_TYPE: Final = "reference_image"
EDIT27_REFERENCE_IMAGES_MAX: Final = 4
#: §17.3: the source video: MP4 or MOV, 2–10 s, each side 240–4096 px, sides at most 8:1,
#: at most 100 MB. Durations are compared with ``EDIT27_SECONDS_TOLERANCE`` of slack, for
#: containers that round (decided).
EDIT27_VIDEO_EXTENSIONS: Final = (".mp4", ".mov")
EDIT27_VIDEO_SECONDS: Final = (2.0, 10.0)
EDIT27_VIDEO_SIDE_PX: Final = (240, 4096)
EDIT27_MAX_ASPECT: Final = 8.0
EDIT27_VIDEO_MAX_BYTES: Final = 100 * 1024 * 1024
EDIT27_SECONDS_TOLERANCE: Final = 0.05
#: §17.3: reference images (decided: the Wan 2.7 family's image rules, §17.10).
EDIT27_IMAGE_EXTENSIONS: Final = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
EDIT27_IMAGE_SIDE_PX: Final = (240, 8000)
EDIT27_IMAGE_MAX_BYTES: Final = 20 * 1024 * 1024
#: §17.4: output tiers, ratios and the size each pair gives.
EDIT27_RESOLUTIONS: Final = ("720P", "1080P")
EDIT27_DEFAULT_RESOLUTION: Final = "1080P"
EDIT27_RATIOS: Final = ("16:9", "9:16", "1:1", "4:3", "3:4")
EDIT27_SIZES: Final = {
    "720P": {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (960, 960),
             "4:3": (1104, 832), "3:4": (832, 1104)},
    "1080P": {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1440, 1440),
              "4:3": (1648, 1248), "3:4": (1248, 1648)},
}  # fmt: skip
#: §17.4: ``duration``: 0 keeps the source's length, else 2–10 s cut from the start.
EDIT27_DURATION_RANGE: Final = (2, 10)
EDIT27_DURATION_SOURCE: Final = 0
#: §17.4: ``auto``: the model decides about sound; ``origin``: keep the source's audio.
EDIT27_AUDIO_SETTINGS: Final = ("auto", "origin")
EDIT27_DEFAULT_AUDIO_SETTING: Final = "auto"
#: §17.6: processing time (the prior of the poll plan), in seconds.
EDIT27_TYPICAL_SECONDS: Final = (60.0, 300.0)

#: §11.2: the servers' clock: no zone is given; both regions keep UTC+8 (decided).
SERVER_UTC_OFFSET_HOURS: Final = 8

#: §4.1: Chinese characters: CJK radicals, Kangxi radicals, description characters,
#: symbols and punctuation, strokes, unified ideographs and extensions A to H,
#: compatibility ideographs, full-width forms.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u2ff0-\u303f\u31c0-\u31ef\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f\U00030000-\U000323af]"
)


def has_chinese_characters(text: str) -> bool:
    """True when ``text`` holds Chinese characters, which §4.1 forbids in input URLs."""
    return bool(_CJK.search(text))


def max_mask_frame_id(fps: float, duration_s: float) -> int:
    """The last frame a mask image may belong to (§7): fps × used seconds + 1."""
    return int(round(fps * min(duration_s, VIDEO_USED_SECONDS))) + 1


def normalize_status(raw: str | None) -> str:
    """Map a server status to our spelling (``CANCELLED`` → ``CANCELED``); keep unknowns."""
    value = (raw or "").upper()
    return STATUS_ALIASES.get(value, value)


#: DashScope ids are UUIDs; accept any plain token, never anything that could be a path
TASK_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def is_task_id(value: Any) -> TypeGuard[str]:
    """True for a string that is safe as a task id (and as a file name)."""
    return isinstance(value, str) and TASK_ID_PATTERN.fullmatch(value) is not None
