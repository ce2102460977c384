"""Realistic running times for the emulator: by function and output size, with a spread.

The reference says a VACE job takes 5–10 minutes (§1), a wan2.7-videoedit job 1–5 (§17.6);
how long within that depends on how much video the job makes. This profile gives each
function a running time for a full 720P-tier output (the realistic profile's 20 s PENDING
on top keeps every job within its range), scaled by the output's pixels for the functions
with a ``size`` or a ``resolution``, by how much outpainting's scales grow the frame, and
by an instruction edit's ``duration`` (5 s when it keeps the source's unknown length). The
emulator times a task when it is submitted, from its body alone, before any media is
fetched: for the functions whose output follows the input video, the source's own size
does not enter.

Jobs of one kind vary around that by a log-normal factor (σ = 5% by default: a fixed
model on a fixed number of pixels, slowed or sped up by the service's load), drawn from a
seeded generator so a benchmark run can be repeated. Use it as
``EmulatorConfig(running_time=realistic_running_time(seed=1))``; ``scale`` shrinks every
time alike, for benchmarks that cannot wait minutes per task.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping

from ..contract import constants as c
from ..contract.families import function_of_body

__all__ = ["BASE_RUNNING_S", "realistic_running_time", "typical_running_s"]

#: seconds RUNNING for a full 720P-tier output of each function
BASE_RUNNING_S: Mapping[str, float] = {
    "image_reference": 480.0,
    "video_repainting": 390.0,
    "video_edit": 540.0,
    "video_extension": 330.0,
    "video_outpainting": 300.0,
    c.INSTRUCTION_EDIT: 60.0,
}
#: an instruction edit's running time above is for this many seconds of output
_EDIT27_BASE_SECONDS = 5.0
_FULL_FRAME = 1280 * 720
#: outpainting cannot grow the frame's area beyond this (the output stays in the 720P tier)
_MAX_GROWTH = 4.0


def typical_running_s(body: Mapping) -> float:
    """The running time of a job like this one (a body the emulator accepted), before the
    spread."""
    function, params = function_of_body(body) or "", body.get("parameters") or {}
    seconds = BASE_RUNNING_S[function]
    if function == c.INSTRUCTION_EDIT:
        tier = params.get("resolution", c.EDIT27_DEFAULT_RESOLUTION)
        width, height = c.EDIT27_SIZES[tier]["16:9"]
        length = params.get("duration") or _EDIT27_BASE_SECONDS
        return seconds * width * height / _FULL_FRAME * length / _EDIT27_BASE_SECONDS
    if function in ("image_reference", "video_edit"):
        width, height = (int(side) for side in str(params.get("size", c.DEFAULT_SIZE)).split("*"))
        return seconds * width * height / _FULL_FRAME
    if function == "video_outpainting":
        scale = {name: float(params.get(name, 1.0)) for name in c.SCALE_FIELDS}
        wider = scale["left_scale"] + scale["right_scale"] - 1
        taller = scale["top_scale"] + scale["bottom_scale"] - 1
        return seconds * (1 + 0.25 * (min(wider * taller, _MAX_GROWTH) - 1))
    return seconds


def realistic_running_time(
    seed: int = 0, spread: float = 0.05, scale: float = 1.0
) -> Callable[[dict], float]:
    """An ``EmulatorConfig.running_time``: the typical time of the job, times ``scale``,
    varied by a seeded log-normal factor of σ ``spread``."""
    draw = random.Random(seed).gauss

    def running_time(body: dict) -> float:
        return scale * typical_running_s(body) * math.exp(draw(0.0, spread))

    return running_time
