"""The emulator's HTTP contract: every error path with its status and code, the lifecycle,
cancel, list, uploads, quotas, faults and result URLs."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.helpers import HEADERS, SUBMIT
from wanvace_widgets.emulator import EmulatorConfig, ManualClock, create_app
from wanvace_widgets.media import codec as media_io

SAMPLE = "http://emulator.local/samples/source.mp4"
OUTPAINT = {
    "model": "wan2.1-vace-plus",
    "input": {"function": "video_outpainting", "prompt": "wide", "video_url": SAMPLE},
    "parameters": {"left_scale": 1.5},
}


def body(function="video_outpainting", inp=None, params=None, model="wan2.1-vace-plus"):
    base = {"function": function, "prompt": "a prompt"}
    return {"model": model, "input": {**base, **(inp or {})}, "parameters": params or {}}


async def submit(http, payload=OUTPAINT, headers=HEADERS):
    return await http.post(SUBMIT, json=payload, headers=headers)


async def status_of(http, task_id):
    return (await http.get(f"/api/v1/tasks/{task_id}", headers=HEADERS)).json()


async def run_to_end(http, app, clock, task_id, seconds=10):
    """Advance the manual clock through PENDING and RUNNING, letting the render finish."""
    await status_of(http, task_id)
    clock.advance(app.state.emulator.config.pending_s + 0.01)
    await status_of(http, task_id)
    await app.state.emulator.tasks.wait_idle()
    clock.advance(seconds)
    return await status_of(http, task_id)


# -- submit errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, status, code, message",
    [
        ({"X-DashScope-Async": "enable"}, 401, "InvalidApiKey", "No API-key provided."),
        ({"Authorization": "Bearer k"}, 403, "AccessDenied", "does not support synchronous"),
    ],
)
async def test_submit_needs_key_and_async_header(http, headers, status, code, message):
    r = await submit(http, headers=headers)
    assert r.status_code == status
    assert r.json()["code"] == code and message in r.json()["message"]
    assert r.json()["request_id"]


async def test_unaccepted_and_other_region_keys_are_401(clock):
    config = EmulatorConfig(
        clock=clock, api_keys=frozenset({"good"}), other_region_keys=frozenset({"cn-key"})
    )
    app = create_app(config)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://e"
    ) as http:
        for key in ("bad", "cn-key"):
            r = await submit(http, headers={**HEADERS, "Authorization": f"Bearer {key}"})
            assert (r.status_code, r.json()["code"]) == (401, "InvalidApiKey")
            assert r.json()["message"] == "Invalid API-key provided."
        ok = await submit(http, headers={**HEADERS, "Authorization": "Bearer good"})
        assert ok.status_code == 200


async def test_model_of_the_other_region_is_not_found(http):
    r = await submit(http, body(inp={"video_url": SAMPLE}, model="wanx2.1-vace-plus"))
    assert (r.status_code, r.json()["code"]) == (404, "ModelNotFound")


@pytest.mark.parametrize(
    "payload, message",
    [
        (body("text2video"), "input.function must be one of"),
        (body(inp={"prompt": ""}), "input.prompt"),
        (body("image_reference"), "ref_images_url"),
        (
            body("image_reference", {"ref_images_url": [SAMPLE, SAMPLE]}, {"obj_or_bg": ["obj"]}),
            "ref_images_url and obj_or_bg must be the same length.",
        ),
        (
            body("image_reference", {"ref_images_url": [SAMPLE, SAMPLE]}),
            "ref_images_url and obj_or_bg must be the same length.",
        ),
        (
            body(
                "image_reference", {"ref_images_url": [SAMPLE, SAMPLE]}, {"obj_or_bg": ["bg", "bg"]}
            ),
            "At most one bg",
        ),
        (body("image_reference", {"ref_images_url": [SAMPLE]}, {"size": "1920*1080"}), "size"),
        (body("video_repainting", {"video_url": SAMPLE}), "control_condition"),
        (
            body("video_repainting", {"video_url": SAMPLE}, {"control_condition": "canny"}),
            "control_condition",
        ),
        (
            body(
                "video_repainting",
                {"video_url": SAMPLE},
                {"control_condition": "depth", "strength": 2},
            ),
            "strength",
        ),
        (body("video_repainting", params={"control_condition": "depth"}), "video_url"),
        (body("video_edit", {"video_url": SAMPLE}), "Exactly one"),
        (
            body(
                "video_edit",
                {"video_url": SAMPLE, "mask_image_url": SAMPLE, "mask_video_url": SAMPLE},
            ),
            "Exactly one",
        ),
        (
            body(
                "video_edit",
                {"video_url": SAMPLE, "mask_image_url": SAMPLE},
                {"control_condition": "scribble"},
            ),
            "control_condition",
        ),
        (
            body(
                "video_edit",
                {"video_url": SAMPLE, "mask_image_url": SAMPLE},
                {"mask_type": "moving"},
            ),
            "mask_type",
        ),
        (
            body(
                "video_edit", {"video_url": SAMPLE, "mask_image_url": SAMPLE}, {"expand_ratio": 1.5}
            ),
            "expand_ratio",
        ),
        (
            body(
                "video_edit",
                {"video_url": SAMPLE, "mask_image_url": SAMPLE},
                {"expand_mode": "circle"},
            ),
            "expand_mode",
        ),
        (
            body("video_edit", {"video_url": SAMPLE, "mask_image_url": SAMPLE, "mask_frame_id": 0}),
            "mask_frame_id",
        ),
        (body("video_extension"), "At least one"),
        (
            body("video_extension", {"first_frame_url": SAMPLE, "video_url": SAMPLE}),
            "control_condition",
        ),
        (body(inp={"video_url": SAMPLE}, params={"top_scale": 2.5}), "top_scale"),
        (body(inp={"video_url": SAMPLE}, params={"seed": -1}), "seed"),
        (body(inp={"video_url": SAMPLE}, params={"duration": 10}), "duration"),
        (body(inp={"video_url": "ftp://x/v.mp4"}), "URL"),
        (body(inp={"video_url": "https://例子.com/v.mp4"}), "Chinese"),
    ],
)
async def test_every_rule_is_a_400_invalid_parameter(http, payload, message):
    r = await submit(http, payload)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "InvalidParameter"
    assert message in r.json()["message"]


async def test_oss_urls_need_the_resolve_header(http):
    payload = body(inp={"video_url": "oss://dashscope-instant/x/v.mp4"})
    r = await submit(http, payload)
    assert (r.status_code, r.json()["code"]) == (400, "InvalidParameter.DataInspection")
    ok = await submit(http, payload, {**HEADERS, "X-DashScope-OssResourceResolve": "enable"})
    assert ok.status_code == 200


async def test_server_leniency_long_prompt_cut_and_extra_images_dropped(http, emulator_app):
    payload = body(
        "image_reference",
        {"ref_images_url": [SAMPLE] * 4, "prompt": "x" * 900},
        {"obj_or_bg": ["obj"] * 4},
    )
    r = await submit(http, payload)
    assert r.status_code == 200
    task = emulator_app.state.emulator.tasks.tasks[r.json()["output"]["task_id"]]
    assert (
        len(task.body["input"]["prompt"]) == 800 and len(task.body["input"]["ref_images_url"]) == 3
    )


async def test_sdk_extra_input_fields_are_accepted(http):
    payload = body(inp={"video_url": SAMPLE, "extend_prompt": True})
    assert (await submit(http, payload)).status_code == 200


# -- lifecycle -------------------------------------------------------------------------------


async def test_a_task_keeps_the_running_time_it_was_submitted_with(http, emulator_app, clock):
    config = emulator_app.state.emulator.config
    config.running_s = 2.0
    task_id = (await submit(http)).json()["output"]["task_id"]
    config.running_s = 100.0  # a later task would run this long; this one still takes 2 s
    await status_of(http, task_id)
    clock.advance(config.pending_s + 0.01)
    assert (await status_of(http, task_id))["output"]["task_status"] == "RUNNING"
    await emulator_app.state.emulator.tasks.wait_idle()
    clock.advance(2.01)
    assert (await status_of(http, task_id))["output"]["task_status"] == "SUCCEEDED"


async def test_task_goes_pending_running_succeeded_with_times_and_usage(http, emulator_app, clock):
    r = await submit(http)
    assert r.status_code == 200 and r.json()["output"]["task_status"] == "PENDING"
    task_id = r.json()["output"]["task_id"]
    assert (await status_of(http, task_id))["output"]["task_status"] == "PENDING"
    clock.advance(1.01)
    assert (await status_of(http, task_id))["output"]["task_status"] == "RUNNING"
    done = await run_to_end(http, emulator_app, clock, task_id)
    out = done["output"]
    assert out["task_status"] == "SUCCEEDED"
    for name in ("submit_time", "scheduled_time", "end_time"):
        assert len(out[name]) == len("2025-05-15 16:14:44.723")
    assert out["orig_prompt"] == "wide" and out["actual_prompt"].startswith("wide")
    assert done["usage"] == {"video_duration": 3, "video_ratio": "standard", "video_count": 1}
    video = await http.get(out["video_url"])
    info = media_io.probe(video.content)
    assert (info.codec, info.fps, info.width, info.height) == (
        "h264",
        30.0,
        800,
        360,
    )  # 640 * (1.5 + 1) / 2 wide


async def test_actual_prompt_only_when_prompt_extend_is_on(http, emulator_app, clock):
    payload = body(inp={"video_url": SAMPLE}, params={"prompt_extend": False})
    task_id = (await submit(http, payload)).json()["output"]["task_id"]
    out = (await run_to_end(http, emulator_app, clock, task_id))["output"]
    assert out["task_status"] == "SUCCEEDED" and "actual_prompt" not in out


@pytest.mark.parametrize(
    "inp, code",
    [
        ({"video_url": "http://no-such-host.invalid/v.mp4"}, "InvalidURL"),
        ({"video_url": "http://emulator.local/samples/subject.png"}, "InvalidFile.Format"),
    ],
)
async def test_media_failing_checks_after_download_end_failed(http, emulator_app, clock, inp, code):
    task_id = (await submit(http, body(inp=inp))).json()["output"]["task_id"]
    out = (await run_to_end(http, emulator_app, clock, task_id))["output"]
    assert out["task_status"] == "FAILED" and out["code"] == code and out["message"]
    assert "video_url" not in out


async def test_mask_of_another_size_fails_with_size_not_match(http, emulator_app, clock):
    inp = {"video_url": SAMPLE, "mask_image_url": "http://emulator.local/samples/subject.png"}
    task_id = (await submit(http, body("video_edit", inp))).json()["output"]["task_id"]
    out = (await run_to_end(http, emulator_app, clock, task_id))["output"]
    assert out["task_status"] == "FAILED" and "The size is not match" in out["message"]


async def test_clips_over_3_seconds_together_fail(http, emulator_app, clock):
    inp = {"first_clip_url": SAMPLE, "last_clip_url": SAMPLE}
    task_id = (await submit(http, body("video_extension", inp))).json()["output"]["task_id"]
    out = (await run_to_end(http, emulator_app, clock, task_id))["output"]
    assert (out["task_status"], out["code"]) == ("FAILED", "InvalidFile.Duration")


async def test_unknown_ids_and_tasks_older_than_24h_are_unknown(http, emulator_app, clock):
    assert (await status_of(http, "no-such-task"))["output"]["task_status"] == "UNKNOWN"
    task_id = (await submit(http)).json()["output"]["task_id"]
    out = (await run_to_end(http, emulator_app, clock, task_id))["output"]
    clock.advance(24 * 3600)
    assert (await status_of(http, task_id))["output"] == {
        "task_id": task_id,
        "task_status": "UNKNOWN",
    }
    expired = await http.get(out["video_url"])
    assert (expired.status_code, expired.json()["code"]) == (403, "AccessDenied")


async def test_result_urls_check_signature_and_serve_ranges(http, emulator_app, clock):
    task_id = (await submit(http)).json()["output"]["task_id"]
    url = (await run_to_end(http, emulator_app, clock, task_id))["output"]["video_url"]
    whole = (await http.get(url)).content
    part = await http.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == whole[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
    forged = url.replace("Signature=", "Signature=0")
    assert (await http.get(forged)).status_code == 403


# -- cancel and list -------------------------------------------------------------------------


async def test_cancel_only_while_pending(http, emulator_app, clock):
    first = (await submit(http)).json()["output"]["task_id"]
    r = await http.post(f"/api/v1/tasks/{first}/cancel", headers=HEADERS)
    assert r.status_code == 200 and set(r.json()) == {"request_id"}
    assert (await status_of(http, first))["output"]["task_status"] == "CANCELED"
    second = (await submit(http)).json()["output"]["task_id"]
    clock.advance(1.01)
    assert (await status_of(http, second))["output"]["task_status"] == "RUNNING"
    r = await http.post(f"/api/v1/tasks/{second}/cancel", headers=HEADERS)
    assert (r.status_code, r.json()["code"]) == (400, "UnsupportedOperation")
    assert "PENDING" in r.json()["message"]
    await emulator_app.state.emulator.tasks.wait_idle()


async def test_list_filters_and_pages(http, emulator_app, clock):
    ids = []
    for _ in range(2):
        ids.append((await submit(http)).json()["output"]["task_id"])
        clock.advance(1.01)
    page = (await http.get("/api/v1/tasks/", params={"page_size": 1}, headers=HEADERS)).json()
    assert (page["total"], page["total_page"], page["page_no"], len(page["data"])) == (2, 2, 1, 1)
    row = page["data"][0]
    assert row["task_id"] == ids[0] and row["model_name"] == "wan2.1-vace-plus"
    assert row["user_api_unique_key"].endswith("wan2.1-vace-plus")
    one = (await http.get("/api/v1/tasks", params={"task_id": ids[1]}, headers=HEADERS)).json()
    assert [r["task_id"] for r in one["data"]] == [ids[1]]
    none = (await http.get("/api/v1/tasks", params={"status": "FAILED"}, headers=HEADERS)).json()
    assert none["total"] == 0
    bad = await http.get(
        "/api/v1/tasks",
        params={"start_time": "20250101000000", "end_time": "20250103000000"},
        headers=HEADERS,
    )
    assert bad.status_code == 400
    await emulator_app.state.emulator.tasks.wait_idle()


# -- uploads -----------------------------------------------------------------------------------


async def _policy(http, model="wan2.1-vace-plus"):
    r = await http.get(
        "/api/v1/uploads", params={"action": "getPolicy", "model": model}, headers=HEADERS
    )
    assert r.status_code == 200
    return r.json()["data"]


def _form(policy, name="frame.png"):
    return {
        "OSSAccessKeyId": policy["oss_access_key_id"],
        "policy": policy["policy"],
        "Signature": policy["signature"],
        "key": f"{policy['upload_dir']}/{name}",
        "x-oss-object-acl": policy["x_oss_object_acl"],
        "x-oss-forbid-overwrite": policy["x_oss_forbid_overwrite"],
        "success_action_status": "200",
    }


async def test_upload_flow_gives_an_oss_url_bound_to_its_model(http, emulator_app, clock, media):
    policy = await _policy(http)
    assert policy["upload_host"] == "http://emulator.local/oss-upload"
    assert policy["expire_in_seconds"] == 300 and policy["upload_dir"].startswith(
        "dashscope-instant/"
    )
    data = media["source"].read_bytes()
    r = await http.post("/oss-upload", data=_form(policy, "v.mp4"), files={"file": ("v.mp4", data)})
    assert r.status_code == 200 and r.content == b""
    url = f"oss://{policy['upload_dir']}/v.mp4"
    store = emulator_app.state.emulator.uploads
    assert store.resolve(url, "wan2.1-vace-plus") == data
    assert store.resolve(url, "wanx2.1-vace-plus") is None
    again = await http.post(
        "/oss-upload", data=_form(policy, "v.mp4"), files={"file": ("v.mp4", data)}
    )
    assert again.status_code == 409
    clock.advance(48 * 3600 + 1)
    assert store.resolve(url, "wan2.1-vace-plus") is None


async def test_expired_policy_and_bad_signature_are_refused(http, clock):
    policy = await _policy(http)
    forged = {**_form(policy), "Signature": "0" * 40}
    r = await http.post("/oss-upload", data=forged, files={"file": ("a.png", b"x")})
    assert r.status_code == 403
    clock.advance(301)
    r = await http.post("/oss-upload", data=_form(policy), files={"file": ("a.png", b"x")})
    assert (r.status_code, r.json()["message"]) == (
        403,
        "Invalid according to Policy: Policy expired.",
    )


async def test_upload_over_the_size_limit_is_refused(clock):
    app = create_app(EmulatorConfig(clock=clock, upload_max_mb=1))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://e"
    ) as http:
        policy = await _policy(http)
        r = await http.post(
            "/oss-upload", data=_form(policy), files={"file": ("a.png", b"x" * (2 << 20))}
        )
        assert (r.status_code, r.json()["code"]) == (400, "EntityTooLarge")


# -- quotas and faults -------------------------------------------------------------------------


async def test_third_live_task_is_throttled_in_reject_mode(http, emulator_app, clock):
    for _ in range(2):
        assert (await submit(http)).status_code == 200
        clock.advance(1.0)
    r = await submit(http)
    assert (r.status_code, r.json()["code"]) == (429, "Throttling.RateQuota")
    await emulator_app.state.emulator.tasks.wait_idle()


async def test_third_live_task_waits_pending_in_queue_mode(clock):
    app = create_app(EmulatorConfig(clock=clock, quota_policy="queue"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://e"
    ) as http:
        ids = []
        for _ in range(3):
            ids.append((await submit(http)).json()["output"]["task_id"])
            clock.advance(0.6)
        clock.advance(1.0)
        states = [(await status_of(http, i))["output"]["task_status"] for i in ids]
        assert states == ["RUNNING", "RUNNING", "PENDING"]
        await app.state.emulator.tasks.wait_idle()
        clock.advance(2.5)
        await status_of(http, ids[0])
        await app.state.emulator.tasks.wait_idle()
        clock.advance(3)
        assert (await status_of(http, ids[2]))["output"]["task_status"] == "SUCCEEDED"


async def test_more_than_two_submits_a_second_are_throttled(clock):
    app = create_app(EmulatorConfig(clock=clock, quota_policy="queue"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://e"
    ) as http:
        codes = [(await submit(http)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        clock.advance(1.0)
        assert (await submit(http)).status_code == 200


async def test_more_than_20_queries_a_second_are_throttled(http):
    codes = [(await http.get("/api/v1/tasks/x", headers=HEADERS)).status_code for _ in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429


async def test_faults_by_schedule_status_drop_and_failed_task(http, emulator_app, clock):
    faults = emulator_app.state.emulator.config.faults
    faults.add("query", "status", status_code=503, code="ServiceUnavailable", times=2)
    assert [(await http.get("/api/v1/tasks/x", headers=HEADERS)).status_code for _ in range(3)] == [
        503,
        503,
        200,
    ]
    faults.add("submit", "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        await submit(http)
    faults.add("submit", "fail_task", code="InternalError.Algo", message="boom")
    task_id = (await submit(http)).json()["output"]["task_id"]
    out = (await run_to_end(http, emulator_app, clock, task_id))["output"]
    assert (out["task_status"], out["code"], out["message"]) == (
        "FAILED",
        "InternalError.Algo",
        "boom",
    )
    assert emulator_app.state.emulator.stats["submit"] == 2


async def test_drop_after_creates_the_task_but_sends_no_answer(http, emulator_app):
    emulator_app.state.emulator.config.faults.add("submit", "drop_after")
    with pytest.raises(httpx.RemoteProtocolError):
        await submit(http)
    assert len(emulator_app.state.emulator.tasks.tasks) == 1
    await emulator_app.state.emulator.tasks.wait_idle()


@pytest.mark.looptime  # the delay and the look in between are on the loop's virtual time
async def test_delay_after_creates_the_task_before_its_answer_leaves(http, emulator_app):
    emulator = emulator_app.state.emulator
    emulator.config.faults.add("submit", "delay_after", seconds=30)
    answer = asyncio.ensure_future(submit(http))
    await asyncio.sleep(10)
    assert len(emulator.tasks.tasks) == 1 and not answer.done()  # made, answer held
    r = await answer
    assert r.status_code == 200 and r.json()["output"]["task_id"] in emulator.tasks.tasks
    await emulator.tasks.wait_idle()


async def test_faults_by_probability_are_seeded(http, emulator_app):
    emulator_app.state.emulator.config.faults.add(
        "list", "status", status_code=500, times=None, probability=0.5
    )
    codes = [(await http.get("/api/v1/tasks", headers=HEADERS)).status_code for _ in range(40)]
    assert 5 < codes.count(500) < 35


async def test_faults_and_stats_over_http(http):
    r = await http.post(
        "/emulator/faults",
        json={
            "route": "query",
            "action": "status",
            "status_code": 429,
            "code": "Throttling",
            "headers": {"Retry-After": "3"},
        },
    )
    assert r.status_code == 200
    answer = await http.get("/api/v1/tasks/x", headers=HEADERS)
    assert answer.status_code == 429 and answer.headers["retry-after"] == "3"
    assert (
        await http.post("/emulator/faults", json={"route": "nowhere", "action": "x"})
    ).status_code == 400
    assert (await http.get("/emulator/stats")).json()["query"] == 1


async def test_samples_are_served_for_offline_urls(http):
    r = await http.get("/samples/source.mp4")
    assert r.status_code == 200 and media_io.probe(r.content).codec == "h264"
    assert (await http.get("/samples/nope.png")).status_code == 404


def test_manual_clock_is_the_only_time_source():
    clock = ManualClock(100.0)
    clock.advance(5)
    assert clock.now() == 105.0


# -- malformed requests: DashScope's JSON 400 naming the field, never a 500 (contract §15) ----

IMAGE = "http://emulator.local/samples/subject.png"
OSS_HEADERS = {**HEADERS, "X-DashScope-OssResourceResolve": "enable"}


def assert_bad(response, *names, code="InvalidParameter", status=400):
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["code"] == code and answer["request_id"], answer
    for name in names:
        assert name in answer["message"], answer["message"]


@pytest.mark.parametrize(
    "payload, field",
    [
        (
            body("image_reference", {"ref_images_url": [IMAGE]}, {"size": ["1280*720"]}),
            "parameters.size",
        ),
        (
            body("image_reference", {"ref_images_url": [IMAGE]}, {"size": {"w": 1280}}),
            "parameters.size",
        ),
        ({**OUTPAINT, "parameters": ["left_scale", 1.5]}, "parameters"),
        ({**OUTPAINT, "parameters": "left_scale=1.5"}, "parameters"),
        ({**OUTPAINT, "input": "video_outpainting"}, "input"),
        ([OUTPAINT], "body"),
        ({"input": OUTPAINT["input"]}, "model"),
        ({**OUTPAINT, "model": ["wan2.1-vace-plus"]}, "model"),
        (body(inp={"video_url": SAMPLE, "function": {"f": 1}}), "input.function"),
        (body(inp={"video_url": SAMPLE}, params={"seed": 7.0}), "parameters.seed"),
        (body(inp={"video_url": SAMPLE}, params={"duration": 5.0}), "parameters.duration"),
        (body(inp={"video_url": SAMPLE}, params={"watermark": "false"}), "parameters.watermark"),
        (body(inp={"video_url": SAMPLE}, params={"top_scale": "1.5"}), "parameters.top_scale"),
        (body(inp={"video_url": [SAMPLE]}), "input.video_url"),
        (body(inp={"video_url": SAMPLE, "prompt": ["p"]}), "input.prompt"),
        (body("video_edit", {"video_url": SAMPLE, "mask_image_url": []}), "input.mask_image_url"),
        (
            body(
                "video_edit", {"video_url": SAMPLE, "mask_image_url": IMAGE, "mask_frame_id": "2"}
            ),
            "input.mask_frame_id",
        ),
        (
            body(
                "video_repainting",
                {"video_url": SAMPLE, "ref_images_url": [IMAGE, IMAGE]},
                {"control_condition": "depth"},
            ),
            "input.ref_images_url",
        ),
        (
            body(
                "video_repainting",
                {"video_url": SAMPLE, "ref_images_url": IMAGE},
                {"control_condition": "depth"},
            ),
            "input.ref_images_url",
        ),
        (body("image_reference", {"ref_images_url": [None]}), "input.ref_images_url"),
        (body("image_reference", {"ref_images_url": IMAGE}), "input.ref_images_url"),
        (body("image_reference", {"ref_images_url": []}), "input.ref_images_url"),
        (
            body("image_reference", {"ref_images_url": [IMAGE]}, {"obj_or_bg": "obj"}),
            "parameters.obj_or_bg",
        ),
    ],
)
async def test_ill_typed_fields_are_a_json_400_naming_the_field(http, payload, field):
    assert_bad(await submit(http, payload), field)


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000,
        b'{"a":' * 100_000,
        b'{"model": NaN}',
        b'{"model": "wan2.1-vace-plus", "input": {"prompt": Infinity}}',
        b"\xff\xfe not utf-8",
        b"",
        b'{"model": "wan2.1-vace-plus"',
    ],
)
async def test_bodies_that_are_not_json_are_a_json_400(http, content):
    assert_bad(await http.post(SUBMIT, content=content, headers=HEADERS), "body")


async def test_a_body_over_the_size_limit_is_refused_before_it_is_read_whole(http):
    huge = body(inp={"video_url": SAMPLE, "prompt": "x" * (2 << 20)})
    assert_bad(await submit(http, huge), "larger than 1048576 bytes")


@pytest.mark.parametrize(
    "function, inp, params, field",
    [
        (
            "video_extension",
            {"first_frame_url": "", "last_frame_url": IMAGE},
            {},
            "input.first_frame_url",
        ),
        ("video_outpainting", {"video_url": "https:///v.mp4"}, {}, "input.video_url"),
        ("video_outpainting", {"video_url": "http://[::1/v.mp4"}, {}, "input.video_url"),
        ("video_outpainting", {"video_url": "oss://"}, {}, "input.video_url"),
        (
            "video_edit",
            {"video_url": SAMPLE, "mask_image_url": IMAGE, "mask_video_url": ""},
            {},
            "input.mask_video_url",
        ),
        ("video_outpainting", {"video_url": "https://例子.com/v.mp4"}, {}, "Chinese"),
        ("video_outpainting", {"video_url": "https://example.com/\U00020000.mp4"}, {}, "Chinese"),
        ("video_outpainting", {"video_url": "https://example.com/\u2f00.mp4"}, {}, "Chinese"),
    ],
)
async def test_empty_hostless_and_chinese_urls_are_refused_as_the_client_does(
    http, function, inp, params, field
):
    assert_bad(await submit(http, body(function, inp, params)), field)


async def test_null_is_the_same_as_leaving_a_field_out(http, emulator_app):
    payload = body(
        inp={"video_url": SAMPLE, "mask_image_url": None}, params={"seed": None, "top_scale": None}
    )
    r = await submit(http, payload)
    assert r.status_code == 200, r.text
    task = emulator_app.state.emulator.tasks.tasks[r.json()["output"]["task_id"]]
    assert task.body["parameters"] == {} and "mask_image_url" not in task.body["input"]
    await emulator_app.state.emulator.tasks.wait_idle()


@pytest.mark.parametrize(
    "tags",
    [["obj", "bg", "bg"], ["obj", "obj", "obj"], ["bg", "obj", "obj", "obj"]],
)
async def test_obj_or_bg_longer_than_the_images_is_refused_not_cut(http, tags):
    payload = body("image_reference", {"ref_images_url": [IMAGE, IMAGE]}, {"obj_or_bg": tags})
    assert_bad(await submit(http, payload), "ref_images_url and obj_or_bg must be the same length.")


async def test_a_fourth_image_is_dropped_with_its_tag(http, emulator_app):
    payload = body(
        "image_reference",
        {"ref_images_url": [IMAGE] * 4},
        {"obj_or_bg": ["obj", "obj", "obj", "bg"]},
    )
    r = await submit(http, payload)
    task = emulator_app.state.emulator.tasks.tasks[r.json()["output"]["task_id"]]
    assert task.body["parameters"]["obj_or_bg"] == ["obj"] * 3
    assert len(task.body["input"]["ref_images_url"]) == 3
    await emulator_app.state.emulator.tasks.wait_idle()


@pytest.mark.parametrize(
    "function, inp, params",
    [
        ("video_edit", {"video_url": SAMPLE, "mask_image_url": IMAGE}, {"control_condition": ""}),
        (
            "video_edit",
            {"video_url": SAMPLE, "mask_video_url": SAMPLE, "mask_frame_id": 3},
            {"mask_type": "fixed", "expand_ratio": 0.2},
        ),
        (
            "video_edit",
            {"video_url": SAMPLE, "mask_image_url": IMAGE},
            {"mask_type": "fixed", "expand_mode": "bbox"},
        ),
        ("video_extension", {"first_frame_url": IMAGE}, {"control_condition": "depth"}),
    ],
)
async def test_what_the_reference_allows_is_accepted_as_the_client_accepts_it(
    http, emulator_app, function, inp, params
):
    assert (await submit(http, body(function, inp, params))).status_code == 200
    await emulator_app.state.emulator.tasks.wait_idle()


async def test_a_motion_video_with_the_empty_condition_is_refused(http):
    inp = {"first_frame_url": IMAGE, "video_url": SAMPLE}
    r = await submit(http, body("video_extension", inp, {"control_condition": ""}))
    assert_bad(r, "parameters.control_condition")


# -- media checks after download ----------------------------------------------------------------


async def _upload(http, name: str, data: bytes) -> str:
    policy = await _policy(http)
    r = await http.post("/oss-upload", data=_form(policy, name), files={"file": (name, data)})
    assert r.status_code == 200
    return f"oss://{policy['upload_dir']}/{name}"


async def test_a_small_video_with_its_small_mask_succeeds(http, emulator_app, clock):
    """A mask follows its video's resolution; the 360–2000 px rule is for reference images."""
    np = pytest.importorskip("numpy")
    frames = [np.full((240, 320, 3), 40 + i, np.uint8) for i in range(32)]
    video = await _upload(http, "small.mp4", media_io.encode_mp4(frames, 16))
    mask = await _upload(
        http, "small-mask.png", media_io.encode_image(np.full((240, 320, 3), 255, np.uint8))
    )
    inp = {"video_url": video, "mask_image_url": mask, "mask_frame_id": 33}  # 16 fps × 2 s + 1
    r = await submit(http, body("video_edit", inp), OSS_HEADERS)
    out = (await run_to_end(http, emulator_app, clock, r.json()["output"]["task_id"]))["output"]
    assert out["task_status"] == "SUCCEEDED", out


async def test_a_mask_frame_past_the_video_fails_the_task_only_with_a_mask_image(
    http, emulator_app, clock
):
    inp = {
        "video_url": SAMPLE,
        "mask_image_url": "http://emulator.local/samples/mask.png",
        "mask_frame_id": 500,
    }
    r = await submit(http, body("video_edit", inp))
    out = (await run_to_end(http, emulator_app, clock, r.json()["output"]["task_id"]))["output"]
    assert (out["task_status"], out["code"]) == ("FAILED", "InvalidParameter")
    assert "input.mask_frame_id must be in [1, 91]" in out["message"]
    inp = {"video_url": SAMPLE, "mask_video_url": SAMPLE, "mask_frame_id": 500}  # ignored there
    r = await submit(http, body("video_edit", inp))
    out = (await run_to_end(http, emulator_app, clock, r.json()["output"]["task_id"]))["output"]
    assert out["task_status"] == "SUCCEEDED", out


# -- queries, ranges, routes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, name",
    [
        ({"page_no": "abc"}, "page_no"),
        ({"page_no": "1.5"}, "page_no"),
        ({"page_no": "9" * 5000}, "page_no"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "-3"}, "page_size"),
        ({"page_size": ""}, "page_size"),
        ({"status": "DONE"}, "status"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"start_time": "99999999999999"}, "start_time"),
    ],
)
async def test_bad_list_queries_are_a_json_400_naming_the_parameter(http, query, name):
    assert_bad(await http.get("/api/v1/tasks", params=query, headers=HEADERS), name)


async def test_list_status_filter_takes_both_spellings_of_canceled(http):
    r = await http.get("/api/v1/tasks", params={"status": "CANCELLED"}, headers=HEADERS)
    assert r.status_code == 200 and r.json()["total"] == 0


@pytest.mark.parametrize(
    "header",
    ["bytes=abc-", "bytes=-", "bytes=5-2", "bytes=0-1,4-5", "items=0-1", "bytes=" + "9" * 40 + "-"],
)
async def test_malformed_ranges_are_ignored_as_oss_does(http, header):
    whole = (await http.get("/samples/subject.png")).content
    r = await http.get("/samples/subject.png", headers={"Range": header})
    assert r.status_code == 200 and r.content == whole


async def test_ranges_past_the_end_are_416_and_suffixes_are_served(http):
    whole = (await http.get("/samples/subject.png")).content
    r = await http.get("/samples/subject.png", headers={"Range": f"bytes={len(whole)}-"})
    assert_bad(r, code="InvalidRange", status=416)
    assert r.headers["content-range"] == f"bytes */{len(whole)}"
    assert_bad(
        await http.get("/samples/subject.png", headers={"Range": "bytes=-0"}),
        code="InvalidRange",
        status=416,
    )
    tail = await http.get("/samples/subject.png", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole[-10:]
    end = await http.get("/samples/subject.png", headers={"Range": f"bytes=10-{10 * len(whole)}"})
    assert end.status_code == 206 and end.content == whole[10:]


@pytest.mark.parametrize(
    "method, path, status, code",
    [
        ("GET", "/nowhere", 404, "NotFound"),
        ("DELETE", SUBMIT, 405, "MethodNotAllowed"),
        ("GET", "/api/v1/tasks/x/cancel", 405, "MethodNotAllowed"),
    ],
)
async def test_unknown_routes_and_methods_answer_json(http, method, path, status, code):
    assert_bad(await http.request(method, path, headers=HEADERS), code=code, status=status)


async def test_a_malformed_upload_form_answers_json(http):
    r = await http.post(
        "/oss-upload",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert r.status_code == 400 and r.json()["request_id"] and r.json()["code"]


# -- the fault hook checks what it is given --------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        {"route": "list", "action": "status", "times": "x"},
        {"route": "list", "action": "status", "times": 0},
        {"route": "list", "action": "status", "times": True},
        {"route": "list", "action": "status", "probability": 2},
        {"route": "list", "action": "status", "status_code": "500"},
        {"route": "list", "action": "status", "status_code": 200},
        {"route": "list", "action": "status", "code": 5},
        {"route": "list", "action": "delay", "seconds": 10**9},
        {"route": "list", "action": "delay", "seconds": -1},
        {"route": "list", "action": "status", "headers": {"Bad\nName": "v"}},
        {"route": "list", "action": "status", "headers": {"X-A": "line\r\nbreak"}},
        {"route": "list", "action": "status", "headers": ["X-A", "1"]},
        {"route": "list", "action": "status", "colour": "red"},
        {"route": ["list"], "action": "status"},
        {"action": "status"},
        ["list", "status"],
    ],
)
async def test_ill_typed_faults_are_refused_and_never_break_a_route(http, spec):
    assert_bad(await http.post("/emulator/faults", json=spec), "fault")
    listed = await http.get("/api/v1/tasks", headers=HEADERS)
    assert listed.status_code == 200 and listed.json()["total"] == 0


async def test_faults_are_json_only(http):
    text = '{"route": "list", "action": "status"}'
    r = await http.post("/emulator/faults", content=text, headers={"Content-Type": "text/plain"})
    assert_bad(r, "application/json")
    assert (
        await http.post(
            "/emulator/faults", content="{", headers={"Content-Type": "application/json"}
        )
    ).status_code == 400
    assert (await http.get("/api/v1/tasks", headers=HEADERS)).status_code == 200


def test_faults_check_their_fields_in_python_too():
    from wanvace_widgets.emulator import Faults

    faults = Faults()
    with pytest.raises(ValueError, match="times"):
        faults.add("list", "status", times="x")
    with pytest.raises(TypeError):
        faults.add("list", "status", colour="red")
    assert faults.take("list") is None


# -- bounded memory: retention, result and upload budgets -------------------------------------


async def test_tasks_and_results_past_retention_are_forgotten(http, emulator_app, clock):
    store = emulator_app.state.emulator.tasks
    task_id = (await submit(http)).json()["output"]["task_id"]
    await run_to_end(http, emulator_app, clock, task_id)
    assert store.results.total > 0
    clock.advance(24 * 3600)
    assert (await status_of(http, task_id))["output"]["task_status"] == "UNKNOWN"
    assert store.tasks == {} and store.results.total == 0 and len(store.results) == 0


async def _stub_render(task):
    return b"\x01" * 1000, 5.0


async def test_result_videos_live_in_a_budget_oldest_dropped_first(clock):
    app = create_app(EmulatorConfig(clock=clock, result_cache_bytes=2500, pending_s=0, running_s=0))
    store = app.state.emulator.tasks
    store.renderer = _stub_render
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://emulator.local"
    ) as http:
        urls = []
        for _ in range(3):
            task_id = (await submit(http)).json()["output"]["task_id"]
            await store.wait_idle()
            urls.append((await status_of(http, task_id))["output"]["video_url"])
            clock.advance(1)
        assert store.results.total == 2000
        assert_bad(await http.get(urls[0]), code="NoSuchKey", status=404)
        assert [(await http.get(u)).content for u in urls[1:]] == [b"\x01" * 1000] * 2


async def test_uploaded_files_live_in_a_budget_oldest_dropped_first(clock):
    app = create_app(EmulatorConfig(clock=clock, upload_cache_bytes=3000))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://e"
    ) as http:
        first = await _upload(http, "a.png", b"a" * 2000)
        second = await _upload(http, "b.png", b"b" * 2000)
    store = app.state.emulator.uploads
    assert store.resolve(first, "wan2.1-vace-plus") is None
    assert store.resolve(second, "wan2.1-vace-plus") == b"b" * 2000


async def test_1500_submits_keep_memory_bounded(clock):
    """A long run (issue #11: 1,500 submits grew the emulator from 58 MB to 3 GB) stays
    within the result budget, and everything is forgotten after the retention."""
    psutil = pytest.importorskip("psutil")
    budget = 8 << 20
    config = EmulatorConfig(
        clock=clock, result_cache_bytes=budget, pending_s=0, running_s=0, submits_per_second=10**6
    )
    app = create_app(config)
    store = app.state.emulator.tasks

    async def render_256k(task):
        return bytes([len(store.tasks) % 251]) * (256 << 10), 5.0

    store.renderer = render_256k
    process = psutil.Process()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://e"
    ) as http:

        async def one():
            r = await submit(http)
            assert r.status_code == 200, r.text
            await store.wait_idle()
            clock.advance(0.1)
            return await status_of(http, r.json()["output"]["task_id"])

        for _ in range(50):  # warm up allocators and caches before measuring
            await one()
        before = process.memory_info().rss
        for _ in range(1450):
            assert (await one())["output"]["task_status"] == "SUCCEEDED"
        grown = process.memory_info().rss - before
        assert len(store.tasks) == 1500 and store.results.total <= budget
        assert grown < 64 << 20, f"RSS grew {grown >> 20} MB over 1,450 submits"
        clock.advance(24 * 3600 + 1)
        await status_of(http, "any")
        assert store.tasks == {} and store.results.total == 0
