"""The emulator as wan2.7-videoedit (docs/api-contract.md §17): the documented bodies are
taken, the documented invalid ones refused with a 400 naming the field, file checks after
the download end the task FAILED, and the result is a real MP4 that follows the
instruction, the reference images, ``resolution``/``ratio``/``duration`` and
``audio_setting``, billed as the source's seconds plus the output's."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tests.helpers import HEADERS, SUBMIT
from tests.test_emulator import _form, _policy, run_to_end, status_of
from wanvace_widgets.contract import constants as c
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.emulator.timing import typical_running_s
from wanvace_widgets.media import codec as media_io

BASE = "http://emulator.local/samples/"
SOURCE = BASE + "source.mp4"  # 3 s, 640x360, 30 fps, no sound
SOUNDED = BASE + "source_sound.mp4"  # the same walk with a tune
SUBJECT = BASE + "subject.png"
OSS_HEADERS = {**HEADERS, "X-DashScope-OssResourceResolve": "enable"}


def edit(prompt="Convert the entire scene to claymation", media=None, **parameters) -> dict:
    media = [{"type": "video", "url": SOURCE}] if media is None else media
    inp = {"media": media} | ({} if prompt is None else {"prompt": prompt})
    return {"model": c.EDIT27_MODEL, "input": inp, "parameters": parameters}


def with_input(payload: dict, **fields) -> dict:
    """``payload`` with more fields in its ``input``."""
    return {**payload, "input": {**payload["input"], **fields}}


async def finished(http, app, clock, payload, headers=HEADERS) -> dict:
    r = await http.post(SUBMIT, json=payload, headers=headers)
    assert r.status_code == 200, r.text
    return await run_to_end(http, app, clock, r.json()["output"]["task_id"])


async def result(http, app, clock, payload, headers=HEADERS) -> bytes:
    done = await finished(http, app, clock, payload, headers)
    assert done["output"]["task_status"] == "SUCCEEDED", done
    return (await http.get(done["output"]["video_url"])).content


async def upload(http, name: str, data: bytes) -> str:
    """Put ``data`` in temporary storage for wan2.7-videoedit; its oss:// URL."""
    policy = await _policy(http, c.EDIT27_MODEL)
    r = await http.post("/oss-upload", data=_form(policy, name), files={"file": (name, data)})
    assert r.status_code == 200
    return f"oss://{policy['upload_dir']}/{name}"


def frames_of(video: bytes) -> list[np.ndarray]:
    return list(media_io.iter_frames(video))


def saturation(frame: np.ndarray) -> float:
    """How far the pixels are from grey, on average (0: black and white)."""
    pixels = frame[24:-24].astype(np.float32)  # the caption and the corner mark left out
    return float((pixels.max(axis=2) - pixels.min(axis=2)).mean())


# -- the documented bodies ------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        # the API reference's two examples
        edit(resolution="720P", prompt_extend=True, watermark=True),
        edit(
            "Dress the girl in the clothes of the picture",
            [{"type": "video", "url": SOURCE}, {"type": "reference_image", "url": SUBJECT}],
            resolution="1080P",
            ratio="16:9",
            duration=0,
            audio_setting="origin",
            prompt_extend=False,
            seed=2147483647,
        ),
        edit(None),  # no instruction: a style transfer of the model's choice (§17.2)
        edit(
            "x",
            [{"type": "reference_image", "url": SUBJECT}] * 4 + [{"type": "video", "url": SOURCE}],
            duration=10,
        ),
        with_input(edit("y" * 5001), negative_prompt="n" * 501),  # the server cuts both (§17.2)
    ],
)
async def test_the_documented_bodies_are_taken(http, payload):
    r = await http.post(SUBMIT, json=payload, headers=HEADERS)
    assert r.status_code == 200, r.text
    task = http._transport.app.state.emulator.tasks.tasks[r.json()["output"]["task_id"]]
    assert "function" not in task.body["input"] and task.function == c.INSTRUCTION_EDIT
    assert len(task.body["input"].get("prompt", "")) <= c.EDIT27_PROMPT_MAX_CHARS
    assert len(task.body["input"].get("negative_prompt", "")) <= 500


@pytest.mark.parametrize(
    "payload, names",
    [
        (edit(media=[]), "Field required: input.media[type=video]"),
        (edit(media=[{"type": "reference_image", "url": SUBJECT}]), "input.media[type=video]"),
        (edit(media=[{"type": "video", "url": SOURCE}] * 2), "takes one video, got 2"),
        (
            edit(
                media=[{"type": "video", "url": SOURCE}]
                + [{"type": "reference_image", "url": SUBJECT}] * 5
            ),
            "input.media[type=reference_image] takes at most 4 images, got 5",
        ),
        (edit(media=[{"type": "first_frame", "url": SUBJECT}]), "input.media entry 1 has type"),
        (edit(media=[{"type": "video"}]), "input.media entry 1 (video) has no url"),
        (edit(media={"type": "video", "url": SOURCE}), "input.media must be a JSON list"),
        (edit(media=[{"type": "video", "url": "ftp://e.com/a.mp4"}]), "input.media[type=video]"),
        (edit(""), "input.prompt is blank"),
        (with_input(edit(), negative_prompt=" "), "input.negative_prompt is blank"),
        (with_input(edit(), negative_prompt=["x"]), "input.negative_prompt must be text"),
        (edit(resolution="480P"), "parameters.resolution must be one of '720P' or '1080P'"),
        (edit(resolution="720p"), "parameters.resolution"),
        (edit(ratio="21:9"), "parameters.ratio must be one of '16:9', '9:16', '1:1'"),
        (edit(duration=1), "parameters.duration must be 0 (the source's length) or between 2"),
        (edit(duration=11), "parameters.duration"),
        (edit(duration=5.0), "parameters.duration must be a whole number"),
        (edit(audio_setting="none"), "parameters.audio_setting must be one of 'auto' or 'origin'"),
        (edit(seed=-1), "parameters.seed"),
        (edit(prompt_extend="yes"), "parameters.prompt_extend must be true or false"),
        (edit(watermark=1), "parameters.watermark"),
    ],
)
async def test_the_documented_invalid_bodies_are_a_400_naming_the_field(http, payload, names):
    r = await http.post(SUBMIT, json=payload, headers=HEADERS)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "InvalidParameter" and names in r.json()["message"]


async def test_an_uploaded_file_needs_the_resolve_header_naming_its_entry(http):
    url = await upload(http, "clip.mp4", (await http.get(SOURCE)).content)
    r = await http.post(SUBMIT, json=edit(media=[{"type": "video", "url": url}]), headers=HEADERS)
    assert r.status_code == 400 and "input.media[type=video]" in r.json()["message"]
    ok = await http.post(
        SUBMIT, json=edit(media=[{"type": "video", "url": url}]), headers=OSS_HEADERS
    )
    assert ok.status_code == 200


async def test_both_regions_serve_the_model_under_one_name(clock):
    for region in ("intl", "cn"):
        app = create_app(EmulatorConfig(clock=clock, region=region))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://emulator.local"
        ) as http:
            r = await http.post(SUBMIT, json=edit(), headers=HEADERS)
            assert r.status_code == 200, (region, r.text)
            typo = await http.post(
                SUBMIT, json={**edit(), "model": "wan2.7-video-edit"}, headers=HEADERS
            )
            assert (typo.status_code, typo.json()["code"]) == (404, "ModelNotFound")
            await app.state.emulator.tasks.wait_idle()


async def test_a_vace_body_sent_to_the_edit_model_is_read_by_the_edit_rules(http):
    vace = {"model": c.EDIT27_MODEL, "input": {"function": "video_edit", "prompt": "p",
            "video_url": SOURCE, "mask_image_url": SUBJECT}}  # fmt: skip
    r = await http.post(SUBMIT, json=vace, headers=HEADERS)
    assert r.status_code == 400 and "input.media[type=video]" in r.json()["message"]


async def test_quotas_are_per_model(http, emulator_app, clock):
    """Two live VACE tasks fill VACE's quota, not wan2.7-videoedit's (§12.3)."""
    vace = {"model": "wan2.1-vace-plus",
            "input": {"function": "video_outpainting", "prompt": "w", "video_url": SOURCE}}  # fmt: skip
    for _ in range(2):
        assert (await http.post(SUBMIT, json=vace, headers=HEADERS)).status_code == 200
        clock.advance(1.0)
    assert (await http.post(SUBMIT, json=vace, headers=HEADERS)).status_code == 429
    assert (await http.post(SUBMIT, json=edit(), headers=HEADERS)).status_code == 200
    await emulator_app.state.emulator.tasks.wait_idle()


# -- checks after the download: FAILED tasks -------------------------------------------------


@pytest.mark.parametrize(
    "media, parameters, code, words",
    [
        ([{"type": "video", "url": SUBJECT}], {}, "InvalidFile.Format", "MP4 or MOV"),
        ([{"type": "video", "url": BASE + "first_clip.mp4"}], {}, "InvalidFile.Duration", "2–10 s"),
        (
            [{"type": "video", "url": SOURCE}],
            {"duration": 5},
            "InvalidParameter",
            "parameters.duration",
        ),
        (
            [{"type": "video", "url": SOURCE}, {"type": "reference_image", "url": SOURCE}],
            {},
            "InvalidFile.Format",
            "input.media[type=reference_image]",
        ),
        ([{"type": "video", "url": "http://no-such-host.invalid/v.mp4"}], {}, "InvalidURL", ""),
    ],
)
async def test_files_the_server_refuses_after_download_end_the_task_failed(
    http, emulator_app, clock, media, parameters, code, words
):
    out = (await finished(http, emulator_app, clock, edit(media=media, **parameters)))["output"]
    assert (out["task_status"], out["code"]) == ("FAILED", code), out
    assert words in out["message"] and "video_url" not in out


async def test_small_narrow_and_tiny_images_fail_as_documented(http, emulator_app, clock):
    narrow = [np.full((240, 1940, 3), 90, np.uint8)] * 60  # 2 s, wider than 8:1
    video = await upload(http, "narrow.mp4", media_io.encode_mp4(narrow, 30))
    tiny = await upload(http, "tiny.png", media_io.encode_image(np.zeros((200, 300, 3), np.uint8)))
    cases = [
        ([{"type": "video", "url": video}], "sides must be between 1:8 and 8:1"),
        (
            [{"type": "video", "url": SOURCE}, {"type": "reference_image", "url": tiny}],
            "240–8000 px",
        ),
    ]
    for media, words in cases:
        out = (await finished(http, emulator_app, clock, edit(media=media), OSS_HEADERS))["output"]
        assert (out["task_status"], out["code"]) == ("FAILED", "InvalidFile.Resolution"), out
        assert words in out["message"]


async def test_a_mov_source_is_taken(http, emulator_app, clock, tmp_path):
    av = pytest.importorskip("av")
    path = tmp_path / "walk.mov"
    with av.open(str(path), "w", format="mov") as container:
        stream = container.add_stream("h264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(66):
            frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), i * 3, np.uint8), "rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    url = await upload(http, "walk.mov", path.read_bytes())
    video = await result(http, emulator_app, clock, edit(media=[{"type": "video", "url": url}],
                         resolution="720P"), OSS_HEADERS)  # fmt: skip
    assert media_io.probe(video).duration_s == pytest.approx(2.2, abs=0.05)


# -- the result -------------------------------------------------------------------------------


async def test_duration_zero_keeps_the_source_length_and_usage_bills_both(
    http, emulator_app, clock
):
    done = await finished(http, emulator_app, clock, edit(resolution="720P"))
    video = (await http.get(done["output"]["video_url"])).content
    info = media_io.probe(video)
    assert (info.codec, info.fps, info.width, info.height) == ("h264", 30.0, 1280, 720)
    assert info.duration_s == pytest.approx(3.0, abs=0.05) and info.frames == 90
    assert done["usage"] == {
        "duration": 6.0,
        "input_video_duration": 3.0,
        "output_video_duration": 3.0,
        "video_count": 1,
        "SR": 720,
    }


@pytest.mark.parametrize(
    "parameters, size, seconds",
    [
        ({"duration": 2, "resolution": "720P"}, (1280, 720), 2.0),
        ({"duration": 2, "resolution": "720P", "ratio": "3:4"}, (832, 1104), 2.0),
        ({"duration": 2, "ratio": "1:1"}, (1440, 1440), 2.0),  # 1080P by default
        ({"duration": 2}, (1920, 1080), 2.0),  # the source's 16:9 at 1080P
    ],
)
async def test_resolution_ratio_and_duration_shape_the_output(
    http, emulator_app, clock, parameters, size, seconds
):
    done = await finished(http, emulator_app, clock, edit(**parameters))
    info = media_io.probe((await http.get(done["output"]["video_url"])).content)
    assert (info.width, info.height) == size
    assert info.duration_s == pytest.approx(seconds, abs=0.05)
    assert done["usage"]["SR"] == int(parameters.get("resolution", "1080P")[:-1])
    assert done["usage"]["duration"] == 2 * seconds


async def test_the_result_follows_the_instruction(http, emulator_app, clock):
    source = frames_of((await http.get(SOURCE)).content)
    plain = frames_of(await result(http, emulator_app, clock, edit("make it black and white",
                                                                   resolution="720P")))  # fmt: skip
    blue = frames_of(await result(http, emulator_app, clock, edit("turn everything blue",
                                                                  resolution="720P")))  # fmt: skip
    assert saturation(source[45]) > 40 and saturation(plain[45]) < 4
    b, g, r = (blue[45][24:-24, :, k].mean() for k in (2, 1, 0))
    sb, sr = source[45][:, :, 2].mean(), source[45][:, :, 0].mean()
    assert b - r > sb - sr + 40  # washed blue, far more than the source is


async def test_the_result_shows_the_reference_images(http, emulator_app, clock):
    teal = np.full((600, 400, 3), 255, np.uint8)
    teal[100:560, 100:300] = (20, 200, 210)  # a subject on a plain background
    ref = await upload(http, "teal.png", media_io.encode_image(teal))
    media = [{"type": "video", "url": SOURCE}, {"type": "reference_image", "url": ref}]
    frames = frames_of(await result(http, emulator_app, clock,
                                    edit("put the teal figure in", media, resolution="720P",
                                         duration=2), OSS_HEADERS))  # fmt: skip
    without = frames_of(await result(http, emulator_app, clock,
                                     edit("put the teal figure in", resolution="720P",
                                          duration=2)))  # fmt: skip

    def teal_pixels(frame: np.ndarray) -> int:
        diff = np.abs(frame.astype(int) - (20, 200, 210)).sum(axis=2)
        return int((diff < 60).sum())

    assert teal_pixels(frames[30]) > 20_000 and teal_pixels(without[30]) < 500


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(a.shape[1], b.shape[1])
    return float(np.corrcoef(a[0, :n], b[0, :n])[0, 1])


async def test_origin_keeps_the_source_sound_and_silence(http, emulator_app, clock):
    tune, rate = media_io.read_audio((await http.get(SOUNDED)).content)
    sounded = edit("night", [{"type": "video", "url": SOUNDED}], audio_setting="origin",
                   resolution="720P", duration=2)  # fmt: skip
    kept = media_io.read_audio(await result(http, emulator_app, clock, sounded))
    assert kept is not None and kept[1] == rate
    assert kept[0].shape[1] == pytest.approx(2 * rate, rel=0.05)  # cut with the video
    assert _correlation(kept[0], tune) > 0.9
    silent = await result(http, emulator_app, clock, edit("night", audio_setting="origin",
                                                          resolution="720P", duration=2))  # fmt: skip
    assert not media_io.probe(silent).audio


async def test_auto_makes_sound_when_the_instruction_asks_and_keeps_it_otherwise(
    http, emulator_app, clock
):
    tune, _ = media_io.read_audio((await http.get(SOUNDED)).content)
    asked = await result(http, emulator_app, clock, edit("add cheerful music",
                                                         resolution="720P", duration=2))  # fmt: skip
    made = media_io.read_audio(asked)
    assert made is not None and np.abs(made[0]).max() > 0.05  # a silent source got sound
    kept = media_io.read_audio(await result(http, emulator_app, clock, edit(
        "snowy", [{"type": "video", "url": SOUNDED}], resolution="720P", duration=2)))  # fmt: skip
    assert kept is not None and _correlation(kept[0], tune) > 0.9


async def test_an_instruction_edit_is_timed_by_its_tier_and_length():
    short = typical_running_s(edit(resolution="720P", duration=2))
    usual = typical_running_s(edit(resolution="720P"))
    long = typical_running_s(edit(duration=10))
    assert short < usual < long <= 300  # "1 to 5 minutes" (§17.6)
    assert usual >= 30


async def test_the_task_lists_with_its_model(http, emulator_app, clock):
    r = await http.post(SUBMIT, json=edit(), headers=HEADERS)
    task_id = r.json()["output"]["task_id"]
    rows = (await http.get("/api/v1/tasks/", params={"model_name": c.EDIT27_MODEL},
                           headers=HEADERS)).json()["data"]  # fmt: skip
    assert [row["task_id"] for row in rows] == [task_id]
    assert (await status_of(http, task_id))["output"]["task_status"] in ("PENDING", "RUNNING")
    await emulator_app.state.emulator.tasks.wait_idle()
