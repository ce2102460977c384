"""Media: probing, encoding, previews and the sample files."""

import numpy as np
import pytest

from wanvace_widgets.contract import constants as contract
from wanvace_widgets.media import codec as media
from wanvace_widgets.media import samples


def _frames(n=12, w=96, h=64):
    return [np.full((h, w, 3), (i * 20) % 255, np.uint8) for i in range(n)]


def test_encoded_mp4_probes_as_h264_with_its_size_rate_and_length():
    data = media.encode_mp4(_frames(12), 24)
    info = media.probe(data)
    assert (info.kind, info.format, info.codec) == ("video", "mp4", "h264")
    assert (info.width, info.height, info.fps, info.frames) == (96, 64, 24.0, 12)
    assert info.duration_s == pytest.approx(0.5, abs=0.05)
    assert data[4:8] == b"ftyp" and data.index(b"moov") < data.index(b"mdat")  # faststart


def test_odd_sizes_are_cropped_to_even():
    info = media.probe(media.encode_mp4(_frames(3, w=95, h=63), 30))
    assert (info.width, info.height) == (94, 62)


def test_frames_decode_back_close_to_what_was_written():
    frames, fps = media.read_video(media.encode_mp4(_frames(10), 30), max_seconds=0.2)
    assert fps == 30.0 and len(frames) == 6
    assert abs(int(frames[3].mean()) - 60) <= 3


@pytest.mark.parametrize("data", [b"", b"garbage", b"\x89PNG\r\n\x1a\nnot really"])
def test_unreadable_data_is_a_clear_error(data):
    with pytest.raises(media.MediaReadError, match="readable"):
        media.probe(data)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(media.MediaReadError, match="cannot read"):
        media.probe(tmp_path / "nope.png")


def test_thumbnail_of_a_video_frame_is_small_jpeg():
    thumb = media.thumbnail(media.encode_mp4(_frames(12, 640, 360), 30), max_side=160, frame=4)
    info = media.probe(thumb)
    assert info.format == "jpeg" and max(info.width, info.height) == 160


def test_overlay_tints_only_white_mask_pixels():
    frame = np.zeros((4, 4, 3), np.uint8)
    mask = np.zeros((4, 4, 3), np.uint8)
    mask[:2] = 255
    out = media.overlay_mask(frame, mask)
    assert out[:2].any() and not out[2:].any()


def test_samples_meet_the_api_limits(tmp_path):
    paths = samples.write_samples(tmp_path)
    assert sorted(p.name for p in paths.values()) == sorted(samples.SAMPLE_NAMES)
    infos = {name: media.probe(path) for name, path in paths.items()}
    for name in ("subject", "background", "first_frame", "last_frame"):
        side = (infos[name].width, infos[name].height)
        assert all(contract.IMAGE_MIN_SIDE_PX <= s <= contract.IMAGE_MAX_SIDE_PX for s in side)
    for name in ("source", "first_clip", "last_clip"):
        assert infos[name].codec == "h264" and infos[name].fps >= contract.VIDEO_MIN_FPS
    clips = infos["first_clip"].duration_s + infos["last_clip"].duration_s
    assert clips <= contract.CLIP_MAX_SECONDS
    mask = media.read_image(paths["mask"])
    assert (infos["mask"].width, infos["mask"].height) == (
        infos["source"].width,
        infos["source"].height,
    )
    assert set(np.unique(mask)) == {0, 255}
    # the mask covers the figure in the first frame
    first = media.read_image(paths["first_frame"])
    figure = np.all(first == samples.FIGURE_COLOR, axis=2)
    assert figure.any() and (mask[..., 0][figure] == 255).all()


def test_samples_are_deterministic(tmp_path):
    a = samples.write_samples(tmp_path / "a")
    b = samples.write_samples(tmp_path / "b")
    assert a["subject"].read_bytes() == b["subject"].read_bytes()
    assert np.array_equal(media.read_image(a["mask"]), media.read_image(b["mask"]))


def test_a_sound_track_is_written_probed_and_read_back(tmp_path):
    files = samples.write_samples(tmp_path)
    info = media.probe(files["source_sound"])
    assert info.audio and info.duration_s == pytest.approx(3.0, abs=0.05)
    assert not media.probe(files["source"]).audio
    sound, rate = media.read_audio(files["source_sound"])
    expected, _ = samples.tune(3.0)
    assert rate == samples.AUDIO_RATE and sound.shape[0] == 2
    n = min(sound.shape[1], expected.shape[1])
    # AAC delays the start by its priming samples: compare the best-aligned stretch
    best = max(
        np.corrcoef(sound[0, shift:n], expected[0, : n - shift])[0, 1] for shift in (0, 1024, 2048)
    )
    assert best > 0.95
    assert media.read_audio(files["source"]) is None
    assert media.read_audio(files["source_sound"], 1.0)[0].shape[1] == samples.AUDIO_RATE
