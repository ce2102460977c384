"""The local files of a request, probed and checked before anything is uploaded or sent.

Format, size, sides, frame rate, lengths, clip lengths, mask resolution, a duration within
its source: a file the server would refuse fails here. The widgets show these problems as
the user picks files; the client checks again before its uploads (``jobs/http/uploads.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from ..contract import constants as c
from ..contract.media_rules import file_problem
from ..contract.request_models import MediaInput, VaceRequest
from ..errors import ValidationError
from .codec import MediaInfo, MediaReadError, probe

__all__ = [
    "LocalMedia",
    "LocalMediaReport",
    "check_local_media",
    "inspect_local_media",
    "local_media_problems",
]


def _fail(item: MediaInput, rule: str) -> ValidationError:
    shown = f"<{len(item.value)} bytes>" if isinstance(item.value, bytes) else item.value
    return ValidationError(item.field, shown, rule, api_field=item.api_field)


#: a local input as checked: the bytes given, or the path of the file on disk
LocalMedia = bytes | Path


def _local(item: MediaInput) -> LocalMedia:
    if isinstance(item.value, bytes):
        return item.value
    path = Path(os.fspath(item.value)).expanduser()
    if not path.is_file():
        raise _fail(item, f"no such file: {path}")
    return path


def _check_one(item: MediaInput, media: LocalMedia) -> MediaInfo:
    try:
        info = probe(media)
    except MediaReadError as exc:
        raise _fail(item, str(exc)) from exc
    problem = file_problem(item.kind, info)
    if problem:
        raise _fail(item, problem[1])
    return info


def check_local_media(
    request: VaceRequest,
) -> dict[tuple[str, int | None], tuple[LocalMedia, MediaInfo]]:
    """Check every local media input; raise ValidationError on the first problem.

    Each file against its own limits (``media_rules.file_problem``, the emulator checks the
    same), then the rules between files, as the server applies them after download
    (``docs/api-contract.md`` §7, §8, §17.4): the clips' total length, the mask's
    resolution, the mask image's frame, and an instruction edit's duration within its
    source. A remote file is the server's to check.
    """
    checked, problems = _inspect(request)
    if problems:
        raise problems[0]
    return checked


def local_media_problems(request: VaceRequest) -> list[ValidationError]:
    """Every problem :func:`check_local_media` would raise, all at once, in its order: for
    forms, which show each problem beside its field."""
    return _inspect(request)[1]


class LocalMediaReport(NamedTuple):
    """A request's local files as read: each one's facts by (field, entry), and every
    problem found."""

    infos: dict[tuple[str, int | None], MediaInfo]
    problems: list[ValidationError]


def inspect_local_media(request: VaceRequest) -> LocalMediaReport:
    """What :func:`local_media_problems` finds, with the facts of the files it read: a
    form shows both (the problems, and the price that follows a source's length)."""
    checked, problems = _inspect(request)
    return LocalMediaReport({key: info for key, (_, info) in checked.items()}, problems)


def _inspect(
    request: VaceRequest,
) -> tuple[dict[tuple[str, int | None], tuple[LocalMedia, MediaInfo]], list[ValidationError]]:
    """The local files read and checked, and the problems found. A rule between two files
    is checked when both could be read."""
    checked, problems, items = {}, [], {}
    for item in request.media_inputs():
        if item.is_local:
            try:
                media = _local(item)
                checked[(item.field, item.index)] = (media, _check_one(item, media))
            except ValidationError as error:
                problems.append(error)
                continue
            items[item.field] = item
    infos = {field: info for (field, _), (_, info) in checked.items()}
    clips = [infos[f] for f in ("first_clip", "last_clip") if f in infos]
    if len(clips) == 2 and sum(i.duration_s or 0 for i in clips) > c.CLIP_MAX_SECONDS + 0.05:
        problems.append(
            _fail(items["last_clip"], "first_clip and last_clip together may last at most 3 s")
        )
    video = infos.get("video")
    mask_field = "mask_image" if "mask_image" in infos else "mask_video"
    mask = infos.get(mask_field)
    if mask and video and (mask.width, mask.height) != (video.width, video.height):
        problems.append(
            _fail(
                items[mask_field],
                f"is {mask.width}x{mask.height} but the video is {video.width}x{video.height}; "
                "the mask must have the video's resolution",
            )
        )
    problems += _mask_frame_problems(request, video)
    problems += _duration_problems(request, video)
    return checked, problems


def _mask_frame_problems(request: VaceRequest, video: MediaInfo | None) -> list[ValidationError]:
    """A mask image's frame must lie in the (local) video: at most fps × seconds + 1."""
    frame = getattr(request, "mask_frame_id", None)
    if video is None or frame is None or getattr(request, "mask_image", None) is None:
        return []
    last = c.max_mask_frame_id(video.fps or 0, video.duration_s or 0)
    if frame <= last:
        return []
    rule = (
        f"is past the video's last frame, {last} ({video.fps or 0:g} fps × "
        f"{min(video.duration_s or 0, c.VIDEO_USED_SECONDS):g} s + 1)"
    )
    return [ValidationError("mask_frame_id", frame, rule, api_field="mask_frame_id")]


def _duration_problems(request: VaceRequest, video: MediaInfo | None) -> list[ValidationError]:
    """An instruction edit's duration (other than 0) is cut from the (local) source, so it
    may not be longer than the source (§17.4)."""
    duration = getattr(request, "duration", None)
    if video is None or not duration or request.function != c.INSTRUCTION_EDIT:
        return []
    seconds = video.duration_s or 0.0
    if duration <= seconds + c.EDIT27_SECONDS_TOLERANCE:
        return []
    rule = (
        f"is longer than the source video ({seconds:.2f} s): give at most "
        f"{int(seconds + c.EDIT27_SECONDS_TOLERANCE)}, or 0 to keep the source's length"
    )
    return [ValidationError("duration", duration, rule, api_field="duration")]
