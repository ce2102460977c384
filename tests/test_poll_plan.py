"""The poll plan: sparse while the end is far, dense around the usual end, bounded after it;
learning, a cold start, jitter, and one query budget for every task of a client.

The plan itself is pure: its tests step a simulated job through it (no sleeping). The last
tests run the real client on fast-forwarded time against a server whose tasks end at set
times, to check what the plan promises once the scheduler and the query pacer carry it out.
"""

from __future__ import annotations

import asyncio
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

import wanvace_widgets as wv
from tests.helpers import HISTORY_HOST, finished, server_text
from wanvace_widgets.clock import LoopClock, ManualClock
from wanvace_widgets.jobs.durations import FIVE_TO_TEN_MINUTES, Durations
from wanvace_widgets.jobs.journal import Journal
from wanvace_widgets.jobs.poll_plan import EndWindow, PollPlan
from wanvace_widgets.jobs.polling import QueryPacer
from wanvace_widgets.jobs.tasks import TaskSnapshot

PLAN = PollPlan()
SOURCE = "https://media.example/source.mp4"
REQUEST = {"function": "video_outpainting", "video": SOURCE}
T0 = 1_764_000_000.0  # the submit, in clock seconds (any zone: only differences count)
QUEUED = 20.0
#: the most a jittered wait can be above its plan
UP = 1 + PLAN.jitter


def snapshot(status: str = "RUNNING", queued: float = QUEUED, **changes) -> TaskSnapshot:
    fields = dict(
        job_id="job",
        function="video_outpainting",
        status=status,
        created_at=T0 - 1,
        task_id="task",
        submitted_at=T0,
        submit_time=server_text(0),
        scheduled_time=server_text(queued) if status == "RUNNING" else None,
        request=REQUEST,
    )
    return TaskSnapshot(**{**fields, **changes})


def history(running: float, count: int = 10, spread: float = 0.01) -> Durations:
    """Durations that have seen ``count`` jobs of REQUEST's kind run about ``running`` s."""
    durations = Durations()
    for i in range(count):
        durations.learn(finished(f"h{i}", running=running * (1 + spread * (i % 3 - 1))))
    return durations


def query_times(plan, durations, running: float, seed: int = 0) -> list[float]:
    """The instants the plan queries a job submitted at T0, queued QUEUED s, ending after
    ``running`` s more, up to the query that sees it ended."""
    rand, now, times = random.Random(seed).random, T0, []
    end = T0 + QUEUED + running
    while not times or times[-1] < end:
        status = "RUNNING" if times and times[-1] >= T0 + QUEUED else "PENDING"
        now += plan.delay(plan.window(snapshot(status), durations, now), now, rand())
        times.append(now)
    return times


def sdk_query_count(seconds: float) -> int:
    """Queries the official SDK's ``wait`` makes for a job ending ``seconds`` after submit
    (reference §12.2: a query, then sleeps of 1, 1, 2, 2, 2, 4, 4, 4, 5, 5 … s)."""
    now, wait, step, count = 0.0, 1, 0, 0
    while True:
        step += 1
        if wait < 5 and step % 3 == 0:
            wait = min(wait * 2, 5)
        count += 1
        if now >= seconds:
            return count
        now += wait


# -- the shape of the plan ----------------------------------------------------------------


def test_sparse_while_the_end_is_far():
    durations = history(400)
    window = PLAN.window(snapshot(), durations, T0 + 30)
    times = query_times(PLAN, durations, 400)
    previous = [T0, *times[:-1]]
    far = [at - last for last, at in zip(previous, times, strict=True) if at < window.low - 60]
    assert len(far) >= 5 and min(far) >= PLAN.max_gap * (1 - PLAN.jitter)
    before = [at for at in times if at < window.low]
    assert len(before) <= (window.low - T0) / (PLAN.max_gap * (1 - PLAN.jitter)) + 5


@pytest.mark.parametrize("running", [60.0, 400.0])
def test_dense_near_the_usual_end(running):
    durations = history(running)
    window = PLAN.window(snapshot(), durations, T0 + 30)
    assert window.from_history and window.low < window.expected < window.high
    assert window.expected == pytest.approx(T0 + QUEUED + running, rel=0.01)
    for seed, share in enumerate([0.0, 0.2, 0.5, 0.8, 0.99]):
        ends = window.low + share * (window.high - window.low)
        times = query_times(PLAN, durations, ends - T0 - QUEUED, seed)
        inside = [b - a for a, b in zip(times, times[1:], strict=False) if a >= window.low]
        assert all(wait <= PLAN.dense_gap * UP for wait in inside)
        assert times[-1] - ends <= PLAN.dense_gap * UP  # seen within one dense gap


def test_the_detection_delay_stays_bounded_after_the_window():
    window = PLAN.window(snapshot(), history(60), T0 + 30)
    late = [PLAN.delay(window, window.high + s, rand=1.0) for s in (0, 5, 30, 300, 86_400)]
    assert late[0] == pytest.approx(PLAN.window_gap(window) * UP)
    assert late == sorted(late) and late[-1] == pytest.approx(PLAN.tail_gap * UP)
    times = query_times(PLAN, history(60), 60 + 3600)  # an hour later than ever before
    assert times[-1] - (T0 + QUEUED + 3660) <= PLAN.tail_gap * UP
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) <= PLAN.max_gap * UP


def test_learning_moves_the_window():
    durations = history(400, count=3)
    assert PLAN.window(snapshot(), durations, T0).expected == pytest.approx(T0 + 420, rel=0.01)
    for i in range(20):  # the latest jobs of the kind ran faster
        durations.learn(finished(f"new{i}", running=250))
    moved = PLAN.window(snapshot(), durations, T0)
    assert moved.expected == pytest.approx(T0 + 270, rel=0.01)
    assert moved.high < T0 + 420 * 0.96


def test_a_cold_start_follows_the_prior_and_claims_no_history():
    window = PLAN.window(snapshot(), Durations(), T0 + 30)
    assert not window.from_history
    assert window.low == pytest.approx(T0 + QUEUED + FIVE_TO_TEN_MINUTES.quantile(-1.645))
    assert window.high == pytest.approx(T0 + QUEUED + FIVE_TO_TEN_MINUTES.quantile(2.326))
    # a guess this wide is watched less densely, but never more loosely than every 5 s
    assert PLAN.dense_gap < PLAN.window_gap(window) <= PLAN.tail_gap
    for running in (350.0, 450.0, 600.0):  # within the 5-10 minutes (with 20 s queued)
        times = query_times(PLAN, Durations(), running)
        assert times[-1] - (T0 + QUEUED + running) <= PLAN.window_gap(window) * UP
        # sparse until 5 minutes have passed: fewer queries than the SDK's, however late
        assert len(times) <= 0.7 * sdk_query_count(QUEUED + running)


def test_with_no_prior_and_no_history_the_plan_backs_off_from_the_dense_gap():
    plan = PollPlan(prior=None)
    window = plan.window(snapshot(), Durations(), T0 + 30)
    assert window == EndWindow.unknown(T0)
    assert plan.delay(window, T0, rand=0.5) == pytest.approx(plan.dense_gap)
    assert plan.delay(window, T0 + 10, rand=0.5) == pytest.approx(plan.dense_gap + 1.0)
    assert plan.delay(window, T0 + 3600, rand=0.5) == pytest.approx(plan.tail_gap)


def test_a_task_attached_without_its_submit_time_is_timed_from_when_following_began():
    window = PLAN.window(snapshot(submitted_at=None), history(400), T0)
    assert window == EndWindow.unknown(T0 - 1)


@pytest.mark.parametrize("submitted", [float("nan"), float("inf"), float("-inf"), 0.0, 1e15])
def test_absurd_clock_times_from_a_journal_still_give_a_bounded_wait(submitted):
    for state in (snapshot(submitted_at=submitted), snapshot("PENDING", submitted_at=submitted)):
        window = PLAN.window(state, history(400), T0)
        wait = PLAN.delay(window, T0)
        assert 0 < wait <= PLAN.max_gap * UP
        assert not window.from_history or math.isfinite(window.expected)


def test_a_running_job_is_timed_from_the_servers_own_start():
    queued = 125.5  # the server's texts are in its zone; only their difference counts
    window = PLAN.window(snapshot(queued=queued), history(400), T0 + 200)
    assert window.start == pytest.approx(T0 + queued)


@pytest.mark.parametrize(
    "scheduled", [None, "soon", 17, server_text(-60), server_text(4 * 3600)], ids=repr
)
def test_an_unreadable_start_falls_back_to_the_submit(scheduled):
    durations = history(400)
    window = PLAN.window(snapshot(scheduled_time=scheduled), durations, T0 + 200)
    assert window.start == T0
    assert window.expected == pytest.approx(
        T0 + durations.total("video_outpainting", REQUEST).median
    )


def test_a_pending_job_cannot_end_before_its_running_time_has_passed():
    durations = history(400)
    running = durations.running("video_outpainting", REQUEST)
    now = T0 + 900  # queued for a quarter of an hour: far longer than its history says
    window = PLAN.window(snapshot("PENDING"), durations, now)
    assert window.low == pytest.approx(now + running.quantile(-PLAN.early_z))
    assert window.expected == pytest.approx(now + running.median)
    assert PLAN.delay(window, now, rand=0.5) == pytest.approx(PLAN.max_gap)


def test_jitter_never_puts_two_tasks_on_the_same_instant():
    window = PLAN.window(snapshot(), history(400), T0)
    base = PLAN.delay(window, T0, rand=0.5)
    assert PLAN.delay(window, T0, rand=0.0) == pytest.approx(base * (1 - PLAN.jitter))
    assert PLAN.delay(window, T0, rand=1.0) == pytest.approx(base * UP)
    schedules = [query_times(PLAN, history(400), 400, seed) for seed in range(50)]
    instants = [at for times in schedules for at in times]
    assert len(set(instants)) == len(instants)
    firsts = sorted(times[0] for times in schedules)
    assert firsts[-1] - firsts[0] > base * PLAN.jitter  # spread, not bunched


@pytest.mark.parametrize("running", [60.0, 120.0, 400.0, 600.0])
def test_a_job_with_history_costs_at_most_half_the_sdks_queries(running):
    for seed in range(10):
        times = query_times(PLAN, history(running), running * 1.02, seed)
        assert len(times) <= 0.5 * sdk_query_count(QUEUED + running * 1.02)


def test_the_lifecycle_doc_states_the_plans_numbers():
    doc = (Path(__file__).parents[1] / "docs" / "lifecycle.md").read_text()
    section = " ".join(doc.split("## When we ask")[1].split("\n## ")[0].split())
    for said in (
        f"every {PLAN.dense_gap:g} s when",
        f"at most {PLAN.max_gap:g} s",
        f"{PLAN.approach:.0%} of the time left",
        f"up to {PLAN.tail_gap:g} s",
        f"{PLAN.tail_growth:g} s per second late",
        f"at most {wv.QuotaPolicy().queries_per_second:g} a second",
    ):
        assert said in section, said


# -- one query budget for every task of a client --------------------------------------------


async def test_the_pacer_spaces_the_queries_of_tasks_asking_at_once():
    clock = ManualClock()
    pacer = QueryPacer(10.0, clock)
    start, served = clock.now(), []

    async def query() -> None:
        await pacer.turn()
        served.append(clock.now())

    jobs = [asyncio.ensure_future(query()) for _ in range(30)]
    await asyncio.sleep(0)
    for _ in range(400):
        clock.advance(0.01)
        await asyncio.sleep(0)
    assert all(job.done() for job in jobs)
    assert served[0] == start
    assert all(b - a == pytest.approx(0.1) for a, b in zip(served, served[1:], strict=False))


async def test_a_stalled_loop_does_not_release_the_queries_it_held_back_at_once():
    clock = ManualClock()
    pacer = QueryPacer(10.0, clock)
    served = []

    async def query() -> None:
        await pacer.turn()
        served.append(clock.now())

    jobs = [asyncio.ensure_future(query()) for _ in range(30)]
    await asyncio.sleep(0)
    clock.advance(2.0)  # the loop was busy for 2 s: 20 reserved places are past
    for _ in range(400):
        await asyncio.sleep(0)
        clock.advance(0.01)
    assert all(job.done() for job in jobs)
    assert min(b - a for a, b in zip(served, served[1:], strict=False)) >= 0.1 - 1e-6


TIMED_HOST = "dashscope.timed"
RESULTS = "https://results.timed"
_SERVER_ZONE = timezone(timedelta(hours=8))


class TimedServer:
    """A DashScope whose tasks end at set times on the test's clock: PENDING for ``queued``
    s, then RUNNING for the next of ``running``. It answers with the server's own time texts
    (in its zone, UTC+8), notes when each status query came, and answers 429 past 20
    queries in a second, the account's limit."""

    def __init__(self, clock, video: bytes, running, queued: float = 2.0):
        self.clock, self.video, self.queued = clock, video, queued
        self._running = iter(running)
        self.tasks: dict[str, tuple[float, float]] = {}  # task id: (submitted, ends)
        self.queries: list[tuple[float, str]] = []
        self.throttled = 0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        now = self.clock.now()
        if str(request.url).startswith(RESULTS):
            return httpx.Response(200, content=self.video)
        if request.url.path.endswith("/video-synthesis"):
            task_id = f"task-{len(self.tasks)}"
            self.tasks[task_id] = (now, now + self.queued + next(self._running))
            output = {"task_id": task_id, "task_status": "PENDING"}
            return httpx.Response(200, json={"request_id": "s", "output": output})
        if sum(1 for at, _ in self.queries[-20:] if at > now - 1.0) >= 20:
            self.throttled += 1
            return httpx.Response(429, json={"code": "Throttling.RateQuota", "message": "slow"})
        task_id = request.url.path.rsplit("/", 1)[-1]
        self.queries.append((now, task_id))
        return httpx.Response(200, json=self._status(task_id, now))

    def _status(self, task_id: str, now: float) -> dict:
        submitted, ends = self.tasks[task_id]
        started = submitted + self.queued
        output = {"task_id": task_id, "submit_time": _text(submitted), "task_status": "PENDING"}
        if now >= started:
            output |= {"task_status": "RUNNING", "scheduled_time": _text(started)}
        if now >= ends:
            output |= {
                "task_status": "SUCCEEDED",
                "end_time": _text(ends),
                "video_url": f"{RESULTS}/{task_id}.mp4",
            }
        usage = {"video_duration": 3, "video_ratio": "standard", "video_count": 1}
        return {"request_id": "q", "output": output, "usage": usage}

    def queries_of(self, task_id: str) -> int:
        return sum(1 for _, asked in self.queries if asked == task_id)

    def ended(self, task_id: str) -> float:
        return self.tasks[task_id][1]


def _text(ts: float) -> str:
    return datetime.fromtimestamp(ts, _SERVER_ZONE).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def timed_client(server: TimedServer, tmp_path, **options) -> wv.VaceClient:
    """Our client on the timed server; the account's submit limits lifted (the query
    pacer keeps its default budget, 10 a second)."""
    return wv.VaceClient(
        "sk-timed-secret",
        base_url=f"https://{TIMED_HOST}",
        transport=server.transport(),
        clock=server.clock,
        journal=options.pop("journal", tmp_path / "journal.sqlite3"),
        results_dir=tmp_path / "results",
        quota=wv.QuotaPolicy(max_concurrent=1000, submits_per_second=1000),
        **options,
    )


def seen_ending(task: wv.Task, clock) -> dict[str, float]:
    """When the client saw the task end (clock seconds), filled in by an observer."""
    seen: dict[str, float] = {}
    task.add_observer(
        lambda snap: seen.setdefault("at", clock.now()) if snap.status == "SUCCEEDED" else None
    )
    return seen


def journal_with_history(tmp_path, running: float, count: int = 5) -> Journal:
    journal = Journal(tmp_path / "journal.sqlite3")
    for i in range(count):
        journal.record(finished(f"past-{i}", running=running, queued=2.0, host=TIMED_HOST))
    return journal


def outpaint(i: int = 0) -> wv.VideoOutpainting:
    return wv.VideoOutpainting(prompt=f"wide hills {i}", video=SOURCE)


@pytest.mark.looptime
async def test_the_client_learns_a_kind_in_session_and_then_watches_its_end_closely(
    tmp_path, media
):
    clock = LoopClock()
    server = TimedServer(
        clock, media["source"].read_bytes(), running=[400, 404, 398, 402, 401, 403]
    )
    client = timed_client(server, tmp_path)
    first = await client.submit(outpaint(1))
    first_seen = seen_ending(first, clock)
    expected = []
    first.add_observer(lambda snap: expected.append(snap.expected_end_at))
    await first.wait(3600)
    assert set(expected) == {None}  # a cold start claims no history
    cold_gap = PLAN.window_gap(PLAN.window(first.snapshot(), Durations(), clock.now()))
    assert first_seen["at"] - server.ended(first.task_id) <= cold_gap * UP + 0.2

    second = await client.submit(outpaint(2))  # learnt from the first, in this session
    await asyncio.sleep(5)
    assert second.expected_end_at == pytest.approx(server.tasks[second.task_id][0] + 402, abs=2)
    await second.wait(3600)
    for i in (3, 4, 5):
        await (await client.submit(outpaint(i))).wait(3600)

    sixth = await client.submit(outpaint(6))  # five jobs of history: a tight window
    sixth_seen = seen_ending(sixth, clock)
    await sixth.wait(3600)
    assert sixth_seen["at"] - server.ended(sixth.task_id) <= PLAN.dense_gap * UP + 0.2
    assert server.queries_of(sixth.task_id) <= 0.5 * sdk_query_count(405)
    assert server.throttled == 0
    await client.aclose()


@pytest.mark.looptime
@pytest.mark.parametrize("count", [4, 100])
async def test_all_live_tasks_share_one_query_budget_and_a_full_one_only_slows_them(
    tmp_path, media, count
):
    clock = LoopClock()
    rand = random.Random(count)
    running = [60.0 + rand.uniform(-1, 1) for _ in range(count)]
    server = TimedServer(clock, media["source"].read_bytes(), running=running)
    client = timed_client(server, tmp_path, journal=journal_with_history(tmp_path, 60.0))
    tasks = [client.enqueue(outpaint(i)) for i in range(count)]
    seen = [seen_ending(task, clock) for task in tasks]
    await asyncio.gather(*(task.wait(3600) for task in tasks))
    asked = sorted(at for at, _ in server.queries)
    assert min(b - a for a, b in zip(asked, asked[1:], strict=False)) >= 0.1 - 1e-5  # no burst
    assert server.throttled == 0
    rate = client.quota.queries_per_second
    delays = [s["at"] - server.ended(t.task_id) for s, t in zip(seen, tasks, strict=True)]
    # every task is seen within its dense gap plus its wait for a turn, however many there are
    assert max(delays) <= PLAN.dense_gap * UP + count / rate + 0.2
    if count / rate < PLAN.dense_gap:  # a budget with room to spare delays nobody
        assert max(delays) <= PLAN.dense_gap * UP + 0.2
    await client.aclose()


@pytest.mark.looptime
async def test_a_fixed_poll_policy_opts_out_of_the_plan_but_still_shows_the_usual_end(
    tmp_path, media
):
    clock = LoopClock()
    server = TimedServer(clock, media["source"].read_bytes(), running=[20.0])
    fixed = wv.PollPolicy(first_delay=2.0, factor=1.0, max_delay=2.0, jitter=0.0)
    client = timed_client(
        server, tmp_path, journal=journal_with_history(tmp_path, 20.0), poll=fixed
    )
    assert client.poll is fixed
    task = await client.submit(outpaint())
    expected = []
    task.add_observer(lambda snap: expected.append(snap.expected_end_at))
    await task.wait(3600)
    asked = [at for at, _ in server.queries]
    assert [b - a for a, b in zip(asked, asked[1:], strict=False)] == pytest.approx(
        [2.0] * (len(asked) - 1), abs=0.01
    )
    assert expected[0] == pytest.approx(server.tasks[task.task_id][0] + 22.0, abs=1)
    await client.aclose()


@pytest.mark.looptime
async def test_any_poll_schedule_is_asked_the_same_one_question(tmp_path, media):
    """The scheduler asks a schedule only ``next_wait(window, polls, now)``: a user's own
    (here every 3 s, noting what it was told) is followed like the plan or a PollPolicy."""
    clock = LoopClock()
    server = TimedServer(clock, media["source"].read_bytes(), running=[20.0])

    class EveryThreeSeconds:
        def __init__(self):
            self.asked: list[tuple[EndWindow, int]] = []

        def next_wait(self, window: EndWindow, polls: int, now: float) -> float:
            self.asked.append((window, polls))
            return 3.0

    mine = EveryThreeSeconds()
    client = timed_client(
        server, tmp_path, journal=journal_with_history(tmp_path, 20.0), poll=mine
    )
    assert client.poll is mine
    task = await client.submit(outpaint())
    await task.wait(3600)
    asked = [at for at, _ in server.queries]
    assert [b - a for a, b in zip(asked, asked[1:], strict=False)] == pytest.approx(
        [3.0] * (len(asked) - 1), abs=0.01
    )
    polls = [count for _, count in mine.asked]
    assert polls == sorted(polls) and polls[-1] >= 6  # counted as the queries went
    assert all(window.from_history for window, _ in mine.asked)  # the plan's window, given
    await client.aclose()


def test_the_client_polls_by_the_plan_unless_told_otherwise(tmp_path):
    real = wv.VaceClient("k", journal=False, results_dir=tmp_path)
    assert isinstance(real.poll, PollPlan) and real.poll.prior == FIVE_TO_TEN_MINUTES
    emulated = wv.emulator_client(journal=False, results_dir=tmp_path)
    assert isinstance(emulated.poll, PollPlan) and emulated.poll.prior is None
    mine = PollPlan(dense_gap=1.0)
    assert wv.VaceClient("k", poll=mine, journal=False, results_dir=tmp_path).poll is mine


def test_history_of_another_host_is_not_used(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3")
    journal.record(finished("elsewhere", running=5.0, host=HISTORY_HOST))
    client = wv.VaceClient(
        "k", base_url="https://other.host", journal=journal, results_dir=tmp_path
    )
    assert client._scheduler.durations.total("video_outpainting", REQUEST) is None
