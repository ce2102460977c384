"""The local record of every job, so that nothing paid for is lost: an SQLite database.

One row per job, keyed by a local job id (a job exists before the server gives it a task
id, and a submit whose answer was lost never gets one). Each change replaces the job's row
in one transaction, so a crash cannot tear it, several kernels can write at once, and a
change touches one row instead of rewriting a file. The file and its folder are
owner-only: they hold prompts and signed result URLs (never the key, never media bytes).

Nothing here may stop a job or a widget. A file that is not a database (a crash in another
program, a v0.1 JSON-lines journal) is moved aside, its readable JSON lines imported and
the rest counted in ``skipped``; a journal that cannot be opened at all (read-only home, a
folder in its place) is switched off with one warning, and ``problem`` says why.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import lifecycle as s
from .answers import is_task_id
from .config import default_home

__all__ = ["Journal", "default_home"]

log = logging.getLogger(__name__)

_MAGIC = b"SQLite format 3\x00"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    task_id TEXT,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_task_id ON jobs (task_id);
CREATE INDEX IF NOT EXISTS jobs_created_at ON jobs (created_at);
"""
_BUSY_TIMEOUT_MS = 2000
_RESUMABLE = frozenset({s.PENDING, s.RUNNING, s.SUCCEEDED})


class Journal:
    """The jobs of every session on this machine (``WANVACE_HOME/journal.sqlite3``)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_home() / "journal.sqlite3"
        self.problem: str | None = None
        self.skipped = 0
        self._ready = False

    @property
    def available(self) -> bool:
        """False once the journal could not be opened; jobs go on without it."""
        with self._connection() as db:
            return db is not None

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    # -- writing ------------------------------------------------------------------------

    def record(self, entry: dict[str, Any]) -> None:
        """Store the latest state of one job (``entry["job_id"]``); never raises."""
        if not isinstance(entry.get("job_id"), str):
            return
        with self._connection() as db:
            if db is not None:
                _upsert(db, entry)

    # -- reading ------------------------------------------------------------------------

    def entries(self) -> list[dict[str, Any]]:
        """Every job, oldest first (rows that cannot be read are skipped and counted)."""
        return self._select("ORDER BY created_at, rowid")

    def get(self, task_id: str) -> dict[str, Any] | None:
        """The job of a server task id, if this journal has it."""
        return next(iter(self._select("WHERE task_id = ? ORDER BY created_at DESC", task_id)), None)

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        return next(iter(self._select("WHERE job_id = ?", job_id)), None)

    def unfinished(self) -> list[dict[str, Any]]:
        """Jobs to pick up after a restart: still live on the server, or SUCCEEDED without
        a local copy of the video (whose result URL may still be valid)."""
        marks = ", ".join("?" * len(_RESUMABLE))
        rows = self._select(f"WHERE status IN ({marks}) ORDER BY created_at", *_RESUMABLE)
        return [e for e in rows if e.get("task_id") and not _has_file(e.get("local_path"))]

    def unconfirmed(self) -> list[dict[str, Any]]:
        """Submits whose answer was lost: they may exist on the server (see reconcile)."""
        return self._select("WHERE status = ? ORDER BY created_at", s.UNCONFIRMED)

    def _select(self, where: str, *args: Any) -> list[dict[str, Any]]:
        with self._connection() as db:
            rows = [] if db is None else db.execute(f"SELECT record FROM jobs {where}", args)
            texts = [text for (text,) in rows]
        entries = [_read_entry(text) for text in texts]
        self.skipped += sum(e is None for e in entries)
        return [e for e in entries if e is not None]

    # -- the database ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection | None]:
        """A connection in one transaction, or None when the journal is off."""
        db = self._open()
        if db is None:
            yield None
            return
        try:
            with db:
                yield db
        except (sqlite3.Error, ValueError, TypeError) as exc:
            log.warning("the journal at %s could not be used: %s", self.path, exc)
        finally:
            db.close()

    def _open(self) -> sqlite3.Connection | None:
        if self.problem is not None:
            return None
        try:
            legacy = [] if self._ready else self._prepare()
            db = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000)
            # WAL keeps the file whole through any crash of ours; NORMAL skips an fsync per
            # change, risking only the last changes on a power cut
            db.execute("PRAGMA synchronous = NORMAL")
            if not self._ready:
                with db:
                    db.executescript(_SCHEMA)
                _use_wal(db)
                _owner_only(self.path)
                self._ready = True
                for entry in legacy:
                    with db:
                        _upsert(db, entry)
            return db
        except (OSError, sqlite3.Error) as exc:
            self.problem = f"{type(exc).__name__}: {exc}"
            log.warning(
                "the journal at %s is off (%s): jobs still run, but a kernel restart "
                "cannot resume them",
                self.path,
                self.problem,
            )
            return None

    def _prepare(self) -> list[dict[str, Any]]:
        """Make the owner-only folder; move a file that is not a database aside. Returns
        what can be read of v0.1 JSON-lines journals, to import."""
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _owner_only(folder)
        legacy: list[dict[str, Any]] = []
        if self.path.is_file() and self.path.stat().st_size:
            with self.path.open("rb") as f:
                head = f.read(len(_MAGIC))
            if head != _MAGIC:
                legacy = self._read_legacy(self.path)
                aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
                os.replace(self.path, aside)
                log.warning("the journal at %s was not a database; moved to %s", self.path, aside)
        old = folder / "journal.jsonl"
        if old.is_file() and old != self.path:
            legacy += self._read_legacy(old)
            os.replace(old, old.with_name("journal.jsonl.imported"))
        return legacy

    def _read_legacy(self, path: Path) -> list[dict[str, Any]]:
        """Entries of a JSON-lines journal: bytes read, each line decoded on its own, bad and
        ill-typed lines (torn by a crash, not UTF-8, not an entry) skipped and counted."""
        latest: dict[str, dict[str, Any]] = {}
        for line in path.read_bytes().splitlines():
            try:
                item = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                item = None
            if not isinstance(item, dict) or not is_task_id(item.get("task_id")):
                self.skipped += bool(line.strip())
                continue
            merged = {**latest.get(item["task_id"], {}), **item}
            merged.setdefault("job_id", "v01-" + item["task_id"])
            if _read_entry(json.dumps(merged, default=str)) is None:
                self.skipped += 1
                continue
            latest[item["task_id"]] = merged
        return list(latest.values())


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to write-ahead logging (it stays so). SQLite refuses the switch at
    once while another kernel writes; that kernel switches it, or the next open does."""
    try:
        db.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as exc:
        log.debug("the journal stays in its journal mode for now: %s", exc)


def _upsert(db: sqlite3.Connection, entry: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO jobs (job_id, task_id, status, created_at, record) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (job_id) DO UPDATE SET task_id = excluded.task_id, "
        "status = excluded.status, record = excluded.record",
        (
            entry["job_id"],
            entry.get("task_id"),
            str(entry.get("status")),
            _number(entry.get("created_at"), time.time()),
            # ASCII escapes: a lone surrogate in a prompt is stored, not refused
            json.dumps(entry, default=str),
        ),
    )


def _read_entry(text: Any) -> dict[str, Any] | None:
    """A stored entry, or None when it is not one (wrong types anywhere it matters)."""
    try:
        entry = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("job_id"), str):
        return None
    if entry.get("task_id") is not None and not is_task_id(entry["task_id"]):
        return None
    for name in ("function", "status"):
        if not isinstance(entry.get(name), str):
            return None
    for name in ("local_path", "video_url", "host"):
        if entry.get(name) is not None and not isinstance(entry[name], str):
            return None
    if not isinstance(entry.get("created_at", 0), (int, float)):
        return None
    return entry


def _has_file(path: Any) -> bool:
    return isinstance(path, str) and bool(path) and Path(path).is_file()


def _number(value: Any, default: float) -> float:
    """A finite number, else ``default`` (a NaN would break the row's NOT NULL ordering)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return default


def _owner_only(path: Path) -> None:
    """Owner-only access to our own folder and files (others are left alone)."""
    try:
        info = path.stat()
        if hasattr(os, "getuid") and info.st_uid == os.getuid():
            path.chmod(0o700 if path.is_dir() else 0o600)
    except OSError:
        pass
