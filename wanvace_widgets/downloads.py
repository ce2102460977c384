"""Streamed downloads of result videos: bounded memory, no partial files left behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import httpx

from .errors import APIConnectionError, APIError

__all__ = ["download_to"]

DOWNLOAD_TIMEOUT = httpx.Timeout(300.0, connect=10.0)


async def download_to(http: httpx.AsyncClient, url: str, path: Path) -> Path:
    """Stream ``url`` into ``path`` (written to a temporary file, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".download-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            async with http.stream("GET", url, timeout=DOWNLOAD_TIMEOUT) as response:
                if response.status_code == 403:
                    raise APIError(
                        "the result URL was refused or has expired: results are kept 24 hours",
                        code="AccessDenied",
                    )
                if response.status_code != 200:
                    raise APIError(
                        f"downloading the result failed with HTTP {response.status_code}"
                    )
                async for chunk in response.aiter_bytes(1 << 20):
                    out.write(chunk)
        os.replace(temp, path)
        return path
    except httpx.HTTPError as exc:
        raise APIConnectionError(f"downloading the result failed: {type(exc).__name__}") from exc
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
