"""One client, two models (docs/api-contract.md §17): a wan2.7-videoedit request goes to its
model with its own upload policy, quota and price, its local files are checked before any
upload, and the journal, resume, reconcile, history and poll plan take its function as
they take VACE's."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import wanvace_widgets as wv
from tests.helpers import make_client, padded_mp4, until
from wanvace_widgets.contract import constants as c
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.jobs.durations import kind_of
from wanvace_widgets.jobs.poll_plan import PollPlan
from wanvace_widgets.media import codec as media_io
from wanvace_widgets.widgets.job_records import JobRecord, request_code, request_from_summary

SAMPLES = "http://emulator.local/samples/"
EDIT = c.EDIT27_MODEL


def outpaint() -> wv.VideoOutpainting:
    return wv.VideoOutpainting(prompt="wide", video=SAMPLES + "source.mp4", left_scale=1.2)


def server_tasks(app):
    return app.state.emulator.tasks.tasks


async def test_one_client_sends_each_request_to_its_model(client, fast_app, media):
    edit = wv.InstructionEdit(
        prompt="turn it into a pencil sketch",
        video=media["source"],  # local: uploaded under wan2.7-videoedit's policy
        ref_images=[media["subject"]],
        resolution="720P",
    )
    first, second = client.enqueue(outpaint()), client.enqueue(edit)
    await asyncio.gather(first.wait(120), second.wait(120))
    bodies = {t.task_id: t.body for t in server_tasks(fast_app).values()}
    assert bodies[first.task_id]["model"] == "wan2.1-vace-plus"
    sent = bodies[second.task_id]
    assert sent["model"] == EDIT and "function" not in sent["input"]
    assert [m["type"] for m in sent["input"]["media"]] == ["video", "reference_image"]
    assert all(m["url"].startswith("oss://") for m in sent["input"]["media"])
    assert (first.model, second.model) == ("wan2.1-vace-plus", EDIT)
    info = media_io.probe(second.local_path)
    assert (info.width, info.height) == (1280, 720) and info.duration_s == pytest.approx(3.0)
    assert client.model_for(edit) == client.model_for("instruction_edit") == EDIT
    assert client.model_for(wv.VideoEdit) == client.model == "wan2.1-vace-plus"


async def test_an_upload_policy_is_asked_for_with_the_request_s_model(client, fast_app, media):
    asked = []
    uploads = fast_app.state.emulator.uploads
    original = uploads.new_policy
    uploads.new_policy = lambda model: asked.append(model) or original(model)
    payload = await client.preview(wv.InstructionEdit(prompt="p", video=media["source"]))
    assert asked == [EDIT] and payload["model"] == EDIT
    assert payload["input"]["media"][0]["url"].startswith("oss://")


@pytest.mark.parametrize(
    "make, field, words",
    [
        (lambda m, t: m["first_clip"], "video", "lasts 1.50 s; it must last 2–10 s"),
        (lambda m, t: _write(t / "wide.mp4", _video(1940, 240)), "video", "1:8 and 8:1"),
        (lambda m, t: _write(t / "small.mp4", _video(320, 200)), "video", "240–4096 px"),
        (lambda m, t: _write(t / "still.mp4", media_io.encode_image(_image(300, 300))), "video",
         "MP4 or MOV"),
        (lambda m, t: padded_mp4(m["source"], t / "big.mp4", (100 << 20) + 1), "video",
         "at most 100 MB"),
    ],
)  # fmt: skip
async def test_a_local_source_the_server_would_refuse_is_refused_before_any_upload(
    client, fast_app, media, tmp_path, make, field, words
):
    source = make(media, tmp_path)
    task = client.enqueue(wv.InstructionEdit(prompt="p", video=source))
    with pytest.raises(wv.ValidationError, match=words) as info:
        await task.wait(30)
    assert info.value.field == field and task.status == "ERROR"
    assert fast_app.state.emulator.stats["policy"] == fast_app.state.emulator.stats["submit"] == 0


def test_a_local_file_of_another_kind_is_refused_when_the_request_is_made(media):
    with pytest.raises(wv.ValidationError, match="must be a mp4/mov file"):
        wv.InstructionEdit(video=media["subject"])
    with pytest.raises(wv.ValidationError, match="must be a jpg/jpeg/png/bmp/webp file"):
        wv.InstructionEdit(video=media["source"], ref_images=[media["source"]])


async def test_local_reference_images_are_checked_too(client, fast_app, media, tmp_path):
    tiny = _write(tmp_path / "tiny.png", media_io.encode_image(_image(200, 300)))
    fake = _write(tmp_path / "fake.png", b"not an image")
    for refs, words in [([media["subject"], tiny], "240–8000 px"), ([fake], "not a readable")]:
        task = client.enqueue(wv.InstructionEdit(video=media["source"], ref_images=refs))
        with pytest.raises(wv.ValidationError, match=words):
            await task.wait(30)
    assert fast_app.state.emulator.stats["submit"] == 0


async def test_a_duration_longer_than_the_local_source_is_refused(client, fast_app, media):
    task = client.enqueue(wv.InstructionEdit(prompt="p", video=media["source"], duration=4))
    with pytest.raises(wv.ValidationError, match="longer than the source video \\(3.00 s\\)"):
        await task.wait(30)
    assert fast_app.state.emulator.stats["submit"] == 0
    fine = client.enqueue(
        wv.InstructionEdit(prompt="p", video=media["source"], duration=3, resolution="720P")
    )
    await fine.wait(120)
    assert media_io.probe(fine.local_path).duration_s == pytest.approx(3.0)


async def test_a_remote_duration_past_the_source_fails_on_the_server(client):
    task = client.enqueue(wv.InstructionEdit(video=SAMPLES + "source.mp4", duration=5))
    with pytest.raises(wv.TaskFailedError, match="parameters.duration"):
        await task.wait(120)
    assert task.status == "FAILED" and task.billed_usd is None


# -- price and quota per model --------------------------------------------------------------


async def test_the_price_is_the_tier_s_for_the_source_s_seconds_and_the_output_s(client, media):
    local = wv.InstructionEdit(prompt="p", video=media["source"], resolution="720P")
    remote = wv.InstructionEdit(prompt="p", video=SAMPLES + "source.mp4")
    assert client.max_cost_usd(local, 3.0) == pytest.approx(0.10 * 6)
    assert client.max_cost_usd(remote) == pytest.approx(0.15 * 20)  # 10 s in, 10 s out
    assert client.max_cost_usd("instruction_edit") == pytest.approx(3.0)
    assert client.max_cost_usd(wv.VideoEdit) == pytest.approx(0.5)
    a, b = client.enqueue(local), client.enqueue(remote)
    await asyncio.gather(a.wait(120), b.wait(120))
    assert a.estimated_usd == pytest.approx(0.6)  # the probed 3 s source at 720P
    assert a.billed_usd == pytest.approx(0.6) and a.usage["duration"] == 6.0
    assert b.estimated_usd == pytest.approx(3.0)  # not probed: the longest source
    assert b.billed_usd == pytest.approx(0.9)  # what was billed: 6 s at 1080P
    assert await client.quota_store.spent_today() == pytest.approx(1.5)  # refunded the rest


async def test_prices_are_configurable_by_model_and_tier(fast_app, tmp_path, media):
    prices = {EDIT: {"720P": 0.2, "1080P": 0.5}, "wan2.1-vace-plus": 0.3}
    client = make_client(fast_app, tmp_path, price_per_second=prices)
    assert client.price_per_second(EDIT, "720P") == 0.2
    assert client.price_per_second(EDIT) == 0.5  # the default tier, 1080P
    assert client.max_cost_usd(wv.VideoEdit) == pytest.approx(1.5)
    free = make_client(fast_app, tmp_path / "free", price_per_second=0.0)
    assert free.max_cost_usd("instruction_edit") == 0.0
    beijing = wv.VaceClient("k", region="cn", journal=False)
    assert beijing.price_per_second(EDIT, "720P") == pytest.approx(0.086012)
    # the widgets show the service's list price, whatever a client overrides:
    # tests/test_job_status.py
    await client.aclose()
    await free.aclose()


async def test_the_daily_budget_counts_every_model(fast_app, tmp_path, media):
    client = make_client(fast_app, tmp_path, daily_budget_usd=1.0, user="eve")
    vace = await client.submit(outpaint())
    await vace.wait(120)  # $0.50 recorded, $0.30 billed
    edit = client.enqueue(wv.InstructionEdit(video=media["source"], resolution="1080P"))
    with pytest.raises(wv.BudgetExceededError, match="up to \\$0.90"):
        await edit.wait(120)  # 3 s in + 3 s out at $0.15: past $1 with the $0.30 spent
    cheap = client.enqueue(wv.InstructionEdit(video=media["source"], resolution="720P"))
    await cheap.wait(120)  # $0.60 more: $0.90 in all
    assert await client.quota_store.spent_today("eve") == pytest.approx(0.9)
    await client.aclose()


async def test_each_model_has_its_own_slots(tmp_path, media):
    """With one live task a model (QuotaPolicy), a VACE job and an instruction edit still
    run at the same time: the quotas are per model (§12.3)."""
    app = create_app(EmulatorConfig(pending_s=0.05, running_s=1.5))
    client = make_client(app, tmp_path, quota=wv.QuotaPolicy(max_concurrent=1))
    vace, edit = (
        client.enqueue(outpaint()),
        client.enqueue(wv.InstructionEdit(video=SAMPLES + "source.mp4", resolution="720P")),
    )
    both_live = asyncio.Event()

    def seen(_):
        if vace.status in ("PENDING", "RUNNING") and edit.status in ("PENDING", "RUNNING"):
            both_live.set()

    vace.add_observer(seen)
    edit.add_observer(seen)
    await asyncio.wait_for(both_live.wait(), 30)
    events = []
    second = client.enqueue(outpaint())  # VACE's one slot is taken: it waits for it
    vace.add_observer(lambda snap: events.append(("vace", snap.status)))
    second.add_observer(lambda snap: events.append(("second", snap.status)))
    await asyncio.gather(vace.wait(120), edit.wait(120), second.wait(120))
    assert events.index(("second", "SUBMITTING")) > events.index(("vace", "SUCCEEDED"))
    limits = wv.QuotaPolicy()
    assert limits.limits(EDIT) == (2, 2) and limits.limits("wan2.1-vace-plus") == (2, 2)
    await client.aclose()


# -- the journal, resume, reconcile, history -------------------------------------------------


async def test_resume_takes_an_instruction_edit_back_after_a_restart(fast_app, tmp_path):
    before = make_client(fast_app, tmp_path)
    task = await before.submit(wv.InstructionEdit(prompt="snow", video=SAMPLES + "source.mp4"))
    await before.aclose()
    entry = before.journal.get(task.task_id)
    assert (entry.function, entry.model) == ("instruction_edit", EDIT)
    after = make_client(fast_app, tmp_path)
    assert [e.task_id for e in after.unfinished_jobs("instruction_edit")] == [task.task_id]
    [resumed] = after.resume()
    assert (resumed.function, resumed.model) == ("instruction_edit", EDIT)
    await resumed.wait(120)
    assert resumed.local_path.exists() and resumed.billed_usd == pytest.approx(0.9)
    await after.aclose()


async def test_reconcile_finds_an_unconfirmed_edit_by_its_model(client, fast_app):
    fast_app.state.emulator.config.faults.add("submit", "drop_after")
    task = client.enqueue(wv.InstructionEdit(video=SAMPLES + "source.mp4", resolution="720P"))
    await until(lambda: task.status == "UNCONFIRMED", "the answer was not lost", 30)
    await task.wait(120)  # the client searches the task list of the edit's own model
    [created] = server_tasks(fast_app)
    assert task.task_id == created and task.status == "SUCCEEDED"


async def test_the_history_rebuilds_and_writes_an_instruction_edit(client, media):
    request = wv.InstructionEdit(
        prompt="make it night",
        video=SAMPLES + "source.mp4",
        ref_images=[SAMPLES + "subject.png"],
        duration=2,
        audio_setting="origin",
    )
    task = await client.submit(request)
    await task.wait(120)
    record = JobRecord.from_entry(client.journal.get(task.task_id))
    assert record.known_function and record.function == "instruction_edit"
    rebuilt, dropped = request_from_summary(record.function, record.request)
    assert rebuilt == request and dropped == []
    code = request_code(record.function, record.request)
    assert code.startswith("wv.InstructionEdit(") and "duration=2," in code
    namespace = {"wv": wv}
    assert eval(code, namespace) == request  # noqa: S307 - our own snippet


def test_an_instruction_edit_is_timed_by_its_own_kind_and_prior():
    summary = wv.InstructionEdit(
        video="https://e.com/v.mp4", resolution="720P", duration=4, prompt="x"
    ).summary()
    assert kind_of("instruction_edit", summary) == (
        "instruction_edit",
        "video='https://e.com/v.mp4' resolution='720P' duration=4",
    )
    plan = PollPlan()
    edit_prior, vace_prior = plan.prior_for("instruction_edit"), plan.prior_for("video_edit")
    assert edit_prior.quantile(-1.96) == pytest.approx(60) and edit_prior.quantile(
        1.96
    ) == pytest.approx(300)
    assert vace_prior.median == pytest.approx((300 * 600) ** 0.5)
    assert PollPlan(prior=None).prior_for("instruction_edit") is None  # the emulator's plan


def _image(w: int, h: int) -> np.ndarray:
    return np.full((h, w, 3), 120, np.uint8)


def _video(w: int, h: int, seconds: float = 2.0) -> bytes:
    return media_io.encode_mp4([_image(w, h)] * round(seconds * 30), 30)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path
