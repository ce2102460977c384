"""The fault matrix: the client against a scripted hostile server, on virtual time.

For every case: the job reaches an ended or resumable state within its deadline, the
submit POST is sent once (more only after a 429 or a refused connection), a passing
outage never costs the result, nothing is written outside the results folder, and no
file that is not a whole MP4 is kept as a result. Time is fast-forwarded (looptime), so
minutes of backoff and deadlines run in milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import re
import traceback
from pathlib import Path

import httpx
import pytest

import wanvace_widgets as wv
from tests.hostile import (
    Endless,
    HostileServer,
    answer,
    cut,
    drip,
    drop,
    fail_with,
    hang,
    raw,
    refuse,
    status_answer,
)
from wanvace_widgets.clock import LoopClock
from wanvace_widgets.jobs.deadlines import Deadlines
from wanvace_widgets.jobs.http.troubles import RULES, Route, Trouble
from wanvace_widgets.media.codec import check_complete_mp4
from wanvace_widgets.quota import LocalQuota

pytestmark = pytest.mark.looptime

SECRET = "sk-hostile-secret-0123456789abcdef"
PROMPT = "Wide hills under a low sun."
SAMPLE = "https://media.example/source.mp4"
#: virtual seconds a case may take at most (the follow deadline is below it)
CASE_DEADLINE = 3 * 3600


@pytest.fixture
def server(media):
    return HostileServer(media["source"].read_bytes())


def make(server, tmp_path, **options) -> wv.VaceClient:
    options.setdefault("deadlines", Deadlines(follow=2 * 3600))
    options.setdefault("quota_store", "memory:")
    return wv.VaceClient(
        SECRET,
        base_url="https://dashscope.hostile",
        transport=server.transport(),
        clock=LoopClock(),
        journal=tmp_path / "home" / "journal.sqlite3",
        results_dir=tmp_path / "results",
        **options,
    )


def request(prompt: str = PROMPT) -> wv.VideoOutpainting:
    return wv.VideoOutpainting(prompt=prompt, video=SAMPLE, left_scale=1.2)


async def settle(task: wv.Task) -> BaseException | None:
    """Wait until the task ended or is no longer followed; its error, if any."""
    try:
        await task.wait(timeout=CASE_DEADLINE)
    except wv.WaitTimeoutError:
        pytest.fail(f"{task!r} neither ended nor became resumable within the deadline")
    except wv.VaceError as error:
        return error
    return None


def check_files(tmp_path, task: wv.Task) -> None:
    """Nothing outside results/ but the journal; every result a whole MP4 named by its id."""
    for path in tmp_path.rglob("*"):
        if path.is_dir():
            continue
        relative = path.relative_to(tmp_path)
        if relative.parts[0] == "home":
            assert path.name.startswith("journal.sqlite3"), relative
            continue
        assert relative.parts[0] == "results" and len(relative.parts) == 2, relative
        assert path.name == f"{task.task_id}.mp4", relative
        check_complete_mp4(path)


def resumable(client: wv.VaceClient, task: wv.Task) -> bool:
    return task.task_id in {e.task_id for e in client.unfinished_jobs()}


# -- a passing outage while following never costs the result --------------------------------

TRANSIENT_QUERY_FAULTS = {
    "five 503s": [answer(503, {"code": "ServiceUnavailable", "message": "busy"})] * 5,
    "five dropped connections": [drop()] * 5,
    "five refused connections": [refuse()] * 5,
    "a 429 burst": [answer(429, {"code": "Throttling"}, headers={"Retry-After": "3"})] * 5,
    "gateway HTML pages": [raw(b"<html><h1>502 Bad Gateway</h1></html>", 502)] * 3,
    "an HTML 200": [raw(b"<!doctype html><title>login</title>")],
    "JSON cut short": [raw(b'{"request_id": "r", "output": {"task_sta', 200, "application/json")],
    "a list": [answer(200, [1, 2, 3])],
    "output as a list": [answer(200, {"output": ["RUNNING"]})],
    "task_status 5": [answer(200, {"output": {"task_id": "task-1", "task_status": 5}})],
    "task_status null": [answer(200, {"output": {"task_id": "task-1", "task_status": None}})],
    "another task's answer": [answer(200, status_answer("task-2", "SUCCEEDED"))],
    "video_url a dict": [answer(200, status_answer("task-1", "SUCCEEDED", video_url={"u": 1}))],
    "video_url with a NUL": [
        answer(200, status_answer("task-1", "SUCCEEDED", video_url="https://r/x\x00.mp4"))
    ],
    "video_url a file path": [
        answer(200, status_answer("task-1", "SUCCEEDED", video_url="file:///etc/passwd"))
    ],
    "error code a number, message a list": [answer(500, {"code": 123, "message": ["x"]})] * 2,
    "a 2 MB body": [raw(b"[" + b"1," * (1 << 20) + b"1]", 200, "application/json")],
    "JSON nested 100,000 deep": [raw(b"[" * 100_000 + b"]" * 100_000, 200, "application/json")],
    "an answer that never comes": [hang()],
    "an answer dripped byte by byte": [
        drip(json.dumps(status_answer("task-1", "RUNNING")).encode())
    ],
    "a bug below us": [fail_with(RuntimeError("boom"))],
    "unknown status names": [answer(200, status_answer("task-1", "SUSPENDED"))] * 2,
    # not DashScope's own answer (no JSON `code`): a proxy, a gateway or a login page
    "a gateway's 302": [raw(b"", 302, "text/plain")] * 2,
    "a gateway's 404 page": [raw(b"<html><h1>404 Not Found</h1>nginx</html>", 404)] * 3,
    "an empty 404": [raw(b"", 404, "text/plain")],
    "a login page's 401": [raw(b"<html><form>Sign in</form></html>", 401)],
    "a proxy's 403 page": [raw(b"<html>Access denied by policy</html>", 403)],
    "JSON without a code": [answer(404, {"message": "no Route matched with those values"})],
}


@pytest.mark.parametrize("faults", TRANSIENT_QUERY_FAULTS.values(), ids=TRANSIENT_QUERY_FAULTS)
async def test_a_passing_trouble_while_following_never_costs_the_result(server, tmp_path, faults):
    server.then("query", *faults)
    client = make(server, tmp_path)
    task = client.enqueue(request())
    problems = []
    task.add_observer(lambda snap: snap.problem and problems.append(snap.problem))
    assert await settle(task) is None
    assert task.status == "SUCCEEDED" and task.local_path.is_file()
    assert server.count("submit") == 1
    assert problems, "the trouble was never shown"
    assert task.problem is None  # cleared once the server answered again
    check_files(tmp_path, task)
    assert (await client.quota_store.status()).running == ()
    await client.aclose()


async def test_the_server_moving_a_task_backwards_is_not_believed(server, tmp_path):
    server.then(
        "query",
        answer(200, status_answer("task-1", "RUNNING")),
        answer(200, status_answer("task-1", "PENDING")),
    )
    client = make(server, tmp_path)
    task = client.enqueue(request())
    seen = []
    task.add_observer(lambda snap: seen.append(snap.status))
    assert await settle(task) is None
    statuses = [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s]
    assert statuses[-3:] == ["PENDING", "RUNNING", "SUCCEEDED"]
    await client.aclose()


async def test_an_outage_past_the_follow_deadline_leaves_the_task_resumable(server, tmp_path):
    server.then("query", *[answer(503, {"code": "ServiceUnavailable"})] * 10_000)
    client = make(server, tmp_path, deadlines=Deadlines(follow=900))
    task = client.enqueue(request())
    error = await settle(task)
    assert isinstance(error, wv.TaskDetachedError) and "deadline" in str(error)
    assert task.status == "PENDING" and not task.done and resumable(client, task)
    await client.aclose()
    server.script["query"].clear()  # the outage ends; the next session picks the task up
    after = make(server, tmp_path)
    [resumed] = after.resume()
    assert await settle(resumed) is None
    assert resumed.status == "SUCCEEDED" and resumed.local_path.is_file()
    assert server.count("submit") == 1
    check_files(tmp_path, resumed)
    await after.aclose()


# -- a submit whose answer is lost or unreadable is never sent again --------------------------

UNREADABLE_SUBMIT_ANSWERS = {
    "a gateway's 404 page": raw(b"<html><h1>404 Not Found</h1></html>", 404),
    "a login page's 401": raw(b"<html><form>Sign in</form></html>", 401),
    "JSON without a code": answer(400, {"message": "bad gateway config"}),
    "an HTML 200": raw(b"<html>welcome</html>"),
    "JSON cut short": raw(
        b'{"request_id": "r", "output": {"task_id": "ab', 200, "application/json"
    ),
    "a list": answer(200, [{"task_id": "x"}]),
    "output a text": answer(200, {"output": "x"}),
    "no task id": answer(200, {"request_id": "r", "output": {"task_status": "PENDING"}}),
    "task id None": answer(200, {"output": {"task_id": None}}),
    "task id a number": answer(200, {"output": {"task_id": 12345}}),
    "task id with a NUL": answer(200, {"output": {"task_id": "ab\x00cd"}}),
    "task id ../../x": answer(200, {"output": {"task_id": "../../x"}}),
    "task id /abs/path": answer(200, {"output": {"task_id": "/abs/path"}}),
    "a dropped connection": drop(),
    "no answer at all": hang(),
    # 300 bytes, one every 0.5 s: each resets a per-read timeout, never the total one
    "an answer dripped byte by byte": drip(
        json.dumps({"output": {"task_id": "task-1", "task_status": "PENDING"}}).encode()
        + b" " * 240
    ),
    "a gateway's 502 page": raw(b"<html>502 Bad Gateway</html>", 502),
    "a 504 with no body": raw(b"", 504),
    "a redirect": raw(b"", 302),
    "a bug below us": fail_with(RuntimeError("boom")),
}


@pytest.mark.parametrize(
    "behaviour", UNREADABLE_SUBMIT_ANSWERS.values(), ids=UNREADABLE_SUBMIT_ANSWERS
)
async def test_an_unreadable_submit_answer_is_unconfirmed_and_never_resent(
    server, tmp_path, behaviour
):
    server.then("submit", behaviour)
    client = make(server, tmp_path)
    task = client.enqueue(request())
    statuses = []
    task.add_observer(lambda snap: statuses.append(snap.status))
    error = await settle(task)
    assert "UNCONFIRMED" in statuses
    if isinstance(error, wv.InternalError):  # a bug of ours: kept UNCONFIRMED, resumable
        assert task.status == "UNCONFIRMED" and task.done
        assert [e.job_id for e in client.journal.without_ending()] == [task.job_id]
    else:  # the task list (empty here) is searched by itself: not created
        assert task.status == "ERROR" and isinstance(error, wv.SubmitNotCreatedError), error
        assert server.count("list") >= 1 and not client.journal.without_ending()
    assert server.count("submit") == 1 and server.count("query") == 0  # never sent again
    check_files(tmp_path, task)
    assert (await client.quota_store.status()).running == ()
    await client.aclose()


REFUSALS = {
    "400 InvalidParameter": answer(400, {"code": "InvalidParameter", "message": "bad"}),
    "400 with a numeric code": answer(400, {"code": 123, "message": {"a": 1}}),
    "401": answer(401, {"code": "InvalidApiKey", "message": "Invalid API-key provided."}),
    "DashScope's own 500": answer(500, {"code": "InternalError", "message": "x"}),
}


@pytest.mark.parametrize("behaviour", REFUSALS.values(), ids=REFUSALS)
async def test_a_refused_submit_ends_in_error_with_nothing_created(server, tmp_path, behaviour):
    server.then("submit", behaviour)
    client = make(server, tmp_path)
    task = client.enqueue(request())
    error = await settle(task)
    assert task.status == "ERROR" and isinstance(error, wv.APIStatusError)
    assert server.count("submit") == 1
    await client.aclose()


@pytest.mark.parametrize(
    "first, sent",
    [
        ([answer(429, {"code": "Throttling.RateQuota"})] * 3, 4),
        ([answer(429, {"code": "Throttling"}, headers={"Retry-After": "20"})], 2),
        ([refuse(), refuse()], 3),
    ],
    ids=["three 429s", "a 429 with Retry-After", "two refused connections"],
)
async def test_a_submit_is_sent_again_only_when_nothing_was_created(server, tmp_path, first, sent):
    server.then("submit", *first)
    client = make(server, tmp_path)
    task = client.enqueue(request())
    assert await settle(task) is None
    assert task.status == "SUCCEEDED" and server.count("submit") == sent
    await client.aclose()


async def test_submits_stuck_in_flight_give_their_slots_back(server, tmp_path):
    server.then("submit", hang(), hang())
    client = make(server, tmp_path)
    stuck = [client.enqueue(request(f"stuck {i}")) for i in range(2)]
    after = client.enqueue(request("after"))
    assert await settle(after) is None and after.status == "SUCCEEDED"
    # the stuck ones gave their slots back while the task list was searched for them
    assert [t.status for t in stuck] == ["UNCONFIRMED", "UNCONFIRMED"]
    assert [await settle(t) is not None for t in stuck] == [True, True]
    assert (await client.quota_store.status()).running == ()
    await client.aclose()


async def test_reconcile_finds_the_unconfirmed_task_on_the_server_list(server, tmp_path):
    server.then("submit", drop())
    client = make(server, tmp_path)
    task = client.enqueue(request())
    await asyncio.sleep(1)  # virtual: the answer is lost; the search waits for its window
    assert task.status == "UNCONFIRMED"
    created_ms = int(task.created_at * 1000) + 200
    listing = {
        "total": 1,
        "total_page": 1,
        "data": [
            {"task_id": "task-1", "status": "RUNNING", "gmt_create": created_ms},
        ],
    }
    server.then("list", answer(200, listing))
    await task.reconcile()  # the same search, at once (once the window has settled)
    assert task.task_id == "task-1"
    assert await settle(task) is None
    assert task.status == "SUCCEEDED" and server.count("submit") == 1
    await client.aclose()


async def test_reconcile_with_no_candidate_says_the_task_was_not_created(server, tmp_path):
    server.then("submit", drop())
    client = make(server, tmp_path)
    task = client.enqueue(request())
    await asyncio.sleep(1)
    assert task.status == "UNCONFIRMED"
    await task.reconcile()
    assert task.status == "ERROR" and isinstance(task.error, wv.SubmitNotCreatedError)
    assert "not created" in str(task.error) and server.count("submit") == 1
    assert client.journal.get_job(task.job_id).status == "ERROR"
    await client.aclose()


# -- what is sent is checked before anything is paid -------------------------------------------


async def test_a_prompt_json_cannot_carry_fails_before_any_request(server, tmp_path):
    client = make(server, tmp_path)
    task = client.enqueue(request("a lone surrogate \ud800 in the prompt"))
    error = await settle(task)
    assert isinstance(error, wv.ValidationError) and error.field == "prompt"
    assert task.status == "ERROR" and server.requests == []
    await client.aclose()


async def test_a_bug_while_uploading_ends_in_error_not_silence(server, tmp_path, media):
    server.then("policy", fail_with(KeyError("data")))
    client = make(server, tmp_path)
    task = client.enqueue(wv.VideoOutpainting(prompt=PROMPT, video=media["source"]))
    error = await settle(task)
    assert task.status == "ERROR" and isinstance(error, wv.InternalError)
    assert server.count("submit") == 0
    await client.aclose()


# -- results are saved safely, or not at all --------------------------------------------------

BAD_DOWNLOADS = {
    "an HTML 200": raw(b"<html>not a video</html>"),
    "a body cut short, no Content-Length": "cut-silent",
    "a body cut short under its Content-Length": "cut-announced",
    "a 500": raw(b"", 500),
    "a dropped connection": drop(),
    "no answer at all": hang(),
}


@pytest.mark.parametrize("bad", BAD_DOWNLOADS.values(), ids=BAD_DOWNLOADS)
async def test_a_bad_download_keeps_no_file_and_the_result_stays_resumable(server, tmp_path, bad):
    if isinstance(bad, str):
        bad = cut(server.video, len(server.video) // 2, announce=bad == "cut-announced")
    server.then("result", *[bad] * 4)
    client = make(server, tmp_path)
    task = client.enqueue(request())
    error = await settle(task)
    assert task.status == "SUCCEEDED" and task.done and isinstance(error, wv.DownloadError)
    assert task.local_path is None and resumable(client, task)
    assert server.count("result") == 4
    check_files(tmp_path, task)
    assert (await task.download()).is_file()  # the server is well again: saved now
    check_files(tmp_path, task)
    assert not resumable(client, task)
    await client.aclose()


async def test_a_results_folder_that_cannot_be_made_fails_clearly_and_recovers(server, tmp_path):
    (tmp_path / "results").write_text("a file where the folder should be")
    client = make(server, tmp_path)
    task = client.enqueue(request())
    error = await settle(task)
    assert isinstance(error, wv.DownloadError) and "results folder" in str(error)
    assert task.status == "SUCCEEDED" and resumable(client, task)
    await client.aclose()
    (tmp_path / "results").unlink()
    after = make(server, tmp_path)
    [resumed] = after.resume()
    assert await settle(resumed) is None and resumed.local_path.is_file()
    assert server.count("query") == 3  # saving a finished result needs no polling
    await after.aclose()


# -- the key is never reachable from an error ----------------------------------------------------


@pytest.mark.parametrize(
    "route, behaviour",
    [
        ("submit", drop()),
        ("submit", hang()),
        ("submit", refuse()),
        ("submit", answer(401, {"code": "InvalidApiKey"})),
        ("query", answer(403, {"code": "AccessDenied"})),
    ],
    ids=["dropped submit", "hung submit", "refused", "401", "403 on query"],
)
async def test_the_key_is_not_reachable_from_errors_or_their_tracebacks(
    server, tmp_path, route, behaviour
):
    server.then(route, *[behaviour] * 10)
    client = make(server, tmp_path)
    task = client.enqueue(request())
    error = await settle(task)
    assert error is not None
    for text in _everything_printable(error):
        assert SECRET not in text
    await client.aclose()


def _everything_printable(error: BaseException):
    """str, repr and attributes of the error and of everything it chains to, and its
    traceback printed with every frame's locals (as verbose tracebacks do)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield str(error)
        yield repr(error)
        yield repr(vars(error))
        yield "".join(
            traceback.TracebackException.from_exception(error, capture_locals=True).format()
        )
        for name in ("request", "response"):
            value = getattr(error, name, None)
            if isinstance(value, (httpx.Request, httpx.Response)):
                yield repr(dict(value.headers))
        error = error.__cause__ or error.__context__


async def test_the_journal_holds_every_job_from_the_moment_it_is_asked_for(server, tmp_path):
    server.then("submit", hang())
    client = make(server, tmp_path)
    task = client.enqueue(request())
    await asyncio.sleep(1)
    entry = client.journal.get_job(task.job_id)
    assert entry.status == "SUBMITTING" and entry.request["prompt"] == PROMPT
    assert entry.submitting_at is not None and entry.task_id is None
    await settle(task)  # given up, searched for on the (empty) task list: not created
    assert client.journal.get_job(task.job_id).status == "ERROR"
    await client.aclose()


# -- one table says what every route does with every trouble -------------------------------


def test_the_docs_table_of_troubles_is_the_code_s():
    doc = (Path(__file__).parents[1] / "docs" / "lifecycle.md").read_text()
    table = doc.split("## Troubles on every route")[1].split("\n\n")[2]
    header, _, *rows = [
        [cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()
    ]
    assert header[1:] == [route.value for route in Route]
    printed = {row[0]: row[1:] for row in rows}
    assert list(printed) == [trouble.value for trouble in Trouble]
    for trouble in Trouble:
        for route, cell in zip(Route, printed[trouble.value], strict=True):
            act = RULES[route].get(trouble)
            assert cell == (act.value if act else "—"), (trouble, route)


@pytest.mark.parametrize(
    "page",
    [
        raw(b"<html>502 Bad Gateway</html>", 502),
        raw(b"", 302, "text/plain"),
        raw(b"<html>404 Not Found</html>", 404),
    ],
    ids=["a gateway's 502", "a redirect", "a gateway's 404 page"],
)
async def test_cancel_list_and_upload_policy_ride_out_a_page_not_dashscope_s(
    server, tmp_path, media, page
):
    server.then("list", page, page)
    server.then("policy", page)
    server.then("cancel", page)
    client = make(server, tmp_path)
    listing = await client.list_server_tasks(status="RUNNING")
    assert listing["data"] == [] and server.count("list") == 3
    with pytest.raises(wv.NotFoundError):  # past the page, DashScope's own 404 ends it
        await client.preview(wv.VideoOutpainting(prompt=PROMPT, video=media["source"]))
    assert server.count("policy") == 2
    task = await client.submit(request())
    await task.cancel()
    assert task.status == "CANCELED" and server.count("cancel") == 2
    await client.aclose()


async def test_dashscope_s_own_refusal_of_a_list_is_raised_at_once(server, tmp_path):
    server.then("list", answer(403, {"code": "AccessDenied", "message": "no"}))
    client = make(server, tmp_path)
    with pytest.raises(wv.PermissionDeniedError):
        await client.list_server_tasks()
    assert server.count("list") == 1
    await client.aclose()


# -- a 429 on submit waits for the server's slots ------------------------------------------------

THROTTLED = answer(429, {"code": "Throttling", "message": "Requests throttling triggered."})


class CountingQuota(LocalQuota):
    """The in-memory store, counting the submit permits it hands out."""

    permits = 0

    async def submit_permit(self) -> None:
        await super().submit_permit()
        self.permits += 1


def submits_of(server, prompt: str) -> list[float]:
    """When the submits of the job asked with ``prompt`` reached the server."""
    times = [t for route, t in server.sent_at if route == "submit"]
    bodies = [json.loads(req.content) for route, req in server.requests if route == "submit"]
    return [t for t, body in zip(times, bodies, strict=True) if body["input"]["prompt"] == prompt]


async def test_a_job_waits_out_minutes_of_429s_and_is_submitted_once(server, tmp_path):
    start = asyncio.get_running_loop().time()
    server.during("submit", 8 * 60, THROTTLED)  # a dead kernel's two tasks hold the slots
    store = CountingQuota(clock=LoopClock(), max_concurrent=1)
    client = make(server, tmp_path, quota_store=store)
    first = client.enqueue(request("first"))
    second = client.enqueue(request("second"))
    await asyncio.sleep(5 * 60)  # five minutes of 429s in: waiting, saying why
    assert first.status == "QUEUED" and not first.done
    assert "waiting for the server's task slots" in first.problem
    assert "nothing was created or billed" in first.problem
    assert client.journal.get_job(first.job_id).status == "QUEUED"
    queue = await store.status()
    assert queue.running == (client.user,) and queue.waiting == 1  # its slot kept past a lease
    assert submits_of(server, "second") == []
    assert await settle(first) is None and first.status == "SUCCEEDED"
    assert await settle(second) is None and second.status == "SUCCEEDED"
    tries = submits_of(server, "first")
    assert len(tries) > 20 and all(t < start + 8 * 60 for t in tries[:-1])
    assert tries[-1] >= start + 8 * 60  # one submit answered 200: after the storm
    assert server.created == ["task-1", "task-1-2"] and first.task_id == "task-1"
    assert min(submits_of(server, "second")) > tries[-1]  # it had to wait for the slot
    assert store.permits == server.count("submit")  # every try took a permit
    await client.aclose()


async def test_jobs_waiting_out_429s_together_keep_to_two_submits_a_second(server, tmp_path):
    server.during("submit", 120, THROTTLED)
    store = CountingQuota(clock=LoopClock())
    client = make(server, tmp_path, quota_store=store)
    tasks = [client.enqueue(request(f"job {i}")) for i in range(2)]
    for task in tasks:
        assert await settle(task) is None and task.status == "SUCCEEDED"
    times = sorted(t for route, t in server.sent_at if route == "submit")
    assert len(times) > 20 and store.permits == len(times)
    assert max(sum(1 for u in times if t <= u < t + 1.0) for t in times) <= 2
    await client.aclose()


async def test_a_429_storm_past_its_deadline_ends_in_error_with_nothing_created(server, tmp_path):
    start = asyncio.get_running_loop().time()
    server.during("submit", 10**6, THROTTLED)
    client = make(server, tmp_path, price_per_second=0.1, daily_budget_usd=5)
    task = client.enqueue(request())
    error = await settle(task)
    assert task.status == "ERROR" and isinstance(error, wv.RateLimitError)
    assert "nothing was created or billed" in str(error)
    last = max(t for route, t in server.sent_at if route == "submit")
    assert start + 1200 - 31 <= last <= start + 1201  # Deadlines.throttled, 20 minutes
    assert server.count("query") == 0 and server.created == []
    assert (await client.quota_store.status()).running == ()
    assert await client.quota_store.spent_today() == 0  # the price recorded is given back
    assert client.journal.get_job(task.job_id).status == "ERROR"
    await client.aclose()


async def test_a_job_waiting_out_429s_can_be_cancelled(server, tmp_path):
    server.during("submit", 10**6, THROTTLED)
    client = make(server, tmp_path, price_per_second=0.1)
    task = client.enqueue(request())
    await asyncio.sleep(60)
    await task.cancel()
    sent = server.count("submit")
    await asyncio.sleep(600)
    assert task.status == "CANCELED" and task.done and server.count("submit") == sent
    assert await client.quota_store.spent_today() == 0
    await client.aclose()


# -- a video that could not be saved is saved again on resume, in the same session too -----------


@pytest.mark.parametrize("how", ["resume", "attach"])
async def test_resume_in_the_same_session_saves_a_video_whose_download_failed(
    server, tmp_path, how
):
    server.then("result", *[raw(b"", 500)] * 4)
    client = make(server, tmp_path)
    task = client.enqueue(request())
    assert isinstance(await settle(task), wv.DownloadError) and task.done
    [again] = client.resume() if how == "resume" else [client.attach(task.task_id)]
    assert again is task
    assert await settle(task) is None and task.local_path.is_file()
    assert server.count("result") == 5 and server.count("query") == 3  # no polling again
    check_files(tmp_path, task)
    assert client.resume() == []
    await client.aclose()


async def test_a_failed_save_is_not_tried_again_once_its_url_expired(server, tmp_path):
    server.then("result", *[raw(b"", 500)] * 4)
    client = make(server, tmp_path)
    task = client.enqueue(request())
    assert isinstance(await settle(task), wv.DownloadError)
    await asyncio.sleep(25 * 3600)
    assert client.attach(task.task_id) is task and task.done
    assert server.count("result") == 4
    await client.aclose()


# -- a result larger than the cap is cut off there, and nothing is kept ---------------------------


@pytest.mark.parametrize("announce", [True, False], ids=["announced", "streamed"])
async def test_a_10_gb_answer_is_cut_off_at_the_cap(server, tmp_path, announce):
    huge = Endless(announce=announce)  # 10 GB in 1 MB chunks, made as they are read
    server.then("result", huge)
    client = make(server, tmp_path, max_download_bytes=8 << 20)
    task = client.enqueue(request())
    error = await settle(task)
    assert isinstance(error, wv.DownloadError) and error.final and error.code == "DownloadTooLarge"
    assert re.search(r"cap of 8,388,608 bytes", str(error))
    assert huge.made <= (1 if announce else 9)
    assert server.count("result") == 1  # final: the same URL sends the same
    assert task.status == "SUCCEEDED" and task.local_path is None
    check_files(tmp_path, task)  # no temporary file left
    await client.aclose()
