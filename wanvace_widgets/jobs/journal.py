"""The local record of every job, so that nothing paid for is lost: an SQLite database.

One row per job (a :class:`~.job_entry.JobEntry`), keyed by a local job id: a job exists
before the server gives it a task id, and a submit whose answer was lost never gets one.
Several kernels write the same file; the file and its folder are owner-only (they hold
prompts and signed result URLs, never the key, never media bytes).

What may happen to the file, and what the journal does (``docs/lifecycle.md``):

* **Another process holds a lock.** Writes never block the event loop: :meth:`record`
  hands the entry to the journal's own thread, which writes it and retries until it lands.
  A write that has waited ``fallback_after_s`` is also appended to this process's *second
  file* (``journal.fallback-*.jsonl`` beside the journal), so it is durable while the lock
  lasts, and ``problem`` says so. Reads take a short busy timeout and otherwise serve the
  last view read, with this process's own unwritten changes on top.
* **The file cannot be opened** (a read-only home, a folder in its place): writes go to the
  second file, in the journal's folder or else in the temporary folder; ``problem`` says why.
* **The file is damaged** (a torn page, another program's bytes): reads salvage every row
  that can still be read; the first write moves the damaged file aside (kept), builds a new
  one from what was salvaged and the second files, and says so.
* **Not a database at all** (a v0.1 JSON-lines journal): moved aside, its lines imported.

Readers always see the union of the database, every second file and this process's own
unwritten changes, the newest copy of each job winning (``updated_at``). A second file is
merged into the database once its process has ended (or by its own process, once its
changes have landed) and then deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import hashlib
import json
import logging
import math
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..settings import default_home
from .job_entry import JobEntry
from .owners import Owner, this_process

__all__ = ["Journal", "default_home"]

log = logging.getLogger(__name__)

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
#: columns added after v0.2's first journals (added in place when missing)
_NEW_COLUMNS = {"updated_at": "REAL NOT NULL DEFAULT 0", "owner": "TEXT"}
_UPSERT = (
    "INSERT INTO jobs (job_id, task_id, status, created_at, record, updated_at, owner) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET "
    "task_id = excluded.task_id, status = excluded.status, record = excluded.record, "
    "updated_at = excluded.updated_at, owner = excluded.owner "
    "WHERE excluded.updated_at >= jobs.updated_at"
)
#: a read waits this long for another process's lock, then serves the last view
_READ_BUSY_S = 0.25
#: the journal's thread waits this long per try of a write
_WRITE_BUSY_S = 0.5
_RETRY_DELAYS_S = (0.05, 0.1, 0.2, 0.5, 1.0)
_FALLBACK_GLOB = "journal.fallback-*.jsonl"
_WRITER = "written_by"
_DAMAGE = ("malformed", "not a database", "corrupt")


class Journal:
    """The jobs of every session on this machine (``WANVACE_HOME/journal.sqlite3``).

    ``fallback_after_s``: how long a write may wait for a lock before it is also made
    durable in the second file. ``listeners`` are called (from the journal's thread) with
    the new ``problem`` whenever it changes.
    """

    def __init__(self, path: str | Path | None = None, *, fallback_after_s: float = 2.0):
        self.path = Path(path) if path else default_home() / "journal.sqlite3"
        self.fallback_after_s = fallback_after_s
        #: what keeps the journal from working as it should, in words; None when all is well
        self.problem: str | None = None
        #: rows that could not be read as jobs (garbage, damage), counted across reads
        self.skipped = 0
        self.listeners: list[Callable[[str | None], Any]] = []
        self._ready = False
        self._lock = threading.Condition()
        #: the latest entry of each job not yet in the database
        self._pending: dict[str, JobEntry] = {}
        #: entries also written to the second file (durable while the database is not)
        self._in_fallback: dict[str, JobEntry] = {}
        #: jobs whose latest entry could be written nowhere (kept in memory only)
        self._lost: set[str] = set()
        self._waiting_since: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        self._view: dict[str, JobEntry] = {}
        self._fallback_file: Path | None = None
        self._db: sqlite3.Connection | None = None
        self._db_inode: int | None = None
        #: a read found the database damaged: the journal's thread rebuilds it
        self._damaged = False

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    # -- writing ------------------------------------------------------------------------

    def record(self, entry: JobEntry) -> None:
        """Store the latest state of one job, in the background; never blocks, never raises.
        ``await flush(job_id)`` waits until it is durable."""
        entry = entry.replace(updated_at=max(time.time(), entry.updated_at))
        with self._lock:
            self._pending[entry.job_id] = entry
            self._lost.discard(entry.job_id)
            self._waiting_since.setdefault(entry.job_id, time.monotonic())
            if self._closed:
                self._write_pending()
                return
            self._start_thread()
            self._lock.notify_all()

    async def flush(self, job_id: str | None = None) -> bool:
        """Wait until ``job_id``'s latest entry (every entry, without one) is durable: in the
        database, or in the second file while the database cannot take it. False when
        neither can be written (the entry is then in memory only)."""
        loop = asyncio.get_running_loop()
        # a thread of the loop's executor waits: the loop never blocks (and a test loop
        # that fast-forwards time waits for it)
        return await loop.run_in_executor(None, self._wait_durable, job_id, None)

    def flush_blocking(self, timeout: float = 10.0) -> bool:
        """Wait (blocking) until every entry is durable; for scripts, tests and exit."""
        return self._wait_durable(None, timeout)

    def close(self) -> None:
        """Write what is pending (briefly), stop the journal's thread; later writes are made
        at once, in the caller's thread."""
        self.flush_blocking(timeout=5.0)
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)

    async def take_over(self, entry: JobEntry) -> JobEntry | None:
        """Make this process the owner of ``entry``'s job, unless another process changed or
        took it since ``entry`` was read. Returns the entry as now owned, or None."""
        mine = entry.replace(owner=this_process(), updated_at=max(time.time(), entry.updated_at))
        old = _owner_text(entry.owner)

        def swap() -> bool:
            db = self._open_database(_WRITE_BUSY_S)
            try:
                with db:
                    cursor = db.execute(
                        "UPDATE jobs SET record = ?, status = ?, updated_at = ?, owner = ? "
                        "WHERE job_id = ? AND owner IS ? AND updated_at <= ?",
                        (
                            mine.to_json(),
                            mine.status,
                            mine.updated_at,
                            _owner_text(mine.owner),
                            mine.job_id,
                            old,
                            entry.updated_at,
                        ),
                    )
                    if cursor.rowcount == 1:
                        return True
                    if db.execute("SELECT 1 FROM jobs WHERE job_id = ?", (mine.job_id,)).fetchone():
                        return False
                    db.execute(_UPSERT, _row(mine))  # only a second file had it
                    return True
            finally:
                db.close()

        try:
            taken = await asyncio.get_running_loop().run_in_executor(None, swap)
        except (OSError, sqlite3.Error) as exc:
            log.info("could not take over job %s now: %s", entry.job_id, exc)
            return None
        if taken:
            with self._lock:
                self._view[mine.job_id] = mine
        return mine if taken else None

    # -- reading ------------------------------------------------------------------------

    def entries(self) -> list[JobEntry]:
        """Every job, oldest first: the database, the second files, and this process's
        changes not written yet (the newest copy of each job wins)."""
        with contextlib.suppress(OSError):
            self._prepare_once()  # imports an old journal into this process's changes
        with self._lock:  # taken first: an entry that lands meanwhile is read below
            own = list(self._pending.values())
        jobs = self._read_main()
        for entry in (*self._read_fallbacks(), *own):
            _keep_newest(jobs, entry)
        return sorted(jobs.values(), key=lambda e: (e.created_at, e.job_id))

    def get(self, task_id: str) -> JobEntry | None:
        """The job of a server task id, if this journal has it (the newest, if several)."""
        found = [e for e in self.entries() if e.task_id == task_id]
        return max(found, key=lambda e: e.created_at) if found else None

    def get_job(self, job_id: str) -> JobEntry | None:
        return next((e for e in self.entries() if e.job_id == job_id), None)

    def unfinished(self) -> list[JobEntry]:
        """Jobs with a task still live on the server as last known, or SUCCEEDED without a
        local copy of the video (whose result URL may still be valid)."""
        return [e for e in self.entries() if e.followable]

    def without_ending(self) -> list[JobEntry]:
        """Every job nothing says the end of: followable, stopped before its submit left,
        or with a submit whose answer never arrived (``recovery.py``)."""
        return [e for e in self.entries() if e.without_ending]

    def _read_main(self) -> dict[str, JobEntry]:
        """The database's jobs, or the last view read when it cannot be read now."""
        try:
            self._prepare_once()
            if not self.path.is_file():
                return {}
            db = self._open_database(_READ_BUSY_S, create=False)
            try:
                texts = [text for (text,) in db.execute("SELECT record FROM jobs ORDER BY rowid")]
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):
                return self._last_view(exc)
            texts = self._salvage()
            with self._lock:
                self._damaged = True
                self._start_thread()
                self._lock.notify_all()
        except OSError as exc:
            return self._last_view(exc)
        jobs: dict[str, JobEntry] = {}
        for text in texts:
            entry = JobEntry.parse(text)
            if entry is None:
                self.skipped += 1
            else:
                _keep_newest(jobs, entry)
        with self._lock:
            self._view = dict(jobs)
        return jobs

    def _last_view(self, why: BaseException) -> dict[str, JobEntry]:
        log.debug("the journal cannot be read now (%s): showing the jobs read before", why)
        with self._lock:
            return dict(self._view)

    def _salvage(self) -> list[str]:
        """Every row of a damaged database that can still be read: forwards from the first
        row, and backwards from the last, each until the damage stops it."""
        texts: dict[int, str] = {}
        try:
            db = self._open_database(_READ_BUSY_S, create=False)
        except sqlite3.Error:
            return []
        try:
            for order in ("ASC", "DESC"):
                with contextlib.suppress(sqlite3.Error):
                    query = f"SELECT rowid, record FROM jobs NOT INDEXED ORDER BY rowid {order}"
                    for rowid, text in db.execute(query):
                        texts[rowid] = text
        finally:
            db.close()
        self._say(
            f"the journal at {self.path} is damaged; {len(texts)} jobs could be read from it",
            quiet=True,
        )
        return [texts[k] for k in sorted(texts)]

    def _read_fallbacks(self) -> Iterator[JobEntry]:
        for path in self._fallback_files():
            entries, skipped = _read_lines(path)
            self.skipped += skipped
            yield from entries

    def _fallback_files(self) -> list[Path]:
        found: list[Path] = []
        for folder in (self.path.parent, self._temp_folder()):
            found += [Path(p) for p in sorted(glob.glob(str(folder / _FALLBACK_GLOB)))]
        return found

    def _temp_folder(self) -> Path:
        """Where the second file goes when the journal's own folder cannot be written: a
        folder of the temporary folder named after this journal (another home's journal
        never reads it)."""
        uid = os.getuid() if hasattr(os, "getuid") else 0
        digest = hashlib.sha256(str(self.path.absolute()).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"wanvace-{uid}" / digest

    # -- writing, on the journal's thread -----------------------------------------------

    def _start_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._write_loop, name="wanvace-journal", daemon=True
            )
            self._thread.start()

    def _write_loop(self) -> None:
        failures = 0
        with self._lock:
            while True:
                while not self._pending and not self._closed and not self._damaged:
                    self._lock.wait(1.0)
                if self._damaged:
                    self._damaged = False
                    self._lock.release()
                    try:
                        self._repair()
                    finally:
                        self._lock.acquire()
                    continue
                if not self._pending:
                    return
                if self._write_pending():
                    failures = 0
                    continue
                failures += 1
                if self._closed:
                    return
                self._lock.wait(_RETRY_DELAYS_S[min(failures, len(_RETRY_DELAYS_S)) - 1])

    def _write_pending(self) -> bool:
        """Write every pending entry to the database in one transaction (called with the
        lock held); on failure, make the late ones durable in the second file. True when
        the database took them."""
        batch = list(self._pending.values())
        self._lock.release()  # others may record and read meanwhile
        try:
            landed = self._write_batch(batch)
        finally:
            self._lock.acquire()
        if landed:
            for entry in batch:
                if self._pending.get(entry.job_id) is entry:
                    del self._pending[entry.job_id]
                    self._waiting_since.pop(entry.job_id, None)
                    self._in_fallback.pop(entry.job_id, None)
                self._view[entry.job_id] = entry
            self._lock.notify_all()
            self._lock.release()
            try:
                self._merge_finished_fallbacks()
            finally:
                self._lock.acquire()
        else:
            self._use_fallback_for_late()
        self._lock.notify_all()
        return landed

    def _write_batch(self, batch: list[JobEntry], attempts: int = 3) -> bool:
        try:
            db = self._connection()
            with db:
                db.executemany(_UPSERT, [_row(e) for e in batch])
            moved = _inode(self.path) != self._db_inode
        except (OSError, sqlite3.Error) as exc:
            self._drop_connection()
            if attempts and _is_damage(exc) and self._repair():
                return self._write_batch(batch, attempts - 1)
            self._say(_trouble(self.path, exc))
            return False
        if moved:  # another process replaced the file (a repair): write to the new one too
            self._drop_connection()
            return attempts > 0 and self._write_batch(batch, attempts - 1)
        if self.problem is not None:
            self._say(None)
        return True

    def _use_fallback_for_late(self) -> None:
        """Append every entry that has waited ``fallback_after_s`` to this process's second
        file (lock held), so it is durable while the database is not."""
        now = time.monotonic()
        late = [
            entry
            for key, entry in self._pending.items()
            if self._in_fallback.get(key) is not entry
            and now - self._waiting_since.get(key, now) >= self.fallback_after_s
        ]
        if not late:
            return
        target = self._writable_fallback()
        try:
            if target is None:
                raise OSError("no folder for it can be written")
            with open(target, "a", encoding="utf-8") as out:
                for entry in late:
                    out.write(entry.to_json() + "\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            self._lost.update(e.job_id for e in late)
            self._say(
                f"{self.problem or 'the journal cannot be written'}; its second file cannot be "
                f"written either ({exc}): {len(late)} job(s) are kept in memory only"
            )
            return
        for entry in late:
            self._in_fallback[entry.job_id] = entry
            self._lost.discard(entry.job_id)
        log.warning(
            "the journal at %s cannot be written now (%s); %d job(s) kept in %s until it can",
            self.path,
            self.problem,
            len(late),
            target,
        )

    def _wait_durable(self, job_id: str | None, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                keys = [job_id] if job_id is not None else list(self._pending)
                waiting = [
                    k
                    for k in keys
                    if k in self._pending and self._in_fallback.get(k) is not self._pending[k]
                ]
                if not waiting:
                    return True
                if all(k in self._lost for k in waiting) or (
                    self._thread is None and not self._closed
                ):
                    return False
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._lock.wait(0.05 if left is None else min(left, 0.05))

    def _writable_fallback(self) -> Path | None:
        """This process's second file, made on first need; its first line names the
        process, so that the next process knows when it may merge it."""
        if self._fallback_file is not None:
            return self._fallback_file
        owner = this_process()
        started = hashlib.sha256(owner.started.encode()).hexdigest()[:8]
        name = f"journal.fallback-{owner.machine}-{owner.pid}-{started}.jsonl"
        header = json.dumps({_WRITER: owner.to_json()}) + "\n"
        for folder in (self.path.parent, self._temp_folder()):
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                path = folder / name
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                try:
                    if not os.fstat(fd).st_size:
                        os.write(fd, header.encode())
                finally:
                    os.close(fd)
            except OSError:
                continue
            self._fallback_file = path
            return path
        return None

    def _merge_finished_fallbacks(self) -> None:
        """Merge second files into the database: those of processes that ended, and this
        process's own once nothing of it waits any more; then delete them."""
        with self._lock:
            own_waits = any(self._in_fallback.get(k) is e for k, e in self._pending.items())
        for path in self._fallback_files():
            own = path == self._fallback_file
            if own and own_waits:
                continue
            entries, _ = _read_lines(path)
            writer = _fallback_writer(path)
            if not own and (writer is None or writer.alive() is not False):
                continue
            try:
                db = self._connection()
                with db:
                    db.executemany(_UPSERT, [_row(e) for e in entries])
                path.unlink()
            except (OSError, sqlite3.Error) as exc:
                log.info("the second journal file %s stays for now: %s", path, exc)
                continue
            if own:
                with self._lock:
                    self._fallback_file = None
                    self._in_fallback.clear()

    def _repair(self) -> bool:
        """Replace a damaged database with one built from what can be read of it (the
        damaged file is kept beside it); True when the new one is in place. Readers never
        find the journal missing: the new file is built aside, then renamed over it."""
        self._drop_connection()
        if not _is_damaged(self.path):
            return True  # another process has rebuilt it already
        salvaged = [e for e in map(JobEntry.parse, self._salvage()) if e is not None]
        stamp = f"{int(time.time())}-{os.getpid()}"
        fresh = self.path.with_name(f"{self.path.name}.rebuilt-{stamp}")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        try:
            db = sqlite3.connect(fresh)
            try:
                with db:
                    db.executescript(_SCHEMA)
                    for name, kind in _NEW_COLUMNS.items():
                        db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
                    db.executemany(_UPSERT, [_row(e) for e in salvaged])
            finally:
                db.close()
            _owner_only(fresh)
            os.link(self.path, aside)
            for suffix in ("-wal", "-shm"):  # they belong to the damaged file
                source = Path(str(self.path) + suffix)
                if source.exists():
                    os.link(source, Path(str(aside) + suffix))
                    source.unlink()
            os.replace(fresh, self.path)
        except (OSError, sqlite3.Error) as exc:
            with contextlib.suppress(OSError):
                fresh.unlink()
            self._say(f"the journal at {self.path} is damaged and could not be rebuilt: {exc}")
            return False
        self._say(
            f"the journal at {self.path} was damaged: it was rebuilt from the {len(salvaged)} "
            f"jobs that could be read, and the damaged file kept as {aside.name}"
        )
        return True

    # -- the database --------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """The writing connection (made, and the file prepared, on first use)."""
        if self._db is None:
            self._db = self._open_database(_WRITE_BUSY_S)
            self._db_inode = _inode(self.path)
        return self._db

    def _open_database(self, busy_s: float, *, create: bool = True) -> sqlite3.Connection:
        """A connection with the current schema (``create``: made if missing)."""
        self._prepare_once()
        mode = "rwc" if create else "rw"
        db = sqlite3.connect(
            f"file:{self.path}?mode={mode}", uri=True, timeout=busy_s, check_same_thread=False
        )
        if not create:
            return db
        try:
            # WAL keeps the file whole through any crash of ours; NORMAL skips an fsync per
            # change, risking only the last changes on a power cut
            db.execute("PRAGMA synchronous = NORMAL")
            with db:
                db.executescript(_SCHEMA)
                columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
                for name, kind in _NEW_COLUMNS.items():
                    if name not in columns:
                        db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
            _use_wal(db)
        except BaseException:
            db.close()
            raise
        _owner_only(self.path)
        return db

    def _drop_connection(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def _prepare_once(self) -> None:
        """Make the owner-only folder; move a file that is not a database aside and import
        what can be read of v0.1 JSON-lines journals (once per process)."""
        if self._ready:
            return
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _owner_only(folder)
        legacy: list[JobEntry] = []
        if self.path.is_file() and self.path.stat().st_size and not _is_database(self.path):
            legacy = _read_legacy(self.path, self)
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            os.replace(self.path, aside)
            log.warning("the journal at %s was not a database; moved to %s", self.path, aside)
        old = folder / "journal.jsonl"
        if old.is_file() and old != self.path:
            legacy += _read_legacy(old, self)
            os.replace(old, old.with_name("journal.jsonl.imported"))
        self._ready = True
        for entry in legacy:
            self.record(entry)

    def _say(self, problem: str | None, *, quiet: bool = False) -> None:
        """Set ``problem`` and tell the listeners (a warning in the log unless ``quiet``)."""
        if problem == self.problem:
            return
        if problem is not None and not quiet:
            log.warning("%s", problem)
        self.problem = problem
        for listener in list(self.listeners):
            try:
                listener(problem)
            except Exception:  # noqa: BLE001 - a listener must never stop the journal
                log.exception("journal listener %r failed", listener)


def _row(entry: JobEntry) -> tuple[Any, ...]:
    return (
        entry.job_id,
        entry.task_id,
        entry.status,
        entry.created_at if math.isfinite(entry.created_at) else 0.0,
        entry.to_json(),
        entry.updated_at,
        _owner_text(entry.owner),
    )


def _owner_text(owner: Owner | None) -> str | None:
    return json.dumps(owner.to_json(), sort_keys=True) if owner else None


def _keep_newest(jobs: dict[str, JobEntry], entry: JobEntry) -> None:
    known = jobs.get(entry.job_id)
    if known is None or entry.updated_at >= known.updated_at:
        jobs[entry.job_id] = entry


def _read_lines(path: Path) -> tuple[list[JobEntry], int]:
    """The entries of a second file, and how many lines were not entries (torn by a crash)."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError:
        return [], 0
    entries, skipped = [], 0
    for line in lines[1:]:  # the first names the writer
        entry = JobEntry.parse(line) if line.strip() else None
        if entry is not None:
            entries.append(entry)
        else:
            skipped += bool(line.strip())
    return entries, skipped


def _fallback_writer(path: Path) -> Owner | None:
    """The process that writes a second file (its first line), or None when unreadable."""
    try:
        with open(path, "rb") as f:
            first = f.readline()
        header = json.loads(first)
    except (OSError, ValueError):
        return None
    return Owner.parse(header.get(_WRITER)) if isinstance(header, dict) else None


def _read_legacy(path: Path, journal: Journal) -> list[JobEntry]:
    """Entries of a v0.1 JSON-lines journal: each line decoded on its own, bad and
    ill-typed lines (torn by a crash, not UTF-8, not an entry) skipped and counted."""
    latest: dict[str, dict[str, Any]] = {}
    for line in path.read_bytes().splitlines():
        try:
            item = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            item = None
        if not isinstance(item, dict) or not isinstance(item.get("task_id"), str):
            journal.skipped += bool(line.strip())
            continue
        merged = {**latest.get(item["task_id"], {}), **item}
        merged.setdefault("job_id", "v01-" + item["task_id"])
        if JobEntry.parse(merged) is None:
            journal.skipped += 1
            continue
        latest[item["task_id"]] = merged
    return [e for e in map(JobEntry.parse, latest.values()) if e is not None]


def _is_database(path: Path) -> bool:
    """Whether SQLite can read ``path`` as a database (a damaged one counts; a locked one
    too). SQLite itself looks: a file opened and closed here by other means would drop
    every lock this process's connections hold on it (POSIX locks belong to the process),
    and another process could then delete the journal's WAL under them."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=_READ_BUSY_S)
        try:
            db.execute("PRAGMA schema_version").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return "not a database" not in str(exc)
    return True


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to write-ahead logging (it stays so). SQLite refuses the switch at
    once while another kernel writes; that kernel switches it, or the next open does."""
    try:
        db.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as exc:
        log.debug("the journal stays in its journal mode for now: %s", exc)


def _is_damaged(path: Path) -> bool:
    """Whether SQLite's own check finds damage in the database at ``path``."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=_WRITE_BUSY_S)
        try:
            return bool(db.execute("PRAGMA quick_check").fetchone()[0] != "ok")
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return _is_damage(exc)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def _is_damage(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and any(
        word in str(exc).lower() for word in _DAMAGE
    )


def _trouble(path: Path, exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "locked" in text or "busy" in text:
        return f"the journal at {path} is locked by another process; retrying ({text})"
    return f"the journal at {path} cannot be written ({type(exc).__name__}: {text})"


def _owner_only(path: Path) -> None:
    """Owner-only access to our own folder and files (others are left alone)."""
    try:
        info = path.stat()
        if hasattr(os, "getuid") and info.st_uid == os.getuid():
            path.chmod(0o700 if path.is_dir() else 0o600)
    except OSError:
        pass
