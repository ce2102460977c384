"""The journal: SQLite, one row per job, safe against crashes, garbage, several kernels
at once, locks held by other processes, damaged pages and homes that cannot be written;
never in the way of a job or a widget, never silently losing an entry."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import wanvace_widgets as wv
from tests.helpers import journal_entry as entry
from tests.helpers import write_raw_rows
from wanvace_widgets.jobs.job_entry import JobEntry
from wanvace_widgets.jobs.journal import Journal

ROOT = Path(__file__).resolve().parents[1]


def written(journal: Journal) -> Journal:
    assert journal.flush_blocking(), journal.problem
    return journal


def ids(entries) -> list[str]:
    return [e.job_id for e in entries]


def test_the_latest_state_of_each_job_wins_across_instances(tmp_path):
    path = tmp_path / "journal.sqlite3"
    written(Journal(path)).record(entry("a", "PENDING", request={"prompt": "夕阳下的山丘"}))
    for journal in (Journal(path), Journal(path)):
        journal.record(entry("a", "RUNNING", request={"prompt": "夕阳下的山丘"}))
        journal.record(entry("b", "FAILED"))
        written(journal)
    reopened = Journal(path)
    assert reopened.get("t-a").status == "RUNNING"
    assert reopened.get("t-a").request == {"prompt": "夕阳下的山丘"}
    assert reopened.get_job("b").status == "FAILED"
    assert ids(reopened.entries()) == ["a", "b"]
    assert ids(reopened.unfinished()) == ["a"]


def test_a_process_reads_its_own_entries_before_they_are_written(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3")
    journal.record(entry("a"))
    assert ids(journal.entries()) == ["a"]  # from memory, written or not


def test_succeeded_without_a_local_copy_is_unfinished(tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(entry("a", "SUCCEEDED", local_path=str(video)))
    journal.record(entry("b", "SUCCEEDED", local_path=None))
    journal.record(entry("c", "SUCCEEDED", local_path=str(tmp_path / "gone.mp4")))
    journal.record(entry("d", "UNCONFIRMED", task_id=None))
    journal.record(entry("e", "SUBMITTING", task_id=None))
    journal.record(entry("f", "UPLOADING", task_id=None))
    written(journal)
    assert ids(Journal(journal.path).unfinished()) == ["b", "c"]
    assert ids(Journal(journal.path).without_ending()) == ["b", "c", "d", "e", "f"]


def test_the_file_and_its_folder_are_owner_only(tmp_path):
    journal = written_with(Journal(tmp_path / "home" / "journal.sqlite3"), entry("a"))
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600


def written_with(journal: Journal, *entries: JobEntry) -> Journal:
    for item in entries:
        journal.record(item)
    return written(journal)


def test_a_file_that_is_not_a_database_is_moved_aside_and_a_new_one_made(tmp_path):
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(os.urandom(4096))
    journal = written_with(Journal(path), entry("a"))
    assert ids(Journal(path).entries()) == ["a"]
    aside = [p.name for p in tmp_path.iterdir() if ".unreadable-" in p.name]
    assert len(aside) == 1 and journal.problem is None


def test_a_v01_journal_is_imported_skipping_what_cannot_be_read(tmp_path):
    """Torn inside a multi-byte character, not UTF-8, binary garbage, ill-typed entries."""
    good = {"task_id": "t1", "function": "video_edit", "status": "RUNNING", "created_at": 1.0}
    later = {"task_id": "t1", "status": "SUCCEEDED", "video_url": "https://r/x.mp4"}
    chinese = json.dumps(
        {"task_id": "t2", "function": "video_edit", "status": "PENDING", "prompt": "夕阳下的山丘"},
        ensure_ascii=False,
    ).encode()
    lines = [
        json.dumps(good).encode(),
        b"\xff\xfe not utf-8 \x80",
        bytes(range(128, 256)),  # binary garbage
        json.dumps({"task_id": ["a", "list"], "function": "x", "status": "RUNNING"}).encode(),
        json.dumps({"task_id": "t3", "function": 7, "status": "RUNNING"}).encode(),
        json.dumps({"task_id": "../../etc", "function": "x", "status": "RUNNING"}).encode(),
        json.dumps(later).encode(),
        chinese[: chinese.index("山".encode()) + 1],  # a crash while writing the prompt
    ]
    (tmp_path / "journal.jsonl").write_bytes(b"\n".join(lines))
    journal = Journal(tmp_path / "journal.sqlite3")
    entries = journal.entries()
    assert [(e.task_id, e.status) for e in entries] == [("t1", "SUCCEEDED")]
    assert entries[0].video_url == "https://r/x.mp4" and entries[0].function == "video_edit"
    assert journal.skipped == 6
    assert (tmp_path / "journal.jsonl.imported").is_file()
    assert not (tmp_path / "journal.jsonl").exists()
    written(journal)
    assert ids(Journal(journal.path).entries()) == ["v01-t1"]


def test_ill_typed_rows_are_skipped_or_kept_without_their_bad_fields(tmp_path):
    path = tmp_path / "j.sqlite3"
    write_raw_rows(
        path,
        entry("a").to_json(),
        {**json.loads(entry("b").to_json()), "local_path": 12, "created_at": "soon"},
        {**json.loads(entry("c").to_json()), "task_id": "x/../../y"},  # could be a path
        "{not json",
        "[1, 2, 3]",
        {"job_id": "e", "function": None, "status": "RUNNING"},
    )
    journal = Journal(path)
    entries = {e.job_id: e for e in journal.entries()}
    assert sorted(entries) == ["a", "b"]
    assert entries["b"].local_path is None and entries["b"].created_at == 0.0
    assert journal.skipped == 4


@pytest.mark.parametrize("kind", ["a folder in its place", "a file as its folder"])
def test_a_journal_that_cannot_be_opened_writes_to_a_second_file_loudly(tmp_path, kind, caplog):
    if kind == "a folder in its place":
        path = tmp_path / "journal.sqlite3"
        path.mkdir()
    else:
        (tmp_path / "home").write_text("not a folder")
        path = tmp_path / "home" / "journal.sqlite3"
    journal = Journal(path, fallback_after_s=0)
    journal.record(entry("a"))
    assert journal.flush_blocking()  # durable: in the second file
    assert journal.problem and "cannot be written" in journal.problem
    assert any("kept in" in r.getMessage() for r in caplog.records)
    # another process (a restart) sees the job through the second file
    assert ids(Journal(path).entries()) == ["a"]
    journal.close()


def test_a_job_that_can_be_written_nowhere_is_reported_lost_not_hidden(tmp_path, monkeypatch):
    (tmp_path / "home").write_text("not a folder")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "home" / "tmp"))
    journal = Journal(tmp_path / "home" / "journal.sqlite3", fallback_after_s=0)
    journal.record(entry("a"))
    assert journal.flush_blocking(timeout=5) is False
    assert "kept in memory only" in journal.problem
    assert ids(journal.entries()) == ["a"]  # this process still has it
    journal.close()


# -- other processes ------------------------------------------------------------------------

LOCKER = textwrap.dedent(
    """
    import sqlite3, sys
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    if sys.argv[2] == "rollback":
        db.execute("PRAGMA journal_mode = DELETE")
    db.execute("CREATE TABLE IF NOT EXISTS other (x)")
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.readline()  # hold the lock until told
    db.execute("COMMIT")
    print("released", flush=True)
    """
)


class Locker:
    """Another process holding an exclusive lock on the journal's file until released."""

    def __init__(self, path: Path, mode: str):
        self.process = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(path), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        assert line.strip() == "locked", line

    def release(self) -> None:
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "released"
        self.process.wait(timeout=30)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def locker():
    held: list[Locker] = []

    def hold(path: Path, mode: str = "wal") -> Locker:
        held.append(Locker(path, mode))
        return held[-1]

    yield hold
    for item in held:
        item.kill()


@pytest.mark.parametrize("mode", ["wal", "rollback"])
def test_a_write_meeting_another_process_lock_is_retried_until_it_lands(tmp_path, locker, mode):
    path = tmp_path / "journal.sqlite3"
    if mode == "wal":
        written_with(Journal(path), entry("before"))
    held = locker(path, mode)  # rollback: even the first open meets the lock
    journal = Journal(path, fallback_after_s=3600)
    journal.record(entry("a", "RUNNING"))  # returns at once: the journal's thread waits
    assert not journal.flush_blocking(timeout=1.5)  # the lock is still held
    assert journal.problem and "locked by another process" in journal.problem
    journal.record(entry("a", "SUCCEEDED", local_path="/x.mp4"))
    held.release()
    assert journal.flush_blocking(timeout=30), journal.problem
    assert journal.problem is None
    assert Journal(path).get_job("a").status == "SUCCEEDED"
    journal.close()


def test_a_long_lock_makes_a_write_durable_in_the_second_file(tmp_path, locker):
    path = tmp_path / "journal.sqlite3"
    written_with(Journal(path), entry("before"))
    held = locker(path)
    journal = Journal(path, fallback_after_s=0.2)
    journal.record(entry("a", "SUBMITTING", task_id=None))
    assert journal.flush_blocking(timeout=30)  # durable while the lock is held
    second = list(tmp_path.glob("journal.fallback-*.jsonl"))
    assert len(second) == 1 and "SUBMITTING" in second[0].read_text()
    # a fresh process (the lock still held) sees the job
    assert Journal(path).get_job("a").status == "SUBMITTING"
    held.release()
    journal.record(entry("b"))
    journal.close()  # writes what is pending and stops its thread
    assert not list(tmp_path.glob("journal.fallback-*.jsonl"))  # merged, then deleted
    with sqlite3.connect(path) as db:
        assert {row[0] for row in db.execute("SELECT job_id FROM jobs")} == {"before", "a", "b"}


async def test_writes_never_wait_on_the_event_loop_for_a_lock(tmp_path, locker):
    """While another process holds the lock, record() returns and the loop runs on: the
    lock is released only after the loop has done more work."""
    path = tmp_path / "journal.sqlite3"
    written_with(Journal(path), entry("before"))
    held = locker(path)
    journal = Journal(path, fallback_after_s=3600)
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.ensure_future(tick())
    for i in range(20):
        journal.record(entry(f"job{i}"))
    flushing = asyncio.ensure_future(journal.flush())
    while ticks < 2000:  # the loop turns two thousand times while the write waits
        await asyncio.sleep(0)
    assert not flushing.done()
    held.release()
    assert await asyncio.wait_for(flushing, 30)
    ticker.cancel()
    assert len(Journal(path).entries()) == 21
    journal.close()


def test_a_dead_process_second_file_is_read_and_merged_by_the_next(tmp_path, locker):
    """A process writes to its second file while the journal is locked, then dies before it
    can merge it; the next process reads the job from it, and merges it once it can."""
    script = textwrap.dedent(
        """
        import os, sys
        from tests.helpers import journal_entry
        from wanvace_widgets.jobs.journal import Journal
        journal = Journal(sys.argv[1], fallback_after_s=0.1)
        journal.record(journal_entry("dead", "RUNNING"))
        assert journal.flush_blocking(30)
        os._exit(0)  # dies at once: no merge, no clean-up
        """
    )
    path = tmp_path / "journal.sqlite3"
    written_with(Journal(path), entry("before"))
    held = locker(path)
    subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, check=True, timeout=120)
    [second] = tmp_path.glob("journal.fallback-*.jsonl")
    journal = Journal(path)
    assert journal.get_job("dead").status == "RUNNING"  # read through its second file
    held.release()
    journal.record(entry("next"))
    journal.close()
    assert not second.exists()  # its process ended: merged into the database, then deleted
    with sqlite3.connect(path) as db:
        assert {row[0] for row in db.execute("SELECT job_id FROM jobs")} == {
            "before",
            "dead",
            "next",
        }


# -- damage ------------------------------------------------------------------------------


def damaged_journal(path: Path, jobs: int = 300) -> None:
    journal = Journal(path)
    for i in range(jobs):
        journal.record(entry(f"job{i:03}", request={"prompt": "x" * 500}))
    written(journal).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    with open(path, "r+b") as f:  # a torn page in the middle of the table
        f.seek(page * (pages // 2))
        f.write(os.urandom(page))


def test_a_damaged_page_never_raises_and_the_rest_is_read(tmp_path):
    path = tmp_path / "journal.sqlite3"
    damaged_journal(path)
    journal = Journal(path)
    entries = journal.entries()  # no exception
    assert 150 <= len(entries) < 300
    assert journal.problem and "damaged" in journal.problem
    assert journal.unfinished() and journal.get_job("job000") is not None


def test_a_damaged_journal_is_rebuilt_keeping_the_damaged_copy(tmp_path, caplog):
    path = tmp_path / "journal.sqlite3"
    damaged_journal(path)
    reader = Journal(path)
    readable = len(reader.entries())  # finds the damage: its thread rebuilds the file
    reader.close()
    assert any("was damaged: it was rebuilt" in r.getMessage() for r in caplog.records)
    kept = [p for p in tmp_path.glob("journal.sqlite3.damaged-*") if p.suffix != ".sqlite3-wal"]
    assert len([p for p in kept if not p.name.endswith(("-wal", "-shm"))]) == 1
    fresh = Journal(path)
    assert len(fresh.entries()) == readable and fresh.problem is None
    written_with(fresh, entry("new")).close()
    assert len(Journal(path).entries()) == readable + 1
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("reader", ["client", "history", "resume"])
async def test_every_reader_survives_a_damaged_journal(tmp_path, reader):
    path = tmp_path / "journal.sqlite3"
    damaged_journal(path)
    client = wv.VaceClient(api_key="k", base_url="http://127.0.0.1:9", journal=path)
    if reader == "client":
        assert client.unfinished_jobs() == []  # another host's jobs: none of ours
    elif reader == "history":
        history = wv.JobHistory(client=client, resume=False)
        history.close()
    else:
        assert client.resume() == []
    await client.aclose()


# -- several processes at once -------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from tests.helpers import journal_entry
    from wanvace_widgets.jobs.journal import Journal
    path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    journal = Journal(path)
    for i in range(count):
        for job in (f"{name}-{i % 10}", "shared"):
            journal.record(journal_entry(job, "RUNNING", request={"step": i, "by": name}))
    journal.record(journal_entry(f"{name}-done", "SUCCEEDED"))
    assert journal.flush_blocking(60)
    print(journal.problem)
    """
)


@pytest.mark.parametrize("round_", range(3))
def test_two_processes_writing_at_once_lose_no_update(tmp_path, round_):
    path = tmp_path / "journal.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, "200"],
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        for name in ("a", "b")
    ]
    outputs = [w.communicate(timeout=120)[0].decode().strip() for w in writers]
    assert outputs == ["None", "None"], outputs
    entries = {e.job_id: e for e in Journal(path).entries()}
    for name in ("a", "b"):
        assert entries[f"{name}-done"].status == "SUCCEEDED"
        for i in range(10):
            assert entries[f"{name}-{i}"].request["step"] == 190 + i  # the last, none lost
    assert entries["shared"].request["step"] == 199
    assert len(entries) == 23


def test_an_entry_with_a_nan_time_is_still_recorded(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(entry("a").replace(created_at=float("nan")))
    written(journal)
    assert ids(Journal(journal.path).entries()) == ["a"]
