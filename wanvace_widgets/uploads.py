"""Local media → checked → DashScope temporary storage → ``oss://`` URL (contract §13.2).

Every local file is checked first (format, size, sides, frame rate, lengths, clip lengths,
mask resolution, a duration within its source), so a file the server would refuse fails
here, before any upload or submit.
Files are read from disk in chunks (probe, upload), never held whole in memory.
The upload POST goes to the storage host without the API key and is never retried
mid-body; the policy request is an ordinary idempotent GET.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NamedTuple

import httpx

from . import contract as c
from .errors import UploadError, ValidationError
from .media import MediaInfo, MediaReadError, probe
from .media_rules import file_problem
from .requests import MediaInput, VaceRequest

__all__ = [
    "LocalMediaReport",
    "check_local_media",
    "inspect_local_media",
    "local_media_problems",
    "prepare_media",
]

#: an async GET with retries, provided by the client: (path, params) -> JSON body
PolicyGetter = Callable[[str, dict], Awaitable[dict]]

UPLOAD_TIMEOUT = httpx.Timeout(600.0, connect=10.0)


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


def _identity(media: LocalMedia) -> str:
    """What makes two inputs one upload: the same file, or the same bytes."""
    if isinstance(media, bytes):
        return hashlib.sha256(media).hexdigest()
    return str(media.resolve())


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


def _filename(media: LocalMedia, kind: str, identity: str, info: MediaInfo) -> str:
    """The file's own name; given bytes, the kind and the start of their hash."""
    if isinstance(media, Path):
        return media.name
    ext = {"jpeg": ".jpg", "mp4": ".mp4"}.get(info.format, f".{info.format}")
    return f"{kind}-{identity[:16]}{ext}"


async def prepare_media(
    http: httpx.AsyncClient,
    model: str,
    get_policy: PolicyGetter,
    request: VaceRequest,
    on_upload: Callable[[str], None] | None = None,
    on_checked: Callable[[dict[tuple[str, int | None], MediaInfo]], object] | None = None,
) -> tuple[VaceRequest, bool]:
    """Check and upload local media; return the request with ``oss://`` URLs and whether
    the resolve header is needed. ``model`` is the one the request goes to: an upload is
    bound to it. ``on_checked`` is given what the local files are, by (field, index)
    (the price of an instruction edit follows its source's length)."""
    checked = check_local_media(request)
    if on_checked is not None:
        on_checked({key: info for key, (_, info) in checked.items()})
    uploaded: dict[str, str] = {}  # identity -> oss URL: one upload per distinct input
    replacements = {}
    items = {(m.field, m.index): m for m in request.media_inputs()}
    for key, (media, info) in checked.items():
        identity = _identity(media)
        if identity not in uploaded:
            if on_upload:
                on_upload(items[key].field)
            policy = await get_policy(c.UPLOADS_PATH, {"action": "getPolicy", "model": model})
            name = _filename(media, items[key].kind, identity, info)
            uploaded[identity] = await _post_file(http, policy.get("data") or {}, name, media, info)
        replacements[key] = uploaded[identity]
    if replacements:
        request = request.with_media(replacements)
    needs_header = any(
        isinstance(m.value, str) and m.value.startswith(c.OSS_SCHEME)
        for m in request.media_inputs()
    )
    return request, needs_header


async def _post_file(
    http: httpx.AsyncClient, policy: dict, filename: str, media: LocalMedia, info: MediaInfo
) -> str:
    try:
        limit = float(policy.get("max_file_size_mb") or 0)
        key = f"{policy['upload_dir']}/{filename}"
        form = {
            "OSSAccessKeyId": policy["oss_access_key_id"],
            "policy": policy["policy"],
            "Signature": policy["signature"],
            "key": key,
            "x-oss-object-acl": policy["x_oss_object_acl"],
            "x-oss-forbid-overwrite": policy["x_oss_forbid_overwrite"],
            "success_action_status": "200",
            "x-oss-content-type": mimetypes.guess_type(filename)[0] or "application/octet-stream",
        }
        host = policy["upload_host"]
    except KeyError as exc:
        raise UploadError(
            f"the upload policy lacks {exc.args[0]!r}; cannot upload {filename}"
        ) from exc
    if limit and info.size_bytes > limit * 2**20:
        raise UploadError(f"{filename} is larger than the storage limit of {limit:g} MB")
    try:
        # no API key here: the storage host is another party (§10); a file is streamed
        with io.BytesIO(media) if isinstance(media, bytes) else open(media, "rb") as file:
            response = await http.post(
                host, data=form, files={"file": (filename, file)}, timeout=UPLOAD_TIMEOUT
            )
    except OSError as exc:
        raise UploadError(f"cannot read {filename}: {exc.strerror or exc}") from exc
    except httpx.HTTPError as exc:
        raise UploadError(f"uploading {filename} failed: {type(exc).__name__}; try again") from exc
    if response.status_code != 200:
        detail = response.text[:200]
        raise UploadError(
            f"uploading {filename} was refused (HTTP {response.status_code}): {detail}"
        )
    return c.OSS_SCHEME + key
