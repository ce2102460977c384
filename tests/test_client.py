"""The client against the emulator: submit, poll, retries, no double billing, deadlines,
cancel, attach and resume, uploads, the quota guard, regions, and the key kept secret."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import wanvace_widgets as wv
from tests.helpers import FAST_POLL, FAST_RETRY, make_client, until
from wanvace_widgets.clock import LoopClock, SystemClock
from wanvace_widgets.emulator import EmulatorConfig, EmulatorServer, create_app
from wanvace_widgets.jobs.deadlines import Deadlines
from wanvace_widgets.media.codec import probe
from wanvace_widgets.settings import find_api_key

SAMPLE = "http://emulator.local/samples/source.mp4"
SECRET = "sk-distinctive-secret-0123456789"


def outpaint(prompt="wide hills", **kw):
    return wv.VideoOutpainting(prompt=prompt, video=SAMPLE, left_scale=1.2, **kw)


def stats(app):
    return app.state.emulator.stats


def server_tasks(app):
    return app.state.emulator.tasks.tasks


async def test_submit_polls_downloads_and_journals(client, fast_app, tmp_path):
    task = client.enqueue(outpaint())
    seen = []
    task.add_observer(lambda snap: seen.append(snap.status))
    await task.wait(timeout=30)
    assert task.status == "SUCCEEDED" and task.done
    assert [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s] == [
        "UPLOADING",
        "SUBMITTING",
        "PENDING",
        "RUNNING",
        "SUCCEEDED",
    ]
    assert task.local_path == tmp_path / "results" / f"{task.task_id}.mp4"
    assert probe(task.local_path).codec == "h264"
    assert task.usage["video_duration"] == 3 and task.end_time
    entry = client.journal.get(task.task_id)
    assert entry.status == "SUCCEEDED" and entry.local_path == task.local_path
    assert entry.request["function"] == "video_outpainting"
    assert stats(fast_app)["submit"] == 1


async def test_submit_returns_once_the_task_exists(client):
    task = await client.submit(outpaint())
    assert task.task_id and task.status == "PENDING"
    await task.wait(30)


async def test_watch_yields_changes_only_and_ends(client):
    task = client.enqueue(outpaint())
    snaps = [snap async for snap in task.watch()]
    assert snaps[-1].finished and snaps[-1].status == "SUCCEEDED"
    assert all(a != b for a, b in zip(snaps, snaps[1:], strict=False))


@pytest.mark.parametrize(
    "fault",
    [
        {
            "action": "status",
            "status_code": 429,
            "code": "Throttling",
            "headers": {"Retry-After": "0"},
        },
        {"action": "status", "status_code": 500, "code": "InternalError"},
        {"action": "status", "status_code": 503, "code": "ServiceUnavailable"},
        {"action": "drop"},
    ],
)
async def test_queries_are_retried(client, fast_app, fault):
    fast_app.state.emulator.config.faults.add("query", times=2, **fault)
    task = await client.submit(outpaint())
    await task.wait(30)
    assert task.status == "SUCCEEDED"


class RecordingClock(SystemClock):
    """The wall clock, but sleeps are recorded and skipped."""

    def __init__(self):
        self.waits = []

    async def sleep(self, seconds):
        self.waits.append(seconds)
        await asyncio.sleep(0)


async def test_retry_after_is_respected(fast_app, tmp_path, media):
    clock = RecordingClock()
    client = make_client(fast_app, tmp_path, clock=clock)
    fast_app.state.emulator.config.faults.add(
        "policy", "status", status_code=429, code="Throttling", headers={"Retry-After": "7"}
    )
    body = await client.preview(wv.VideoOutpainting(prompt="p", video=media["source"]))
    assert body["input"]["video_url"].startswith("oss://")
    assert 7.0 in clock.waits
    await client.aclose()


async def test_an_outage_longer_than_the_follow_deadline_leaves_the_task_resumable(
    fast_app, tmp_path
):
    client = make_client(fast_app, tmp_path, deadlines=Deadlines(follow=1.0))
    task = await client.submit(outpaint())
    fast_app.state.emulator.config.faults.add("query", "status", status_code=500, times=None)
    with pytest.raises(wv.TaskDetachedError, match="follow deadline"):
        await task.wait(30)
    assert task.status in ("PENDING", "RUNNING") and not task.done and not task.watching
    assert task.problem and "deadline" in task.problem
    await client.aclose()
    fast_app.state.emulator.config.faults.clear()  # the outage ends; a new session resumes
    after = make_client(fast_app, tmp_path)
    [resumed] = after.resume()
    await resumed.wait(30)
    assert resumed.status == "SUCCEEDED" and resumed.local_path.exists()
    await after.aclose()


@pytest.mark.parametrize(
    "fault, error, status, created",
    [
        ({"action": "status", "status_code": 500}, wv.ServerError, "ERROR", 0),
        (
            {"action": "status", "status_code": 503, "code": "ServiceUnavailable"},
            wv.ServerError,
            "ERROR",
            0,
        ),
        ({"action": "drop"}, wv.SubmitUnconfirmedError, "UNCONFIRMED", 0),
        ({"action": "drop_after"}, wv.SubmitUnconfirmedError, "UNCONFIRMED", 1),
    ],
)
async def test_a_submit_that_may_have_reached_the_server_is_never_resent(
    client, fast_app, fault, error, status, created
):
    fast_app.state.emulator.config.faults.add("submit", **fault)
    task = client.enqueue(outpaint())
    await until(lambda: task.status in ("ERROR", "UNCONFIRMED"), "the submit never ended", 10)
    assert task.status == status and isinstance(task.error, error)
    assert stats(fast_app)["submit"] == 1
    if status == "UNCONFIRMED":
        assert "may or may not have been created" in str(task.error)
        # the client reads the task list by itself: the task found, or none created
        if created:
            await task.wait(60)
            assert task.status == "SUCCEEDED" and task.task_id in server_tasks(fast_app)
        else:
            with pytest.raises(wv.SubmitNotCreatedError):
                await task.wait(60)
    assert stats(fast_app)["submit"] == 1  # never sent again
    assert len(server_tasks(fast_app)) == created


async def test_a_slow_submit_over_loopback_times_out_and_is_not_resent(tmp_path):
    with EmulatorServer(EmulatorConfig(pending_s=0.05, running_s=0.1)) as server:
        client = wv.VaceClient(
            "k",
            base_url=server.base_url,
            deadlines=Deadlines(submit=0.3, clock_skew=0.5, list_settle=0.3),
            journal=False,
            results_dir=tmp_path,
            poll=FAST_POLL,
        )
        server.emulator.config.faults.add("submit", "delay", seconds=1.0)
        slow = wv.VideoOutpainting(prompt="slow", video=server.base_url + "/samples/source.mp4")
        task = client.enqueue(slow)
        await until(lambda: task.status == "UNCONFIRMED", "the slow submit was not given up", 10)
        # the server read nothing of a request its client had left: the task list says so
        with pytest.raises(wv.SubmitNotCreatedError):
            await task.wait(30)
        assert server.emulator.stats["submit"] == 1 and not server.emulator.tasks.tasks
        await client.aclose()


async def test_throttled_submit_is_retried_safely(client, fast_app):
    fast_app.state.emulator.config.faults.add(
        "submit", "status", status_code=429, code="Throttling.RateQuota"
    )
    task = await client.submit(outpaint())
    await task.wait(30)
    assert stats(fast_app)["submit"] == 2 and len(server_tasks(fast_app)) == 1


async def test_refused_connection_is_retried_because_nothing_was_sent(fast_app, tmp_path):
    inner = httpx.ASGITransport(app=fast_app)
    refused = []

    class RefuseOnce(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            if request.method == "POST" and not refused:
                refused.append(request)
                raise httpx.ConnectError("connection refused")
            return await inner.handle_async_request(request)

    client = make_client(fast_app, tmp_path, transport=RefuseOnce())
    task = await client.submit(outpaint())
    await task.wait(30)
    assert len(refused) == 1 and len(server_tasks(fast_app)) == 1
    await client.aclose()


async def test_wait_deadline_raises_a_timeout_and_cancels_nothing(tmp_path):
    app = create_app(EmulatorConfig(pending_s=30, running_s=30))
    client = make_client(app, tmp_path)
    task = await client.submit(outpaint())
    with pytest.raises(wv.WaitTimeoutError) as info:
        await task.wait(timeout=0.1)
    assert isinstance(info.value, TimeoutError)
    assert "may still be running" in str(info.value) and task.task_id in str(info.value)
    assert server_tasks(app)[task.task_id].status == "PENDING"
    assert stats(app)["cancel"] == 0
    await client.aclose()


async def test_cancel_pending_and_clear_answer_for_running(tmp_path):
    app = create_app(EmulatorConfig(pending_s=0.3, running_s=30))
    client = make_client(app, tmp_path)
    first = await client.submit(outpaint("one"))
    await first.cancel()
    assert first.status == "CANCELED"
    with pytest.raises(wv.TaskCanceledError):
        await first.wait(1)
    second = await client.submit(outpaint("two"))
    while second.status != "RUNNING":
        await asyncio.sleep(0.02)
    with pytest.raises(wv.BadRequestError) as info:
        await second.cancel()
    assert info.value.code == "UnsupportedOperation" and "stop_watching" in str(info.value)
    second.stop_watching()
    assert not second.watching
    await client.aclose()


async def test_queued_task_is_cancelled_locally_without_a_request(tmp_path):
    app = create_app(EmulatorConfig(pending_s=5, running_s=5))
    client = make_client(app, tmp_path, quota=wv.QuotaPolicy(max_concurrent=1))
    first = client.enqueue(outpaint("one"))
    second = client.enqueue(outpaint("two"))
    await asyncio.sleep(0.2)
    assert second.status == "QUEUED"
    await second.cancel()
    assert second.status == "CANCELED" and stats(app)["submit"] == 1
    await first.cancel()
    await client.aclose()


async def test_attach_from_a_fresh_client(fast_app, tmp_path):
    first = make_client(fast_app, tmp_path / "a")
    task = await first.submit(outpaint())
    await first.aclose()
    second = make_client(fast_app, tmp_path / "b")
    attached = second.attach(task.task_id)
    await attached.wait(30)
    assert attached.status == "SUCCEEDED" and attached.local_path.exists()
    await second.aclose()


async def test_resume_from_the_journal_after_a_restart(fast_app, tmp_path):
    before = make_client(fast_app, tmp_path)
    task = await before.submit(outpaint())
    await before.aclose()  # the kernel dies: nothing polls any more
    after = make_client(fast_app, tmp_path)
    resumed = after.resume()
    assert [t.task_id for t in resumed] == [task.task_id]
    assert resumed[0].function == "video_outpainting"
    await resumed[0].wait(30)
    assert resumed[0].local_path.exists()
    assert after.resume() == []  # finished with a local copy: nothing left to resume
    await after.aclose()


async def test_unknown_task_is_a_task_error(client):
    task = client.attach("no-such-task")
    with pytest.raises(wv.TaskUnknownError):
        await task.wait(5)


async def test_failed_task_raises_with_the_server_code(client, fast_app):
    fast_app.state.emulator.config.faults.add(
        "submit", "fail_task", code="DataInspectionFailed", message="no"
    )
    task = await client.submit(outpaint())
    with pytest.raises(wv.TaskFailedError) as info:
        await task.wait(30)
    assert info.value.code == "DataInspectionFailed" and info.value.task_id == task.task_id


async def test_an_unrecognised_status_keeps_the_task_followed_and_says_so(tmp_path):
    answers = iter(["PAUSED", "PAUSED", "RUNNING", "SUCCEEDED"])

    def handler(request):
        if request.method == "POST":
            return httpx.Response(
                200, json={"request_id": "r", "output": {"task_id": "t1", "task_status": "PENDING"}}
            )
        if request.url.path == "/none.mp4":
            return httpx.Response(404)
        status = next(answers)
        output = {"task_id": "t1", "task_status": status}
        if status == "SUCCEEDED":
            output["video_url"] = "http://x/none.mp4"
        return httpx.Response(200, json={"request_id": "r", "output": output})

    client = wv.VaceClient(
        base_url="http://x",
        api_key="k",
        transport=httpx.MockTransport(handler),
        journal=False,
        results_dir=tmp_path,
        poll=FAST_POLL,
        retry=FAST_RETRY,
    )
    task = await client.submit(outpaint())
    problems = []
    task.add_observer(lambda snap: problems.append(snap.problem))
    with pytest.raises(wv.DownloadError):  # the test server has no video to give
        await task.wait(5)
    assert any(p and "'PAUSED'" in p for p in problems)
    assert task.status == "SUCCEEDED"
    await client.aclose()


async def test_local_image_and_video_are_checked_uploaded_and_resolved(client, fast_app, media):
    request = wv.VideoEdit(
        prompt="edit",
        video=media["source"],
        mask_image=media["mask"],
        ref_image=media["subject"].read_bytes(),
    )
    task = await client.submit(request)
    await task.wait(30)
    body = server_tasks(fast_app)[task.task_id].body["input"]
    for field in ("video_url", "mask_image_url"):
        assert body[field].startswith("oss://dashscope-instant/")
    assert body["ref_images_url"][0].startswith("oss://") and body["ref_images_url"][0].endswith(
        ".png"
    )
    assert stats(fast_app)["upload"] == 3 and task.status == "SUCCEEDED"


async def test_an_input_given_twice_is_uploaded_once(client, fast_app, media):
    subject = media["subject"]
    request = wv.ImageReference(
        prompt="two of them",
        ref_images=[subject, str(subject), subject.read_bytes()],
        obj_or_bg=["obj", "obj", "obj"],
    )
    task = await client.submit(request)
    urls = server_tasks(fast_app)[task.task_id].body["input"]["ref_images_url"]
    assert urls[0] == urls[1] != urls[2]  # the same path once; bytes are their own upload
    assert stats(fast_app)["upload"] == 2
    await task.wait(30)


@pytest.mark.parametrize(
    "make, rule",
    [
        (
            lambda m: wv.VideoEdit(prompt="p", video=m["source"], mask_image=m["subject"]),
            "resolution",
        ),
        (
            lambda m: wv.VideoOutpainting(prompt="p", video=m["subject"].with_suffix(".mp4")),
            "no such file",
        ),
        (
            lambda m: wv.ImageReference(prompt="p", ref_images=[m["mask"].read_bytes()[:40]]),
            "readable",
        ),
        (
            lambda m: wv.VideoExtension(
                prompt="p", first_clip=m["source"], last_clip=m["first_clip"]
            ),
            "3 s",
        ),
    ],
)
async def test_bad_local_files_fail_before_any_request(client, fast_app, media, make, rule):
    task = client.enqueue(make(media))
    with pytest.raises(wv.ValidationError, match=rule):
        await task.wait(5)
    assert sum(stats(fast_app).values()) == 0


@pytest.mark.looptime  # the client's pacing and the server's limits on one virtual clock
async def test_twenty_requests_through_the_quota_guard_meet_no_429(tmp_path):
    app = create_app(
        EmulatorConfig(pending_s=0.02, running_s=0.05, quota_policy="reject", clock=LoopClock())
    )
    answers = []
    inner = httpx.ASGITransport(app=app)

    class Recording(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            response = await inner.handle_async_request(request)
            answers.append(response.status_code)
            return response

    client = make_client(app, tmp_path, transport=Recording(), clock=LoopClock())
    tasks = [client.enqueue(outpaint(f"p{i}")) for i in range(20)]
    assert {t.status for t in tasks} == {"QUEUED"}
    await asyncio.gather(*(t.wait(120) for t in tasks))
    assert [t.status for t in tasks] == ["SUCCEEDED"] * 20
    assert 429 not in answers and stats(app)["submit"] == 20
    await client.aclose()


async def test_wrong_region_key_error_names_host_and_region(tmp_path):
    app = create_app(EmulatorConfig(other_region_keys=frozenset({SECRET})))
    client = wv.VaceClient(
        SECRET,
        region="intl",
        base_url="http://emulator.local",
        transport=httpx.ASGITransport(app=app),
        journal=False,
        results_dir=tmp_path,
    )
    with pytest.raises(wv.AuthenticationError) as info:
        await client.submit(outpaint())
    text = str(info.value)
    assert "emulator.local" in text and "region intl" in text and "region='cn'" in text
    assert SECRET not in text
    await client.aclose()


async def test_missing_key_is_a_clear_configuration_error(tmp_path, monkeypatch):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY_FILE_PATH", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path))
    client = wv.VaceClient(
        journal=False, transport=httpx.MockTransport(lambda r: httpx.Response(500))
    )
    with pytest.raises(wv.ConfigurationError, match="DASHSCOPE_API_KEY"):
        await client.submit(outpaint())


async def test_key_from_environment_and_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", "from-env")
    assert find_api_key() == "from-env"
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    (tmp_path / "key").write_text("from-file\n")
    monkeypatch.setenv("DASHSCOPE_API_KEY_FILE_PATH", str(tmp_path / "key"))
    assert find_api_key() == "from-file"


async def test_the_key_never_appears_in_reprs_errors_or_the_journal(fast_app, tmp_path, caplog):
    client = make_client(fast_app, tmp_path, api_key=SECRET)
    fast_app.state.emulator.config.faults.add(
        "submit", "fail_task", code="InternalError", message="x"
    )
    caplog.set_level("DEBUG")
    task = await client.submit(outpaint())
    with pytest.raises(wv.TaskFailedError) as info:
        await task.wait(30)
    texts = [
        repr(client),
        str(client),
        repr(task),
        str(info.value),
        repr(task.snapshot()),
        task.to_entry().to_json(),
        caplog.text,
    ]
    assert client.journal.flush_blocking()
    texts.append((tmp_path / "journal.sqlite3").read_bytes().decode("latin-1"))
    assert all(SECRET not in t for t in texts)
    await client.aclose()


def test_blocking_run_in_a_script(tmp_path):
    app = create_app(EmulatorConfig(pending_s=0.02, running_s=0.05))
    client = make_client(app, tmp_path)
    task = client.run(outpaint(), timeout=30)
    assert task.status == "SUCCEEDED" and task.local_path.exists()
    second = client.run(outpaint("again"), timeout=30)  # a new loop: the client follows
    assert second.result(timeout=5) == second.local_path


async def test_enqueue_without_a_loop_explains_what_to_do(tmp_path):
    client = make_client(create_app(EmulatorConfig()), tmp_path)
    loop_free = await asyncio.to_thread(_enqueue_error, client)
    assert "client.run(request)" in loop_free


def _enqueue_error(client) -> str:
    try:
        client.enqueue(outpaint())
    except RuntimeError as error:
        return str(error)
    return ""


async def test_a_server_dripping_bytes_over_a_real_socket_cannot_hold_a_submit(tmp_path):
    """Each byte arrives well within the read timeout; the total deadline still ends it."""
    requests_seen = []

    async def dripping(reader, writer):
        requests_seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        writer.write(b"Content-Length: 100000\r\n\r\n")
        try:
            for _ in range(100_000):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(dripping, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = wv.VaceClient(
        "k",
        base_url=f"http://127.0.0.1:{port}",
        deadlines=Deadlines(read=0.5, submit=1.5),
        journal=False,
        results_dir=tmp_path,
    )
    task = client.enqueue(wv.VideoOutpainting(prompt="drip", video=SAMPLE))
    await until(lambda: task.status == "UNCONFIRMED", "the dripped submit was not given up", 20)
    assert isinstance(task.error, wv.SubmitUnconfirmedError) and "within 1.5 s" in str(task.error)
    assert len(requests_seen) == 1
    await client.aclose()
    server.close()
    await server.wait_closed()


async def test_a_queued_task_shows_the_shared_queue(tmp_path):
    app = create_app(EmulatorConfig(pending_s=0.05, running_s=2.0))
    client = make_client(app, tmp_path, quota=wv.QuotaPolicy(max_concurrent=1), user="ada")
    first = client.enqueue(outpaint("one"))
    second = client.enqueue(outpaint("two"))
    seen = []
    second.add_observer(lambda snap: snap.queue and seen.append(snap.queue))
    await second.wait(60)
    assert first.status == second.status == "SUCCEEDED"
    assert seen and seen[0].ahead == 0 and seen[0].running == ("ada",)
    assert second.queue is None  # cleared once it had its slot
    await client.aclose()


async def test_a_daily_budget_refuses_the_job_that_would_pass_it(fast_app, tmp_path):
    client = make_client(fast_app, tmp_path, daily_budget_usd=0.6, user="bob")
    first = await client.submit(outpaint("one"))  # $0.50 at the list price: within $0.60
    await first.wait(30)
    second = client.enqueue(outpaint("two"))
    with pytest.raises(wv.BudgetExceededError, match="daily budget of \\$0.60"):
        await second.wait(30)
    assert second.status == "ERROR" and stats(fast_app)["submit"] == 1
    assert await client.quota_store.spent_today("bob") == pytest.approx(0.3)  # 3 s billed
    await client.aclose()


async def test_attach_right_after_stop_watching_follows_again(tmp_path):
    app = create_app(EmulatorConfig(pending_s=0.05, running_s=0.5))
    client = make_client(app, tmp_path)
    task = await client.submit(outpaint())
    task.stop_watching()
    again = client.attach(task.task_id)  # its follower has not even noticed yet
    assert again is task and task.watching
    await task.wait(30)
    assert task.status == "SUCCEEDED" and task.local_path.exists()
    await client.aclose()
