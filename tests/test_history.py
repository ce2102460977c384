"""The job history without a kernel: every job of the session (live) and of the journal,
posters, play, use as input, load, code, resume, totals, a restart, 200 jobs, and journal
entries that are missing fields, ill-typed, huge or point at files that are gone."""

from __future__ import annotations

import json
import math
import os
import shutil

import pytest

import wanvace_widgets as wv
from tests.helpers import journal_entry, make_client, new_models, until, write_raw_rows
from tests.test_journal import locker as locker  # the fixture: another process holds a lock
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.jobs.job_entry import JobEntry
from wanvace_widgets.jobs.journal import Journal
from wanvace_widgets.widgets.history_rows import PROMPT_EXCERPT, job_row, totals_text
from wanvace_widgets.widgets.job_records import JobRecord, request_code
from wanvace_widgets.widgets.posters import PosterCache

SECRET = "sk-history-secret-1234567890"
HOST = "emulator.local"


@pytest.fixture
def app():
    return create_app(EmulatorConfig(pending_s=0.05, running_s=0.15))


@pytest.fixture
async def client(app, tmp_path):
    client = make_client(app, tmp_path, api_key=SECRET)
    yield client
    await client.aclose()


@pytest.fixture
def history_of(closing):
    return lambda *args, **kwargs: closing(wv.JobHistory(*args, **kwargs))


def outpainting(media, prompt="wide hills"):
    return wv.VideoOutpainting(prompt=prompt, video=media["source"], left_scale=1.3)


def row_of(history, job_id):
    return next((r for r in history.page.rows if r["id"] == job_id), None)


def entry(job_id, **fields):
    """A journal entry of this client's host, as the scheduler writes them."""
    base = {
        "job_id": job_id,
        "function": "video_outpainting",
        "status": "SUCCEEDED",
        "created_at": 1_750_000_000.0,
        "host": HOST,
        "finished": True,
        "request": {"function": "video_outpainting", "prompt": f"job {job_id}"},
    }
    return base | fields


def typed(job_id, **fields) -> JobEntry:
    """The same entry, parsed as the journal parses what it reads."""
    parsed = JobEntry.parse(entry(job_id, **fields))
    assert parsed is not None
    return parsed


# -- the session's jobs -----------------------------------------------------------------


async def test_every_job_of_the_session_shows_live_then_finished(client, media, history_of):
    history = history_of(client=client)
    assert history.page.rows == [] and history.page.totals.startswith("0 jobs")
    task = client.enqueue(outpainting(media))  # made in another cell, not by a widget
    await until(lambda: row_of(history, task.job_id), "the new job was not listed")
    await until(
        lambda: row_of(history, task.job_id)["status"] in ("PENDING", "RUNNING"),
        "the job's live status was not shown",
    )
    live = row_of(history, task.job_id)
    assert live["ticking"] and live["tone"] == "live" and live["prompt"] == "wide hills"
    await task.wait(30)
    await until(lambda: history.page.posters.get(task.job_id), "no poster for the result")
    done = row_of(history, task.job_id)
    assert done["status"] == "SUCCEEDED" and not done["ticking"]
    assert done["actions"] == ["play", "code"]  # no targets or loader: nothing to fill
    assert done["path"].endswith(".mp4") and done["cost"] == "$0.30 billed"
    assert 0 < done["elapsed"] < 30  # the server's own run time, not the time since asked
    assert history.page.posters[task.job_id].startswith("data:image/jpeg;base64,")
    assert history.page.totals == "1 job · today: 1, $0.30 billed"


async def test_play_shows_the_result_in_the_shared_player(client, media, history_of):
    task = await client.submit(outpainting(media))
    await task.wait(30)
    history = history_of(client=client)
    history.play(task.job_id)
    assert history.playing_path == task.local_path and history.page.playing == task.job_id
    task.local_path.unlink()  # moved away since
    history.refresh()
    assert "play" not in row_of(history, task.job_id)["actions"]
    assert "gone" in row_of(history, task.job_id)["note"]
    history.play(task.job_id)
    assert "not on this disk" in history.page.message


async def test_use_as_input_never_offers_the_jobs_own_function(client, media, history_of):
    task = await client.submit(outpainting(media))
    await task.wait(30)
    history = history_of(client=client)
    sent = []
    history.set_targets(
        [
            ("Outpainting: source video", "video_outpainting", lambda p: sent.append(("o", p))),
            ("Edit: source video", "video_edit", lambda p: sent.append(("e", p))),
        ]
    )
    assert "use" in row_of(history, task.job_id)["actions"]
    history.use_as_input(task.job_id, "Outpainting: source video")
    assert sent == [] and "cannot go" in history.page.message
    history.use_as_input(task.job_id, "Edit: source video")
    assert sent == [("e", str(task.local_path))]
    history.set_targets([("Outpainting", "video_outpainting", sent.append)])
    assert "use" not in row_of(history, task.job_id)["actions"]


async def test_load_and_code_rebuild_the_request(client, media, history_of):
    request = wv.VideoOutpainting(prompt='it\'s "wide"', video=media["source"], right_scale=1.7)
    task = await client.submit(request)
    await task.wait(30)
    history = history_of(client=client)
    loaded = []
    history.set_loader(loaded.append)
    assert row_of(history, task.job_id)["actions"] == ["play", "load", "code"]
    history.load(task.job_id)
    assert [r.summary() for r in loaded] == [request.summary()]
    code = history.code(task.job_id)
    pasted = eval(code, {"wv": wv})  # noqa: S307 - runs as the user would paste it
    assert pasted.summary() == request.summary()
    assert history.page.code == {"job": task.job_id, "n": 1, "text": code}


async def test_resume_follows_a_job_that_stopped_being_watched(tmp_path, media, history_of):
    app = create_app(EmulatorConfig(pending_s=0.05, running_s=0.6))
    client = make_client(app, tmp_path)
    task = await client.submit(outpainting(media))
    await until(lambda: task.status == "RUNNING", "the task never ran")
    task.stop_watching()
    # the scheduler's follower ends at its next wake-up (attach before that only wakes it)
    await until(lambda: task.job_id not in client._scheduler._jobs, "the follower never ended")
    history = history_of(client=client)
    row = row_of(history, task.job_id)
    assert "resume" in row["actions"] and "Resume follows it again" in row["note"]
    assert not row["ticking"]
    assert history.resume(task.job_id) is task
    await task.wait(30)
    await until(
        lambda: row_of(history, task.job_id)["status"] == "SUCCEEDED", "the resumed job ended"
    )
    assert "resume" not in row_of(history, task.job_id)["actions"]
    await client.aclose()


# -- earlier sessions --------------------------------------------------------------------


async def test_after_a_restart_earlier_jobs_show_play_and_resume(tmp_path, media, history_of):
    app = create_app(EmulatorConfig(pending_s=0.1, running_s=0.4))
    before = make_client(app, tmp_path)
    done = await before.submit(outpainting(media, "finished before"))
    await done.wait(30)
    interrupted = await before.submit(outpainting(media, "running at the restart"))
    await before.aclose()  # the kernel restarts: nobody follows the second job
    after = make_client(app, tmp_path)
    history = history_of(client=after)
    rows = {r["prompt"]: r for r in history.page.rows}
    assert rows.keys() == {"finished before", "running at the restart"}
    assert rows["finished before"]["actions"] == ["play", "code"]
    history.play(done.job_id)
    assert history.playing_path == done.local_path
    resumed = next(t for t in after.tasks if t.task_id == interrupted.task_id)  # automatic
    await resumed.wait(30)
    await until(
        lambda: (
            row_of(history, interrupted.job_id)["status"] == "SUCCEEDED"
            and history.page.posters.get(interrupted.job_id)
        ),
        "the resumed job's result was not shown",
    )
    assert len(history.page.rows) == 2  # one row per job: the journal's and the live one merged
    await after.aclose()


async def test_only_this_hosts_jobs_and_only_readable_entries(tmp_path, history_of):
    write_raw_rows(
        tmp_path / "journal.sqlite3",
        entry("mine"),
        entry("other", host="dashscope.aliyuncs.com"),
        {"job_id": "broken", "function": 5, "status": "SUCCEEDED"},
    )
    journal = Journal(tmp_path / "journal.sqlite3")
    client = wv.VaceClient(api_key="k", base_url=f"http://{HOST}", journal=journal)
    history = history_of(client=client, resume=False)
    assert [r["id"] for r in history.page.rows] == ["mine"]


BAD_FIELDS = [
    {"created_at": float("nan")},
    {"created_at": 1e300, "submitted_at": "soon"},
    {"created_at": True, "submitted_at": [1, 2]},
    {"estimated_usd": float("nan"), "billed_usd": float("inf")},
    {"estimated_usd": -3, "billed_usd": "0.50"},
    {"request": "a string"},
    {"request": [1, 2, 3]},
    {"request": {"prompt": 5, "video": {"nested": True}}},
    {"request": {"function": "video_outpainting", "prompt": "x" * 1_000_000}},
    {"request": {"prompt": "<script>alert(1)</script>\x00\x1b[31m\ud800 end"}},
    {"error": {"message": ["not", "text"]}, "status": "FAILED"},
    {"error": "plain text error" * 1000, "status": "FAILED"},
    {"submit_time": "2025-13-45 99:99:99.000", "end_time": "yesterday"},
    {"submit_time": "2025-01-02 10:00:05.000", "end_time": "2025-01-02 10:00:00.000"},
    {"status": "SOMETHING NEW", "finished": "yes"},
    {"function": "text2video"},
    {"local_path": "/dev/zero"},
    {"local_path": "/"},
    {"local_path": "missing/file.mp4"},
    {"local_path": "x" * 10_000 + ".mp4"},
]


@pytest.mark.parametrize("fields", BAD_FIELDS, ids=range(len(BAD_FIELDS)))
def test_an_ill_typed_entry_is_shown_without_its_bad_fields(fields):
    record = JobRecord.from_entry(typed("odd", **fields))
    row = job_row(record, 1, 1_750_000_100.0, [])
    json.dumps(row, ensure_ascii=False).encode("utf-8")  # what the comm sends must encode
    assert len(row["prompt"]) <= PROMPT_EXCERPT and row["prompt"].isprintable()
    for name in ("created_at", "submitted_at", "estimated_usd", "billed_usd"):
        value = getattr(record, name)
        assert value is None or (math.isfinite(value) and value >= 0)
    assert row["elapsed"] is None or row["elapsed"] >= 0
    assert not record.has_video_file()
    assert len(row["note"]) <= 300
    assert totals_text([record], 1_750_000_100.0)


async def test_a_journal_of_ill_typed_entries_still_shows_a_history(tmp_path, history_of):
    write_raw_rows(
        tmp_path / "journal.sqlite3", *(entry(f"odd{i}", **f) for i, f in enumerate(BAD_FIELDS))
    )
    journal = Journal(tmp_path / "journal.sqlite3")
    client = wv.VaceClient(api_key="k", base_url=f"http://{HOST}", journal=journal)
    history = history_of(client=client, resume=False, page_size=100)
    readable = len(journal.entries())
    assert readable >= len(BAD_FIELDS) - 3 and len(history.page.rows) == readable
    json.dumps(history.page.get_state(), ensure_ascii=False).encode("utf-8")
    summary_of(history)


def test_entries_that_are_not_jobs_are_skipped():
    for bad in (None, [], "text", {"job_id": 5}, {"job_id": "a", "function": "f"}):
        assert JobEntry.parse(bad) is None


async def test_a_hostile_journal_cannot_leak_a_file_or_inject_markup(tmp_path, history_of):
    (tmp_path / "key.mp4").write_text(SECRET)  # a text file named like a video
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    (tmp_path / "folder.mp4").mkdir()
    journal = Journal(tmp_path / "journal.sqlite3")
    script = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    for name in ("key.mp4", "pipe.mp4", "folder.mp4"):
        journal.record(
            typed(name, local_path=str(tmp_path / name), request={"prompt": script, "video": name})
        )
    client = wv.VaceClient(api_key="k", base_url=f"http://{HOST}", journal=journal)
    history, made, state = new_models(lambda: history_of(client=client, resume=False))
    assert {r["id"] for r in history.page.rows} == {"key.mp4", "pipe.mp4", "folder.mp4"}
    history.play("key.mp4")
    assert "not a video" in history.page.message and history.playing_path is None
    for name in ("pipe.mp4", "folder.mp4"):
        assert "play" not in row_of(history, name)["actions"]
    saved = json.dumps(wv.JobHistory.get_manager_state(widgets=made))
    assert SECRET not in saved and history.page.posters == {}
    bundle = summary_of(history)
    assert "<script>" not in bundle and "<img src=x" not in bundle


def summary_of(history):
    history._summary._handles.append(_Recorder())  # as if displayed
    history._render()
    return history._summary._bundle["text/html"]


class _Recorder:
    def update(self, bundle, raw):
        self.bundle = bundle


async def test_two_hundred_jobs_are_one_list_and_a_page_of_posters(tmp_path, media, history_of):
    journal = Journal(tmp_path / "journal.sqlite3")
    videos = tmp_path / "videos"
    videos.mkdir()
    for i in range(200):
        os.link(media["source"], videos / f"{i}.mp4")
        journal.record(
            typed(f"job{i:03}", created_at=1_750_000_000.0 + i, local_path=str(videos / f"{i}.mp4"))
        )
    client = wv.VaceClient(api_key="k", base_url=f"http://{HOST}", journal=journal)
    posters = PosterCache(tmp_path / "posters")
    history, made, state = new_models(
        lambda: history_of(client=client, resume=False, posters=posters)
    )
    assert len(made) <= 12, [type(w).__name__ for w in made]
    rows = history.page.rows
    assert [r["n"] for r in rows] == list(range(200, 188, -1)) and history.page.hidden == 188
    await until(lambda: len(history.page.posters) == 12, "the page's posters were not made")
    assert len(list(posters.folder.glob("*.jpg"))) == 12  # only the page's posters
    state = wv.JobHistory.get_manager_state(drop_defaults=True, widgets=made)["state"]
    assert len(json.dumps(state)) < 60_000
    history.click_in_page({"action": "more"})
    assert len(history.page.rows) == 24 and history.page.hidden == 176
    await until(lambda: len(history.page.posters) == 24, "the next page's posters")


async def test_bytes_inputs_are_named_in_the_code_not_invented(tmp_path, media):
    request = wv.VideoOutpainting(prompt="p", video=media["source"].read_bytes())
    code = request_code("video_outpainting", request.summary())
    assert "# video: given as bytes" in code and "video=" not in code


async def test_page_messages_that_are_not_ours_are_ignored(client, media, history_of):
    task = await client.submit(outpainting(media))
    await task.wait(30)
    history = history_of(client=client)
    rows = history.page.rows
    for content in (
        None,
        "play",
        {"action": "play"},
        {"action": "play", "job": "nobody"},
        {"action": "explode", "job": task.job_id},
        {"action": "use", "job": task.job_id, "target": ["list"]},
        {"action": "resume", "job": task.job_id},
    ):
        history.click_in_page(content)
    assert history.page.rows == rows and history.playing_path is None


async def test_the_key_is_never_in_the_history(client, media, history_of):
    history, made, _ = new_models(lambda: history_of(client=client))
    task = await client.submit(outpainting(media))
    await task.wait(30)
    history.refresh()
    history.code(task.job_id)
    state = json.dumps(wv.JobHistory.get_manager_state(widgets=made))
    assert SECRET not in state and SECRET not in summary_of(history)
    assert SECRET not in repr(history)


# -- rows and totals ---------------------------------------------------------------------


def test_elapsed_runs_from_the_real_submit_and_ends_with_the_servers_times():
    now = 1_750_000_600.0
    live = JobRecord.from_entry(
        typed("a", status="RUNNING", finished=False, created_at=now - 500, submitted_at=now - 400)
    )
    assert live.elapsed_s(now) == 400
    done = JobRecord.from_entry(
        typed("b", submit_time="2025-01-02 10:00:00.250", end_time="2025-01-02 10:06:40.750")
    )
    assert done.elapsed_s(now) == 400.5
    assert JobRecord.from_entry(typed("c", status="CANCELED")).elapsed_s(now) is None


def test_a_lost_submit_says_what_the_client_does_and_names_its_candidates():
    now = 1_750_000_600.0
    searching = JobRecord.from_entry(typed("a", status="UNCONFIRMED", finished=False))
    note = job_row(searching, 1, now, [])["note"]
    assert "searching the server's task list for it (about 3 minutes" in note
    assert "reconcile" not in note  # nothing to do: the client searches by itself
    ambiguous = JobRecord.from_entry(
        typed(
            "b",
            status="UNCONFIRMED",
            candidates=["t-1", "t-2", "../../x"],  # a path is no task id: dropped
            error={"type": "SubmitUnconfirmedError", "code": "ReconcileAmbiguous", "message": "?"},
        )
    )
    note = job_row(ambiguous, 2, now, [])["note"]
    assert "2 tasks could be it: t-1, t-2;" in note and "await task.adopt(task_id)" in note
    stopped = JobRecord.from_entry(
        typed(
            "c",
            status="UNCONFIRMED",
            error={"type": "SubmitUnconfirmedError", "code": "X", "message": "the list failed"},
        )
    )
    note = job_row(stopped, 3, now, [])["note"]
    assert "the search of the task list stopped (the list failed)" in note
    assert "await task.reconcile() searches again" in note


def test_totals_count_today_and_the_money_billed_and_to_come():
    now = 1_750_000_000.0
    records = [
        JobRecord.from_entry(typed("a", created_at=now - 60, billed_usd=0.5)),
        JobRecord.from_entry(
            typed("b", created_at=now - 30, status="RUNNING", finished=False, estimated_usd=0.5)
        ),
        JobRecord.from_entry(typed("c", created_at=now - 3 * 86400, billed_usd=2.0)),
    ]
    assert (
        totals_text(records, now) == "3 jobs · today: 2, $0.50 billed, up to $0.50 more for 1 live"
    )


def test_posters_are_made_once_and_again_when_the_video_changes(tmp_path, media, monkeypatch):
    from wanvace_widgets.widgets import posters as posters_module

    made = []
    real = posters_module.thumbnail
    monkeypatch.setattr(posters_module, "thumbnail", lambda *a: made.append(a) or real(*a))
    video = tmp_path / "v.mp4"
    shutil.copy(media["source"], video)
    cache = PosterCache(tmp_path / "posters")
    assert cache.cached(video) is None and cache.missing(video)
    first = cache.poster(video)
    assert first.startswith(b"\xff\xd8") and len(first) < 8_000
    assert PosterCache(tmp_path / "posters").poster(video) == first and len(made) == 1
    shutil.copy(media["first_clip"], video)
    os.utime(video, ns=(1, 1))
    assert cache.poster(video) != first and len(made) == 2
    (tmp_path / "text.mp4").write_text("not a video")
    assert cache.poster(tmp_path / "text.mp4") is None
    assert not cache.missing(tmp_path / "text.mp4")  # not tried again until it changes
    assert cache.poster(tmp_path / "text.mp4") is None and len(made) == 3


def test_an_unwritable_or_tampered_poster_folder_only_costs_the_cache(tmp_path, media):
    (tmp_path / "posters").write_text("a file where the folder should be")
    assert PosterCache(tmp_path / "posters").poster(media["source"]).startswith(b"\xff\xd8")
    folder = tmp_path / "cache"
    cache = PosterCache(folder)
    good = cache.poster(media["source"])
    for path in folder.glob("*.jpg"):
        path.write_bytes(b"<html>not a poster</html>")
    assert PosterCache(folder).poster(media["source"]) == good


async def test_the_journals_trouble_shows_in_the_history_while_it_lasts(
    app, tmp_path, history_of, locker
):
    """Another process holds the journal's lock: the page warns (the write waits in the
    journal's thread), and the warning goes once the write lands."""
    path = tmp_path / "journal.sqlite3"
    client = make_client(app, tmp_path, journal=Journal(path, fallback_after_s=3600))
    held = None
    try:
        client.journal.record(journal_entry("before"))
        assert await client.journal.flush()
        history = history_of(client=client)
        assert history.journal_warning == ""
        held = locker(path)
        client.journal.record(journal_entry("during", "RUNNING"))
        await until(
            lambda: "locked by another process" in history.journal_warning,
            "the held lock was not shown",
            timeout=30,
        )
        held.release()
        await until(lambda: history.journal_warning == "", "the warning stayed", timeout=30)
        assert client.journal.get_job("during").status == "RUNNING"
    finally:
        if held is not None:
            held.kill()  # else closing the client would wait for the lock for ever
        await client.aclose()
