"""Local media → checked → DashScope temporary storage → ``oss://`` URL (contract §13.2).

Every local file is checked first (``media/local_files.py``), so a file the server would
refuse fails before any upload or submit.
Files are read from disk in chunks (probe, upload), never held whole in memory.
The upload POST goes to the storage host without the API key and is never retried
mid-body; the policy request is an ordinary idempotent GET.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from ...contract import constants as c
from ...contract.request_models import VaceRequest
from ...errors import UploadError
from ...media.codec import MediaInfo
from ...media.local_files import LocalMedia, check_local_media

__all__ = ["prepare_media"]

#: an async GET with retries, provided by the client: (path, params) -> JSON body
PolicyGetter = Callable[[str, dict[str, str]], Awaitable[dict[str, Any]]]

UPLOAD_TIMEOUT = httpx.Timeout(600.0, connect=10.0)


def _identity(media: LocalMedia) -> str:
    """What makes two inputs one upload: the same file, or the same bytes."""
    if isinstance(media, bytes):
        return hashlib.sha256(media).hexdigest()
    return str(media.resolve())


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
    http: httpx.AsyncClient,
    policy: dict[str, Any],
    filename: str,
    media: LocalMedia,
    info: MediaInfo,
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
