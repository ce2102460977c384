"""Small poster images of result videos, made in the kernel and kept on disk.

The history shows a poster beside each finished job, and the static summary of a studio
embeds them in the notebook. Decoding a video takes tens of milliseconds, so each poster
is made once: a JPEG of a frame half a second in, at most ``POSTER_SIDE`` pixels a side
(1–3 kB: small enough for widget state), kept under ``WANVACE_HOME/posters`` and named by
the video's path, size and modification time. A video that changes gets a new poster; one
that is gone, or is not a video, gets none.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from ..media.codec import thumbnail
from ..settings import default_home

__all__ = ["POSTER_SIDE", "PosterCache", "data_url", "poster_cache_for"]

log = logging.getLogger(__name__)

POSTER_SIDE = 96
#: the frame shown: half a second in at 30 fps (the first frame is often black)
POSTER_FRAME = 15
_MEMORY_LIMIT = 512
#: a cached file larger than this, or not a JPEG, is not one of ours: it is made again
_MAX_POSTER_BYTES = 64 * 1024
_JPEG_MAGIC = b"\xff\xd8"


def poster_cache_for(client) -> PosterCache:
    """The posters of ``client``'s results: beside its journal, else in the default home."""
    journal = client.journal
    return PosterCache(journal.path.parent / "posters" if journal is not None else None)


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


class PosterCache:
    """Posters of local MP4 files, made on first use and kept in ``folder``."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else default_home() / "posters"
        #: videos that could not be read, by key: not decoded again until they change
        self._unreadable: set[str] = set()
        #: posters read or made in this kernel, by key (a render reads a page of them)
        self._memory: dict[str, bytes] = {}

    def cached(self, video: Path) -> bytes | None:
        """The poster if it was made already (no decoding); None otherwise."""
        key = _key(video)
        return None if key is None else self._read(key)

    def missing(self, video: Path) -> bool:
        """True when ``poster(video)`` would decode: an MP4 file whose poster is neither
        made nor known to be impossible."""
        key = _key(video)
        return key is not None and key not in self._unreadable and self._read(key) is None

    def poster(self, video: Path) -> bytes | None:
        """The poster of ``video``, made now if need be (decodes: call it off the event
        loop); None when it is not a readable MP4 file."""
        key = _key(video)
        if key is None or key in self._unreadable:
            return None
        cached = self._read(key)
        if cached is not None:
            return cached
        try:
            jpeg = thumbnail(video, POSTER_SIDE, POSTER_FRAME)
        except Exception:  # noqa: BLE001 - a file that is no video (PyAV raises many kinds)
            log.debug("no poster for %s", video, exc_info=True)
            self._unreadable.add(key)
            return None
        self._store(key, jpeg)
        self._remember(key, jpeg)
        return jpeg

    def _read(self, key: str) -> bytes | None:
        if key in self._memory:
            return self._memory[key]
        path = self.folder / key
        try:
            if path.stat().st_size > _MAX_POSTER_BYTES:
                return None
            jpeg = path.read_bytes()
        except OSError:
            return None
        if not jpeg.startswith(_JPEG_MAGIC):  # not ours: made again
            return None
        self._remember(key, jpeg)
        return jpeg

    def _remember(self, key: str, jpeg: bytes) -> None:
        if len(self._memory) >= _MEMORY_LIMIT:
            self._memory.clear()
        self._memory[key] = jpeg

    def _store(self, key: str, jpeg: bytes) -> None:
        """Write atomically; a folder that cannot be written only costs the cache."""
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(fd, "wb") as f:
                f.write(jpeg)
            os.replace(tmp, self.folder / key)
        except OSError as exc:
            log.debug("poster not cached in %s: %s", self.folder, exc)
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)


def _key(video: Path) -> str | None:
    """The poster's file name: the video's resolved path, size and modification time;
    None unless ``video`` is a regular ``.mp4`` file."""
    try:
        if video.suffix.lower() != ".mp4" or not video.is_file():
            return None
        info = video.stat()
        ident = f"{video.resolve()}\0{info.st_size}\0{info.st_mtime_ns}\0{POSTER_SIDE}"
    except (OSError, ValueError):
        return None
    return hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".jpg"
