"""Result videos saved safely: streamed (bounded memory and size), checked, renamed into
place.

The file name comes from the task id, which is checked to be a plain token first, so a
server can never make us write outside the results folder. The video goes to a temporary
name in the same folder, is checked (the length the server announced, a whole MP4 by its
boxes and frames) and only then renamed: a web page, a body cut short or a full disk
never leaves a file that looks like a result. A body larger than ``max_bytes`` is cut off
there (a server answering 10 GB cannot fill the disk). What a trouble means (try again,
or not) is ``troubles.RULES``'s download column.

A process killed in the middle of a download leaves its temporary file behind;
:func:`clean_stale_downloads` deletes those no live download can own (the client calls it
once, before its first download).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

import httpx

from ...contract.constants import is_task_id
from ...errors import DownloadError
from ...media.codec import MediaReadError, check_complete_mp4
from .troubles import RULES, Action, Route, Trouble

__all__ = [
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "TEMP_PREFIX",
    "clean_stale_downloads",
    "download_to",
    "result_path",
    "stale_after_s",
]

#: the largest result saved (1 GiB): a 10 s 1080P MP4, Wan 2.7's longest, is tens of MB
DEFAULT_MAX_DOWNLOAD_BYTES = 1 << 30
#: temporary downloads are ``.download-*.mp4`` beside the results
TEMP_PREFIX, TEMP_SUFFIX = ".download-", ".mp4"
#: a temporary download untouched this long belongs to no live download (see stale_after_s)
MIN_STALE_AGE_S = 3600.0


def result_path(folder: Path, task_id: str) -> Path:
    """``folder/<task_id>.mp4``; refuses an id that is not a plain token."""
    if not is_task_id(task_id):
        raise DownloadError(f"refusing to name a file after the task id {task_id[:60]!r}")
    return Path(folder) / f"{task_id}.mp4"


def stale_after_s(download_deadline: float) -> float:
    """How long a temporary download must have been left untouched to be deleted: an hour,
    or the download deadline if longer. A live download ends within its deadline and
    touches its file with every chunk it writes, so no live one is that old."""
    return max(MIN_STALE_AGE_S, download_deadline)


def clean_stale_downloads(folder: Path, older_than_s: float) -> int:
    """Delete the temporary downloads in ``folder`` not modified for ``older_than_s``
    seconds (left by killed processes); returns how many. Never raises: a folder that is
    missing or cannot be read has nothing to clean."""
    cutoff = time.time() - older_than_s  # file times are wall-clock times
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(TEMP_SUFFIX)):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue  # gone meanwhile, or not ours to delete
    return removed


async def download_to(
    http: httpx.AsyncClient,
    url: str,
    path: Path,
    deadline: float,
    *,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
) -> Path:
    """Stream ``url`` into ``path`` within ``deadline`` seconds and ``max_bytes``, checked,
    or DownloadError.

    ``error.final`` is True when trying again cannot help (the URL expired or was refused,
    or the answer is larger than ``max_bytes``: the same URL sends the same thing).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise _local(f"cannot write to the results folder {path.parent}: {_why(exc)}") from None
    problem: DownloadError | None = None
    try:
        with os.fdopen(fd, "wb") as out:
            await asyncio.wait_for(_stream(http, url, out, max_bytes), deadline)
        check_complete_mp4(temp)
        os.replace(temp, path)
        return path
    except DownloadError as error:
        problem = error
    except asyncio.TimeoutError:
        problem = _error(Trouble.NO_ANSWER, f"the download did not finish within {deadline:g} s")
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        problem = _error(Trouble.NEVER_SENT, f"the download failed: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        problem = _error(Trouble.NO_ANSWER, f"the download failed: {type(exc).__name__}")
    except MediaReadError as exc:
        problem = _error(
            Trouble.UNREADABLE, f"the server sent something that is not a whole MP4 video: {exc}"
        )
    except OSError as exc:
        problem = _local(f"cannot write {path}: {_why(exc)}")
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    raise problem


async def _stream(http: httpx.AsyncClient, url: str, out: BinaryIO, max_bytes: int) -> None:
    async with http.stream("GET", url) as response:
        status = response.status_code
        if status in (403, 404, 410):
            raise _error(
                Trouble.REFUSED,
                f"the result URL was refused (HTTP {status}): results are kept 24 hours, "
                "after which they are gone",
                code="AccessDenied",
            )
        if status != 200:
            raise _error(
                _status_trouble(status), f"downloading the result failed with HTTP {status}"
            )
        expected = response.headers.get("content-length")
        if expected is not None and expected.isdigit() and int(expected) > max_bytes:
            raise _too_large(f"the server announces {int(expected):,} bytes", max_bytes)
        received = 0
        async for chunk in response.aiter_bytes():  # as they arrive: no re-chunking copy
            received += len(chunk)
            if received > max_bytes:
                raise _too_large(f"the server sent more than {max_bytes:,} bytes", max_bytes)
            out.write(chunk)
        if expected is not None and expected.isdigit() and int(expected) != received:
            raise _error(
                Trouble.NO_ANSWER, f"the download was cut short: {received} of {expected} bytes"
            )


def _status_trouble(status: int) -> Trouble:
    """A storage host's answer other than 200 and a refusal of the URL (403/404/410)."""
    if status == 429:
        return Trouble.THROTTLED
    return Trouble.SERVER_ERROR if status >= 500 else Trouble.FOREIGN


def _too_large(what: str, max_bytes: int) -> DownloadError:
    return _error(
        Trouble.TOO_LARGE,
        f"{what}, more than the cap of {max_bytes:,} bytes for a result video "
        "(VaceClient(max_download_bytes=...)); nothing was kept",
        code="DownloadTooLarge",
    )


def _error(trouble: Trouble, message: str, *, code: str = "DownloadFailed") -> DownloadError:
    """A download's trouble; final when the table says trying again cannot help."""
    error = DownloadError(message, code=code)
    error.trouble = trouble
    error.final = RULES[Route.DOWNLOAD][trouble] is Action.END
    return error


def _local(message: str) -> DownloadError:
    """The results folder failed: not final, since the user may fix it and retry."""
    return DownloadError(message, code="DownloadFailed")


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
