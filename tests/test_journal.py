"""The journal: SQLite, one row per job, safe against crashes, garbage, several kernels
at once and homes that cannot be written; never in the way of a job or a widget."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

import wanvace_widgets as wv
from wanvace_widgets.journal import Journal


def entry(job_id, status="PENDING", task_id=None, **more):
    return {
        "job_id": job_id,
        "task_id": task_id or f"t-{job_id}",
        "function": "video_edit",
        "status": status,
        "created_at": 1_750_000_000.0 + len(job_id),
        **more,
    }


def test_the_latest_state_of_each_job_wins_across_instances(tmp_path):
    path = tmp_path / "journal.sqlite3"
    Journal(path).record(entry("a", "PENDING", prompt="夕阳下的山丘"))
    Journal(path).record(entry("a", "RUNNING", prompt="夕阳下的山丘"))
    Journal(path).record(entry("b", "FAILED"))
    reopened = Journal(path)
    assert reopened.get("t-a")["status"] == "RUNNING"
    assert reopened.get("t-a")["prompt"] == "夕阳下的山丘"
    assert reopened.get_job("b")["status"] == "FAILED"
    assert [e["job_id"] for e in reopened.entries()] == ["a", "b"]
    assert [e["job_id"] for e in reopened.unfinished()] == ["a"]


def test_succeeded_without_a_local_copy_is_unfinished(tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(entry("a", "SUCCEEDED", local_path=str(video)))
    journal.record(entry("b", "SUCCEEDED", local_path=None))
    journal.record(entry("c", "SUCCEEDED", local_path=str(tmp_path / "gone.mp4")))
    journal.record(entry("d", "UNCONFIRMED", task_id=None) | {"task_id": None})
    assert [e["job_id"] for e in journal.unfinished()] == ["b", "c"]
    assert [e["job_id"] for e in journal.unconfirmed()] == ["d"]


def test_the_file_and_its_folder_are_owner_only(tmp_path):
    journal = Journal(tmp_path / "home" / "journal.sqlite3")
    journal.record(entry("a"))
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600


def test_a_file_that_is_not_a_database_is_moved_aside_and_a_new_one_made(tmp_path):
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(os.urandom(4096))
    journal = Journal(path)
    journal.record(entry("a"))
    assert [e["job_id"] for e in Journal(path).entries()] == ["a"]
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
        json.dumps(
            {"task_id": "t3", "function": "x", "status": "RUNNING", "local_path": 7}
        ).encode(),
        json.dumps({"task_id": "../../etc", "function": "x", "status": "RUNNING"}).encode(),
        json.dumps(later).encode(),
        chinese[: chinese.index("山".encode()) + 1],  # a crash while writing the prompt
    ]
    (tmp_path / "journal.jsonl").write_bytes(b"\n".join(lines))
    journal = Journal(tmp_path / "journal.sqlite3")
    entries = journal.entries()
    assert [(e["task_id"], e["status"]) for e in entries] == [("t1", "SUCCEEDED")]
    assert entries[0]["video_url"] == "https://r/x.mp4" and entries[0]["function"] == "video_edit"
    assert journal.skipped == 6
    assert (tmp_path / "journal.jsonl.imported").is_file()
    assert not (tmp_path / "journal.jsonl").exists()


def test_ill_typed_rows_are_skipped_and_counted(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(entry("a"))
    journal.record(entry("b", local_path=12))
    journal.record(entry("c", task_id="x/../../y"))
    import sqlite3

    with sqlite3.connect(journal.path) as db:
        db.execute("INSERT INTO jobs VALUES ('d', 't-d', 'RUNNING', 5, ?)", ("{not json",))
    assert [e["job_id"] for e in journal.entries()] == ["a"]
    assert journal.skipped == 3


@pytest.mark.parametrize("kind", ["a folder in its place", "a file as its folder"])
def test_a_journal_that_cannot_be_opened_is_off_and_never_raises(tmp_path, kind):
    if kind == "a folder in its place":
        path = tmp_path / "journal.sqlite3"
        path.mkdir()
    else:
        (tmp_path / "home").write_text("not a folder")
        path = tmp_path / "home" / "journal.sqlite3"
    journal = Journal(path)
    journal.record(entry("a"))
    assert journal.entries() == [] and journal.unfinished() == []
    assert journal.problem and not journal.available


async def test_widgets_and_jobs_go_on_without_a_journal(tmp_path):
    from tests.helpers import make_client
    from wanvace_widgets.emulator import EmulatorConfig, create_app

    (tmp_path / "home").write_text("not a folder")
    app = create_app(EmulatorConfig(pending_s=0.02, running_s=0.05))
    client = make_client(app, tmp_path, journal=Journal(tmp_path / "home" / "j.sqlite3"))
    studio = wv.VaceStudio(client=client)
    task = await client.submit(
        wv.VideoOutpainting(prompt="p", video="http://emulator.local/samples/source.mp4")
    )
    await task.wait(30)
    assert task.status == "SUCCEEDED" and studio is not None
    assert client.resume() == []
    await client.aclose()


WRITER = textwrap.dedent(
    """
    import sys
    from wanvace_widgets.journal import Journal
    path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    journal = Journal(path)
    for i in range(count):
        for job in (f"{name}-{i % 10}", "shared"):
            journal.record({"job_id": job, "task_id": f"t-{job}", "function": "video_edit",
                            "status": "RUNNING", "created_at": 1.0, "step": i, "by": name})
    journal.record({"job_id": f"{name}-done", "task_id": f"t-{name}-done",
                    "function": "video_edit", "status": "SUCCEEDED", "created_at": 2.0})
    print(journal.problem)
    """
)


@pytest.mark.parametrize("round_", range(3))
def test_two_processes_writing_at_once_lose_no_update(tmp_path, round_):
    path = tmp_path / "journal.sqlite3"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, "200"],
            stdout=subprocess.PIPE,
            env=env,
        )
        for name in ("a", "b")
    ]
    outputs = [w.communicate(timeout=120)[0].decode().strip() for w in writers]
    assert outputs == ["None", "None"], outputs
    entries = {e["job_id"]: e for e in Journal(path).entries()}
    for name in ("a", "b"):
        assert entries[f"{name}-done"]["status"] == "SUCCEEDED"
        for i in range(10):
            assert entries[f"{name}-{i}"]["step"] == 190 + i  # the last of each, none lost
    assert entries["shared"]["step"] == 199
    assert len(entries) == 23


def test_an_entry_with_a_nan_time_is_still_recorded(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(entry("a") | {"created_at": float("nan")})
    assert [e["job_id"] for e in journal.entries()] == ["a"]
