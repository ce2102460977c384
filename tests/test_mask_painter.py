"""The mask painter without a browser: frames, operations from the page (good and bad),
the saved PNG, what state is synced and how much, and its wiring into VideoEditWidget."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import comm
import ipywidgets as W
import numpy as np
import pytest
import traitlets
from PIL import Image

import wanvace_widgets as wv
from tests.helpers import make_client, widget_tree
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.media.codec import MediaInfo, encode_image, encode_mp4
from wanvace_widgets.media.frame_previews import FRAME_MAX_SIDE, FramePreviews, mask_frame_limit
from wanvace_widgets.media.masks import OperationError
from wanvace_widgets.widgets import mask_painter
from wanvace_widgets.widgets.mask_painter import MaskPainter

SECRET = "sk-painter-secret-1234567890"
#: every trait the page sees; anything else stays in the kernel
SYNCED = {
    "width",
    "height",
    "frame_limit",
    "mask_frame_id",
    "shown_frame",
    "frame_jpeg",
    "growth_png",
    "mask_png",
    "applied_seq",
    "can_undo",
    "saved_as",
    "message",
}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """The kernel's working folder, as the notebook's folder is in Jupyter."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def sent(monkeypatch):
    """Every message widgets send to the page: (msg_type, data, bytes on the wire)."""
    log = []

    class Recording(comm.base_comm.BaseComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            size = len(json.dumps(data, default=str)) + sum(len(b) for b in buffers or ())
            log.append((msg_type, data, size))

    monkeypatch.setattr(comm, "create_comm", lambda **kw: Recording(**kw))
    return log


def page_says(painter, message):
    """What arrives when the page calls ``model.send(message)``."""
    painter._on_page_message(painter, message, [])


def stroke(points, radius=10, seq=None, erase=False):
    message = {"action": "draw", "shape": "stroke", "points": points, "radius": radius}
    if erase:
        message["erase"] = True
    return message if seq is None else message | {"seq": seq}


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# -- frames ------------------------------------------------------------------------------------


def test_the_painter_shows_a_small_jpeg_of_the_chosen_frame(media, workdir):
    painter = MaskPainter(video=media["source"])
    assert (painter.width, painter.height, painter.frame_limit) == (640, 360, 90)
    assert painter.shown_frame == 1 and painter.message == ""
    first = painter.frame_jpeg
    assert decode(first).format == "JPEG" and max(decode(first).size) <= FRAME_MAX_SIDE
    assert len(first) < 30_000
    painter.mask_frame_id = 10  # no event loop runs here: shown at once
    assert painter.shown_frame == 10 and painter.frame_jpeg != first

    # the figure walks right: on frame 10 its orange is further right than on frame 1
    def orange_x(jpeg):
        rgb = np.asarray(decode(jpeg)).astype(int)
        xs = np.nonzero((rgb[..., 0] > 200) & (abs(rgb[..., 1] - 140) < 40) & (rgb[..., 2] < 80))[1]
        return xs.mean()

    assert orange_x(painter.frame_jpeg) > orange_x(first) + 10


def test_the_frame_can_be_given_with_the_video(media, workdir):
    painter = MaskPainter(video=media["source"], mask_frame_id=12)
    assert painter.mask_frame_id == painter.shown_frame == 12
    assert MaskPainter(video=media["source"], mask_frame_id=500).shown_frame == 90


@pytest.mark.parametrize("asked, shown", [(0, 1), (-5, 1), (90, 90), (91, 90), (10**12, 90)])
def test_the_frame_is_bounded_by_the_videos_frames(media, workdir, asked, shown):
    painter = MaskPainter(video=media["source"])
    painter.mask_frame_id = asked
    assert painter.mask_frame_id == shown == painter.shown_frame


@pytest.mark.parametrize("value", ["10", 2.5, None, [10]])
def test_a_frame_of_the_wrong_type_from_the_page_is_refused(media, workdir, value):
    painter = MaskPainter(video=media["source"])
    with pytest.raises(traitlets.TraitError):
        painter.set_state({"mask_frame_id": value})
    assert painter.mask_frame_id == 1


async def test_scrubbing_decodes_only_where_the_scrubber_rests(media, workdir, monkeypatch):
    painter = MaskPainter(video=media["source"])
    asked = []
    original = FramePreviews.jpeg
    monkeypatch.setattr(FramePreviews, "jpeg", lambda self, i: asked.append(i) or original(self, i))
    for frame in range(2, 30, 3):  # a drag over the scrubber: many values, no pause
        painter.mask_frame_id = frame
    assert asked == [] and painter.shown_frame == 1
    await asyncio.sleep(mask_painter.FRAME_DEBOUNCE_S * 3)
    assert asked == [29] and painter.shown_frame == 29


def test_the_frame_limit_is_the_first_five_seconds():
    def info(fps, frames):
        return MediaInfo("video", "mp4", "h264", 64, 48, fps, frames / fps, frames, 1)

    assert mask_frame_limit(info(30, 90)) == 90
    assert mask_frame_limit(info(16, 81)) == 81
    assert mask_frame_limit(info(16, 200)) == 81  # 16 fps × 5 s + 1, as the reference says
    assert mask_frame_limit(info(30, 600)) == 151


def test_a_video_with_fewer_frames_than_it_says_stops_at_its_last(tmp_path):
    frames = [np.full((48, 64, 3), 40 * i, np.uint8) for i in range(5)]
    previews = FramePreviews(encode_mp4(frames, 20))
    previews.limit = 8  # as if the header had said 8
    assert previews.jpeg(8)[0] == 5 and previews.limit == 5
    assert previews.jpeg(3)[0] == 3  # earlier frames are kept: no second decode


@pytest.mark.parametrize(
    "video, says",
    [
        (b"not a video at all", "cannot paint on this video"),
        ("missing.mp4", "cannot paint on this video"),
        ("https://example.com/source.mp4", "only a local file"),
    ],
)
def test_a_video_that_cannot_be_read_leaves_the_painter_empty_and_says_why(workdir, video, says):
    painter = MaskPainter(video=video)
    assert painter.frame_limit == 0 and painter.frame_jpeg == b"" and says in painter.message
    page_says(painter, stroke([10, 10], seq=1))
    assert "choose a local source video" in painter.message and painter.mask is None


def test_an_image_is_not_a_video_to_paint_on(media, workdir):
    painter = MaskPainter(video=media["subject"])
    assert painter.frame_limit == 0 and "not a video" in painter.message


def test_an_uploaded_video_works_as_bytes(media, workdir):
    painter = MaskPainter(video=media["source"].read_bytes())
    page_says(painter, stroke([100, 100], seq=1))
    assert painter.saved_as == "masks/upload-mask.png"


# -- operations from the page, and the saved mask --------------------------------------------------


def test_a_stroke_from_the_page_is_saved_as_a_black_and_white_png(media, workdir):
    painter = MaskPainter(video=media["source"])
    page_says(painter, stroke([100, 100, 300, 200], radius=12, seq=41))
    assert painter.saved_as == "masks/source-mask.png"  # relative to the notebook
    path = workdir / "masks" / "source-mask.png"
    assert painter.mask_path == str(path) and painter.owns("masks/source-mask.png")
    rgb = np.asarray(Image.open(path))
    assert rgb.shape == (360, 640, 3)
    assert {tuple(c) for c in np.unique(rgb.reshape(-1, 3), axis=0)} == {(0, 0, 0), (255, 255, 255)}
    assert ((rgb[..., 0] == 255) == painter.mask).all() and painter.mask[150, 200]
    assert painter.applied_seq == 41 and painter.can_undo and painter.message == ""
    tint = np.asarray(decode(painter.mask_png).convert("RGBA"))
    assert ((tint[..., 3] > 0) == painter.mask).all()


def test_undo_invert_and_clear_from_the_page(media, workdir):
    painter = MaskPainter(video=media["source"])
    page_says(painter, stroke([100, 100, 300, 200], seq=1))
    painted = painter.mask.copy()
    page_says(painter, {"action": "invert", "seq": 2})
    assert (painter.mask == ~painted).all()
    page_says(painter, {"action": "undo", "seq": 3})
    assert (painter.mask == painted).all()
    page_says(painter, {"action": "clear", "seq": 4})
    assert not painter.mask.any() and painter.mask_path == "" and painter.saved_as == ""
    page_says(painter, {"action": "undo", "seq": 5})
    page_says(painter, {"action": "undo", "seq": 6})
    assert not painter.mask.any() and not painter.can_undo and painter.applied_seq == 6
    page_says(painter, {"action": "undo", "seq": 7})  # nothing left: no harm
    assert painter.message == "" and painter.applied_seq == 7


@pytest.mark.parametrize(
    "message",
    [
        None,
        "draw",
        [1, 2, 3],
        {"seq": 5},
        {"action": "draw", "shape": "stroke", "points": [1, 2, 3], "radius": 4, "seq": 5},
        {"action": "draw", "shape": "stroke", "points": [1, "2"], "radius": 4, "seq": 5},
        {"action": "draw", "shape": "stroke", "points": [1, 2], "radius": 1e9, "seq": 5},
        {"action": "draw", "shape": "polygon", "points": [1, 2] * 5000, "seq": 5},
        {"action": "draw", "shape": "rect", "points": [0, 0, 10, 10], "erase": "no", "seq": 5},
    ],
)
def test_a_malformed_message_draws_nothing_and_says_so(media, workdir, message):
    painter = MaskPainter(video=media["source"])
    page_says(painter, stroke([100, 100], seq=1))
    before = painter.mask.copy()
    page_says(painter, message)
    assert painter.message.startswith("ignored: ")
    assert (painter.mask == before).all() and painter.saved_as == "masks/source-mask.png"
    page_says(painter, stroke([200, 100], seq=9))
    assert painter.message == ""  # the next good one clears the complaint


@pytest.mark.parametrize("seq", [None, "7", True, -1, 0, 2**60, 1.5])
def test_only_a_sane_sequence_number_is_echoed(media, workdir, seq):
    painter = MaskPainter(video=media["source"])
    page_says(painter, stroke([100, 100], seq=3))
    message = stroke([120, 100])
    if seq is not None:
        message["seq"] = seq
    page_says(painter, message)
    assert painter.applied_seq == 3 and painter.mask[100, 120]


def test_a_mask_is_never_written_over_a_file_the_painter_did_not_write(media, workdir):
    (workdir / "masks").mkdir()
    (workdir / "masks" / "source-mask.png").write_bytes(b"the user's own")
    painter = MaskPainter(video=media["source"])
    page_says(painter, stroke([100, 100], seq=1))
    page_says(painter, stroke([200, 100], seq=2))
    assert painter.saved_as == "masks/source-mask-2.png"
    assert (workdir / "masks" / "source-mask.png").read_bytes() == b"the user's own"
    again = MaskPainter(video=media["source"])  # a second painter: its own file again
    page_says(again, stroke([100, 100], seq=1))
    assert again.saved_as == "masks/source-mask-3.png"


def test_a_mask_that_cannot_be_saved_says_so(media, workdir):
    (workdir / "not-a-folder").write_text("x")
    painter = MaskPainter(video=media["source"], save_dir="not-a-folder/masks")
    page_says(painter, stroke([100, 100], seq=1))
    assert "cannot save the mask" in painter.message and painter.mask_path == ""
    assert painter.mask[100, 100]  # the painting itself is kept


def test_an_existing_mask_is_loaded_to_touch_up(media, workdir):
    painter = MaskPainter(video=media["source"], mask=media["mask"])
    original = np.asarray(Image.open(media["mask"]))[..., 0] == 255
    assert (painter.mask == original).all() and painter.mask_path == "" and not painter.can_undo
    page_says(painter, stroke([600, 50], radius=20, seq=1))
    assert painter.mask[50, 600] and (painter.mask[original]).all()
    page_says(painter, {"action": "undo", "seq": 2})
    assert (painter.mask == original).all()  # undo stops at the loaded mask


def test_a_mask_of_another_size_is_scaled_and_a_bad_one_refused(media, workdir):
    painter = MaskPainter(video=media["source"])
    small = np.zeros((90, 160, 3), np.uint8)
    small[:, 80:] = 255
    painter.load_mask(encode_image(small))
    assert "160x90: scaled to the video's 640x360" in painter.message
    assert painter.mask[:, 320:].all() and not painter.mask[:, :320].any()
    painter.load_mask(b"garbage")
    assert painter.message.startswith("cannot load the mask") and painter.mask[:, 320:].all()


def test_python_calls_raise_what_the_page_only_hears_about(media, workdir):
    painter = MaskPainter()
    with pytest.raises(OperationError, match="local source video"):
        painter.invert()
    painter.video = media["source"]
    painter.invert()
    assert painter.mask.all() and painter.undo() and not painter.undo()
    with pytest.raises(OperationError):
        painter.apply({"action": "draw", "shape": "rect", "points": [1]})


# -- what crosses to the page ------------------------------------------------------------------------


def test_the_synced_state_is_small_and_holds_no_paths_but_the_relative_one(media, workdir, sent):
    painter = MaskPainter(video=media["source"])
    page_says(painter, stroke([100, 100, 300, 200], seq=1))
    state = painter.get_state()
    ours = {name for name in painter.traits(sync=True) if not name.startswith("_")}
    assert ours - {"layout", "tabbable", "tooltip"} == SYNCED
    assert "video" not in state and "mask_path" not in state
    assert str(workdir) not in json.dumps({k: v for k, v in state.items() if isinstance(v, str)})
    data = {k: v for k, v in state.items() if k not in ("_esm", "_css")}
    size = sum(
        len(v) if isinstance(v, (bytes, memoryview)) else len(json.dumps(v)) for v in data.values()
    )
    assert size < 15_000, size  # the frame JPEG is most of it
    assert len(painter.mask_png) < 1_000 and len(painter.growth_png) < 1_500
    assert len(state["_esm"]) < 20_000


def test_one_finished_stroke_is_one_small_update_to_the_page(media, workdir, sent):
    painter = MaskPainter(video=media["source"])
    sent.clear()
    page_says(painter, stroke([100, 100, 140, 120, 200, 150, 300, 200], seq=1))
    assert [m[0] for m in sent] == ["comm_msg"]
    data = sent[0][1]
    changed = set(data["state"]) | {path[0] for path in data["buffer_paths"]}
    # the tinted mask and the line it grows to (mask_type tracking, the default)
    assert changed == {"mask_png", "growth_png", "applied_seq", "can_undo", "saved_as"}
    assert sent[0][2] < 2_500
    sent.clear()
    page_says(painter, {"action": "undo", "seq": 2})
    assert len(sent) == 1


# -- in VideoEditWidget ----------------------------------------------------------------------------------


@pytest.fixture
async def client(tmp_path):
    client = make_client(
        create_app(EmulatorConfig(pending_s=0.05, running_s=0.1)), tmp_path, api_key=SECRET
    )
    yield client
    await client.aclose()


def controls(widget):
    return {
        name: widget.controls[name].control for name in ("video", "mask_image", "mask_frame_id")
    }


async def test_the_edit_form_paints_into_its_mask_field_and_generates(media, workdir, client):
    widget = wv.VideoEditWidget(client=client)
    painter, form = widget.painter, controls(widget)
    tree = widget_tree(widget)  # under the mask frame it sets, in the main column
    assert tree.index(painter) > tree.index(widget.controls["mask_frame_id"].widget)
    assert painter not in widget_tree(widget.advanced) and painter.frame_limit == 0
    widget.controls["prompt"].write("A knight.")
    form["video"].set_value(str(media["source"]))
    assert painter.frame_limit == 90 and not widget.ready  # no mask yet
    form["mask_frame_id"].value = 10
    assert painter.mask_frame_id == 10
    page_says(painter, stroke([100, 100, 300, 200], seq=1))
    assert form["mask_image"].value == "masks/source-mask.png"
    assert form["mask_image"].preview_html == ""  # the painter shows this mask: one view
    page_says(painter, stroke([500, 50, 600, 300], seq=2))  # same file, new content
    request = widget.request
    assert request.mask_image == "masks/source-mask.png" and request.mask_frame_id == 10
    assert widget.ready
    task = widget.submit()
    await widget.wait(30)
    assert task.status == "SUCCEEDED"
    state = json.dumps(W.Widget.get_manager_state()["state"], default=str)
    assert SECRET not in state and SECRET not in repr(painter)


async def test_the_form_and_the_painter_keep_the_same_frame(media, workdir, client):
    widget = wv.VideoEditWidget(client=client)
    painter, form = widget.painter, controls(widget)
    form["video"].set_value(str(media["source"]))
    form["mask_frame_id"].value = 500  # typed past the video's 90 frames
    assert painter.mask_frame_id == 90  # the painter shows the last frame it has
    assert form["mask_frame_id"].value == 500  # not changed silently: the form refuses it
    painter.mask_frame_id = 12  # the scrubber
    assert form["mask_frame_id"].value == 12


async def test_clearing_the_painting_empties_the_mask_field(media, workdir, client):
    widget = wv.VideoEditWidget(client=client)
    painter, form = widget.painter, controls(widget)
    form["video"].set_value(str(media["source"]))
    page_says(painter, stroke([100, 100], seq=1))
    page_says(painter, {"action": "clear", "seq": 2})
    assert form["mask_image"].value is None and not widget.ready
    page_says(painter, {"action": "undo", "seq": 3})
    assert form["mask_image"].value == "masks/source-mask.png"


async def test_a_mask_picked_in_the_form_is_loaded_into_the_painter(media, workdir, client):
    request = wv.VideoEdit(
        prompt="x", video=media["source"], mask_image=media["mask"], mask_frame_id=3
    )
    widget = wv.VideoEditWidget(client=client, request=request)
    painter, form = widget.painter, controls(widget)
    original = np.asarray(Image.open(media["mask"]))[..., 0] == 255
    assert (painter.mask == original).all() and painter.mask_frame_id == 3
    page_says(painter, stroke([600, 50], radius=20, seq=1))  # touch it up
    assert form["mask_image"].value == "masks/source-mask.png"
    assert (
        media["mask"].exists()
        and (np.asarray(Image.open(media["mask"]))[..., 0] == 255).sum() == original.sum()
    )
    form["mask_image"].set_value(str(media["mask"]))  # picked again: loaded again
    assert (painter.mask == original).all() and painter.mask_path == ""


async def test_a_remote_video_or_mask_leaves_the_painter_alone(media, workdir, client):
    widget = wv.VideoEditWidget(client=client)
    painter, form = widget.painter, controls(widget)
    form["video"].set_value(str(media["source"]))
    page_says(painter, stroke([100, 100], seq=1))
    form["mask_image"].set_value("https://example.com/mask.png")
    assert painter.mask[100, 100]
    form["video"].set_value("https://example.com/video.mp4")
    assert painter.frame_limit == 0 and painter.mask is None


async def test_a_mask_chosen_before_the_video_is_loaded_when_the_video_comes(
    media, workdir, client
):
    widget = wv.VideoEditWidget(client=client)
    painter, form = widget.painter, controls(widget)
    form["mask_image"].set_value(str(media["mask"]))
    assert painter.mask is None
    form["video"].set_value(str(media["source"]))
    assert (painter.mask == (np.asarray(Image.open(media["mask"]))[..., 0] == 255)).all()


def test_the_repr_names_the_video_and_mask_but_no_folder_or_bytes(media, workdir):
    painter = MaskPainter(video=media["source"])
    page_says(painter, stroke([100, 100], seq=1))
    assert (
        repr(painter)
        == "MaskPainter(video='source.mp4', mask_frame_id=1, mask='masks/source-mask.png')"
    )
    assert (
        repr(MaskPainter(video=b"\x00" * 2048))
        == "MaskPainter(video='<2,048 bytes>', mask_frame_id=1)"
    )
    assert repr(MaskPainter()) == "MaskPainter(video=None, mask_frame_id=1)"


def test_the_front_end_modules_ship_in_the_wheel(tmp_path):
    """The painter's page side is plain files in the package: a wheel must carry them."""
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = tmp_path.glob("wanvace_widgets-*.whl")
    static = root / "wanvace_widgets" / "widgets" / "static"
    with zipfile.ZipFile(wheel) as archive:
        for path in static.iterdir():  # the painter's, the preview's, the job buttons'
            shipped = archive.read(f"wanvace_widgets/widgets/static/{path.name}")
            assert shipped == path.read_bytes()
    assert MaskPainter()._esm == (static / "mask_painter.js").read_text()  # the module, not a path
