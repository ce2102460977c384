"""Result videos saved safely: streamed (bounded memory), checked, renamed into place.

The file name comes from the task id, which is checked to be a plain token first, so a
server can never make us write outside the results folder. The video goes to a temporary
name in the same folder, is checked (the length the server announced, a whole MP4 by its
boxes and frames) and only then renamed: a web page, a body cut short or a full disk
never leaves a file that looks like a result.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import httpx

from .answers import is_task_id
from .errors import DownloadError
from .media import MediaReadError, check_complete_mp4

__all__ = ["download_to", "result_path"]


def result_path(folder: Path, task_id: str) -> Path:
    """``folder/<task_id>.mp4``; refuses an id that is not a plain token."""
    if not is_task_id(task_id):
        raise DownloadError(f"refusing to name a file after the task id {task_id[:60]!r}")
    return Path(folder) / f"{task_id}.mp4"


async def download_to(http: httpx.AsyncClient, url: str, path: Path, deadline: float) -> Path:
    """Stream ``url`` into ``path`` within ``deadline`` seconds, checked, or DownloadError.

    ``error.final`` is True when trying again cannot help (the URL expired or was refused).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".download-", suffix=".mp4")
    except OSError as exc:
        raise _error(f"cannot write to the results folder {path.parent}: {_why(exc)}") from None
    problem: DownloadError | None = None
    try:
        with os.fdopen(fd, "wb") as out:
            await asyncio.wait_for(_stream(http, url, out), deadline)
        check_complete_mp4(temp)
        os.replace(temp, path)
        return path
    except DownloadError as error:
        problem = error
    except asyncio.TimeoutError:
        problem = _error(f"the download did not finish within {deadline:g} s")
    except httpx.HTTPError as exc:
        problem = _error(f"the download failed: {type(exc).__name__}")
    except MediaReadError as exc:
        problem = _error(f"the server sent something that is not a whole MP4 video: {exc}")
    except OSError as exc:
        problem = _error(f"cannot write {path}: {_why(exc)}")
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    raise problem


async def _stream(http: httpx.AsyncClient, url: str, out) -> None:
    async with http.stream("GET", url) as response:
        if response.status_code in (403, 404, 410):
            raise _error(
                f"the result URL was refused (HTTP {response.status_code}): results are kept "
                "24 hours, after which they are gone",
                final=True,
                code="AccessDenied",
            )
        if response.status_code != 200:
            raise _error(f"downloading the result failed with HTTP {response.status_code}")
        expected = response.headers.get("content-length")
        received = 0
        async for chunk in response.aiter_bytes():  # as they arrive: no re-chunking copy
            out.write(chunk)
            received += len(chunk)
        if expected is not None and expected.isdigit() and int(expected) != received:
            raise _error(f"the download was cut short: {received} of {expected} bytes")


def _error(message: str, *, final: bool = False, code: str = "DownloadFailed") -> DownloadError:
    error = DownloadError(message, code=code)
    error.final = final
    return error


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
