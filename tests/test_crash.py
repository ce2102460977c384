"""The crash table (docs/lifecycle.md), each row proven by killing a real process there.

A real kernel-like process (``tests/crash_worker.py``) runs one job against an emulator
served over loopback, and stops dead at one step of the job; this test SIGKILLs it there,
reads what is on disk, then starts a fresh process on the same home that recovers every
job (``client.resume()``). Every row must end with a known ending and never a second task
on the server: nothing lost, nothing paid twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wanvace_widgets.emulator import EmulatorConfig
from wanvace_widgets.emulator.server import EmulatorServer
from wanvace_widgets.jobs.journal import Journal
from wanvace_widgets.quota import Holder
from wanvace_widgets.quota.sqlite import SqliteQuota

ROOT = Path(__file__).resolve().parents[1]
WORKER = str(ROOT / "tests" / "crash_worker.py")
#: how long a step may take to be reached or a recovery to end (a busy machine included)
PATIENCE_S = 120


@dataclass(frozen=True)
class Row:
    """One row of the crash table: where the process dies, what the journal holds then,
    and how the next process ends the job (``created``: tasks on the server in the end)."""

    step: str
    on_disk: str
    ending: str
    error: str | None
    created: int
    faults: tuple[tuple[str, str, dict], ...] = field(default_factory=tuple)
    slots_taken: bool = False
    saved_before: bool = False


ROWS = {
    "waiting for a slot": Row(
        "after:QUEUED", "QUEUED", "ERROR", "JobInterruptedError", 0, slots_taken=True
    ),
    "intent written, POST not sent": Row(
        "after:SUBMITTING", "SUBMITTING", "ERROR", "SubmitNotCreatedError", 0
    ),
    "POST in flight, not yet taken": Row(
        "none", "SUBMITTING", "ERROR", "SubmitNotCreatedError", 0,
        faults=(("submit", "delay", {"seconds": 1.5}),),
    ),
    "POST taken, its answer on the way": Row(
        "none", "SUBMITTING", "SUCCEEDED", None, 1,
        faults=(("submit", "delay_after", {"seconds": 30.0}),),
    ),
    "answer read, task id not yet on disk": Row(
        "before:PENDING", "SUBMITTING", "SUCCEEDED", None, 1
    ),
    "task id on disk": Row("after:PENDING", "PENDING", "SUCCEEDED", None, 1),
    "following": Row("after:RUNNING", "RUNNING", "SUCCEEDED", None, 1),
    "downloading": Row(
        "after:SUCCEEDED",
        "SUCCEEDED",
        "SUCCEEDED",
        None,
        1,
        faults=(("result", "delay", {"seconds": 30.0}),),
    ),
    "video renamed into place, not recorded": Row(
        "before:saved", "SUCCEEDED", "SUCCEEDED", None, 1, saved_before=True
    ),
    "answer lost (UNCONFIRMED), the task was created": Row(
        "after:UNCONFIRMED", "UNCONFIRMED", "SUCCEEDED", None, 1,
        faults=(("submit", "drop_after", {}),),
    ),
    "answer lost (UNCONFIRMED), nothing created": Row(
        "after:UNCONFIRMED", "UNCONFIRMED", "ERROR", "SubmitNotCreatedError", 0,
        faults=(("submit", "drop", {}),),
    ),
}  # fmt: skip


@pytest.fixture
def emulator():
    config = EmulatorConfig(pending_s=0.3, running_s=0.6)
    with EmulatorServer(config) as server:
        yield server


def spawn(*args: str, tz: str | None = None, **more_env: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **more_env}
    if tz is not None:
        env["TZ"] = tz
    return subprocess.Popen(
        [sys.executable, WORKER, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_line(process: subprocess.Popen, prefix: str) -> str:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line.strip()
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"the worker never printed {prefix!r}: {process.stderr.read()[-2000:]}")


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {PATIENCE_S} s")
        time.sleep(0.02)


def take_both_slots(home: Path) -> None:
    """Two live tasks of another kernel, so that the job waits QUEUED for a slot."""

    async def fill() -> None:
        store = SqliteQuota(home / "quota.sqlite3", scope=_scope())
        for n in range(2):
            await store.adopt(Holder(f"other-{n}", "someone"))
        await store.aclose()

    asyncio.run(fill())


def _scope() -> str:
    from wanvace_widgets.quota import quota_scope

    return quota_scope("wan2.1-vace-plus", "crash-test-key")


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS)
def test_a_process_killed_there_is_recovered_by_the_next(tmp_path, emulator, row):
    home = tmp_path / "home"
    home.mkdir()
    for route, action, options in row.faults:
        emulator.emulator.config.faults.add(route, action, **options)
    if row.slots_taken:
        take_both_slots(home)
    worker = spawn("run", str(home), emulator.base_url, row.step)
    try:
        if row.step == "none":  # killed while the submit POST is on its way
            created = row.created
            wait_until(
                lambda: (
                    emulator.emulator.stats["submit"] >= 1
                    and len(emulator.emulator.tasks.tasks) == created
                ),
                "the submit did not reach the server",
            )
        else:
            wait_for_line(worker, f"AT {row.step}")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    [entry] = Journal(home / "journal.sqlite3").entries()
    assert entry.status == row.on_disk, entry
    if row.saved_before:
        assert entry.local_path is None and list((home / "results").glob("*.mp4"))
    emulator.emulator.config.faults.clear()
    downloads_before = emulator.emulator.stats["result"]

    recovery = spawn("recover", str(home), emulator.base_url)
    out, err = recovery.communicate(timeout=PATIENCE_S * 2)
    assert recovery.returncode == 0, err[-3000:]
    outcomes = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(outcomes) == 1, out
    [outcome] = outcomes
    assert outcome["job_id"] == entry.job_id
    assert (outcome["status"], outcome["error"]) == (row.ending, row.error), (outcome, err[-3000:])
    assert len(emulator.emulator.tasks.tasks) == row.created  # never a second task
    assert emulator.emulator.stats["submit"] <= 1  # never sent again
    if row.ending == "SUCCEEDED":
        assert Path(outcome["local_path"]).is_file()
    if row.saved_before:  # the whole video was there: not downloaded again
        assert emulator.emulator.stats["result"] == downloads_before
    final = Journal(home / "journal.sqlite3").get_job(entry.job_id)
    assert final.status == row.ending and not final.without_ending
    # a second recovery finds nothing more to do
    again = spawn("recover", str(home), emulator.base_url)
    out, err = again.communicate(timeout=PATIENCE_S)
    assert "RECOVERED 0" in out, (out, err[-2000:])


ZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Shanghai", "Pacific/Kiritimati"]


@pytest.mark.parametrize("zone", ZONES)
def test_a_lost_answer_is_found_on_the_task_list_in_every_time_zone(tmp_path, emulator, zone):
    """The list route's window is written in the servers' zone (UTC+8), whatever the
    machine's: killed after the task was created, before its id was on disk, under ``TZ``,
    the next process (same zone) finds and follows it."""
    home = tmp_path / "home"
    home.mkdir()
    worker = spawn("run", str(home), emulator.base_url, "before:PENDING", tz=zone)
    try:
        wait_for_line(worker, "AT before:PENDING")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    recovery = spawn("recover", str(home), emulator.base_url, tz=zone)
    out, err = recovery.communicate(timeout=PATIENCE_S * 2)
    [outcome] = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert outcome["status"] == "SUCCEEDED", (outcome, err[-2000:])
    [task_id] = emulator.emulator.tasks.tasks
    assert outcome["task_id"] == task_id and emulator.emulator.stats["list"] >= 1


# -- two users on one key, one Redis -------------------------------------------------------


@pytest.fixture
def redis_url(tmp_path):
    from tests.quota_servers import RedisServer

    server = RedisServer(tmp_path).start()
    yield server.url
    server.stop()


def kill_at(home: Path, base_url: str, step: str, **env: str) -> None:
    worker = spawn("run", str(home), base_url, step, **env)
    try:
        wait_for_line(worker, f"AT {step}")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)


def recovered(home: Path, base_url: str, **env: str) -> subprocess.Popen:
    return spawn("recover", str(home), base_url, **env)


def outcome_of(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=PATIENCE_S * 3)
    assert process.returncode == 0, err[-3000:]
    [outcome] = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return outcome


def test_a_lost_submit_never_adopts_another_users_task(tmp_path, emulator, redis_url):
    """Ann's submit never reached the server, Bob's (same key, same moment) did: Ann's
    recovery must not take Bob's task for hers (a lost job for Bob, a privacy breach)."""
    ann, bob = tmp_path / "ann", tmp_path / "bob"
    ann.mkdir(), bob.mkdir()
    team = {"WANVACE_QUOTA_URL": redis_url, "CRASH_CLOCK_SKEW": "20"}
    emulator.emulator.config.faults.add("submit", "drop")  # Ann's POST: nothing created
    kill_at(ann, emulator.base_url, "after:UNCONFIRMED", WANVACE_USER="ann", **team)
    kill_at(bob, emulator.base_url, "after:RUNNING", WANVACE_USER="bob", **team)
    [bobs] = emulator.emulator.tasks.tasks
    [anns_job] = Journal(ann / "journal.sqlite3").entries()
    gap = emulator.emulator.tasks.tasks[bobs].submitted_at - anns_job.submitting_at
    assert -20 < gap < 20  # Bob's task lies in the window of Ann's lost submit
    ann_outcome = outcome_of(recovered(ann, emulator.base_url, WANVACE_USER="ann", **team))
    assert (ann_outcome["status"], ann_outcome["error"]) == ("ERROR", "SubmitNotCreatedError")
    bob_outcome = outcome_of(recovered(bob, emulator.base_url, WANVACE_USER="bob", **team))
    assert bob_outcome["status"] == "SUCCEEDED" and bob_outcome["task_id"] == bobs
    assert Journal(ann / "journal.sqlite3").get(bobs) is None  # never in Ann's journal
    assert len(emulator.emulator.tasks.tasks) == 1


@pytest.mark.parametrize("same_prompt", [False, True], ids=["different prompts", "same prompt"])
def test_two_users_lost_answers_are_told_apart_by_their_prompts_or_shown(
    tmp_path, emulator, redis_url, same_prompt
):
    """Both submits created tasks, neither answer reached its kernel, both kernels died.
    Each recovery sees two unclaimed tasks in its window: with different prompts each
    adopts its own once they end; with the same prompt neither guesses."""
    ann, bob = tmp_path / "ann", tmp_path / "bob"
    ann.mkdir(), bob.mkdir()
    # windows wide enough to overlap however slowly the second kernel starts
    team = {"WANVACE_QUOTA_URL": redis_url, "CRASH_CLOCK_SKEW": "20"}
    prompts = ("hills at dawn", "hills at dawn" if same_prompt else "sea at night")
    emulator.emulator.config.faults.add("submit", "drop_after", times=2)  # created, answer lost
    for home, user, prompt in ((ann, "ann", prompts[0]), (bob, "bob", prompts[1])):
        kill_at(home, emulator.base_url, "after:UNCONFIRMED", WANVACE_USER=user,
                CRASH_PROMPT=prompt, **team)  # fmt: skip
    tasks = emulator.emulator.tasks.tasks
    assert len(tasks) == 2
    created = sorted(task.submitted_at for task in tasks.values())
    assert created[1] - created[0] < 20  # each task lies in the other's window
    runs = [recovered(home, emulator.base_url, WANVACE_USER=user, **team)
            for home, user in ((ann, "ann"), (bob, "bob"))]  # fmt: skip
    ann_outcome, bob_outcome = (outcome_of(run) for run in runs)
    if same_prompt:
        for outcome in (ann_outcome, bob_outcome):
            assert outcome["status"] == "UNCONFIRMED" and outcome["task_id"] is None
            assert sorted(outcome["candidates"]) == sorted(tasks)
    else:
        by_prompt = {task.body["input"]["prompt"]: task_id for task_id, task in tasks.items()}
        assert ann_outcome["status"] == bob_outcome["status"] == "SUCCEEDED", json.dumps(
            [ann_outcome, bob_outcome]
        )
        assert ann_outcome["task_id"] == by_prompt[prompts[0]]
        assert bob_outcome["task_id"] == by_prompt[prompts[1]]
    assert len(tasks) == 2  # nothing sent again
