"""The mask painter as a user meets it, in JupyterLab and in Notebook 7 (Chromium): pick
frame 10 of the sample video, drag the mouse over the canvas, invert and undo, press
Generate, and find the emulator's result changed inside the painted region only.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from PIL import Image

from tests.browser.conftest import (
    ARTIFACTS,
    ROOT,
    browser_page,
    require_chromium,
    running_jupyter,
)
from tests.browser.notebook import error_outputs, open_and_run, wait_for
from tests.browser.painting import CommTraffic, drag
from tests.browser.test_widgets_browser import SETUP, click_generate_and_play
from wanvace_widgets.media.codec import read_video

EDIT = ".wanvace-video_edit"
PAINTER = f"{EDIT} .wanvace-painter"
STAGE = f"{PAINTER} .wp-stage"
#: the drag, as fractions of the canvas: from left of the figure to the right, slightly down
DRAG = [(0.15, 0.30), (0.55, 0.45)]
FRAME = 10


def stage_data(page, key: str) -> str | None:
    return page.locator(STAGE).evaluate(f"stage => stage.dataset.{key} ?? null")


def media_text(page, index: int):
    """The text box of the form's ``index``-th media field (0: video, 1: mask image)."""
    return page.locator(f"{EDIT} .wanvace-media").nth(index).locator("input[type=text]")


def click_and_wait(page, action: str) -> None:
    """Press a painter button and wait until the kernel has answered it."""
    before = stage_data(page, "applied")
    page.locator(f"{PAINTER} [data-action={action}]").click()
    wait_for(
        page,
        f"before => document.querySelector('{STAGE}').dataset.applied !== before",
        f"the kernel did not answer {action}",
        arg=before,
    )


def read_mask_file(path) -> np.ndarray:
    rgb = np.asarray(Image.open(path).convert("RGB"))
    colours = {tuple(c) for c in np.unique(rgb.reshape(-1, 3), axis=0)}
    assert colours <= {(0, 0, 0), (255, 255, 255)}, colours
    return rgb[..., 0] == 255


def distance_to_segment(shape, a, b) -> np.ndarray:
    """Each pixel centre's distance to the segment a–b (x, y in pixels)."""
    h, w = shape
    cx, cy = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = np.clip(((cx - ax) * dx + (cy - ay) * dy) / (dx * dx + dy * dy), 0, 1)
    return np.hypot(ax + t * dx - cx, ay + t * dy - cy)


def test_paint_frame_10_invert_undo_and_generate(page, server):
    server.write_notebook("paint.ipynb", SETUP, "editor = wv.VideoEditWidget()\neditor")
    traffic = CommTraffic(page)
    open_and_run(page, server, "paint.ipynb")
    wait_for(page, f"!!document.querySelector('{PAINTER} .wp-placeholder')", "no painter")
    page.locator(f"{EDIT} textarea").fill("A knight walks across the hills.")
    media_text(page, 0).fill("media/source.mp4")
    wait_for(
        page,
        f"document.querySelector('{STAGE}')?.dataset.shownFrame === '1'",
        "frame 1 was not shown",
    )

    page.locator(f"{PAINTER} .wp-frame").fill(str(FRAME))  # the scrubber, as a user drags it
    wait_for(
        page,
        f"document.querySelector('{STAGE}').dataset.shownFrame === '{FRAME}'",
        f"frame {FRAME} was not shown",
    )
    radius = int(page.locator(f"{PAINTER} .wp-size-label").inner_text().split()[0]) / 2

    canvas = page.locator(f"{PAINTER} .wp-draft")
    mark = traffic.mark()
    box = drag(page, canvas, DRAG, steps=30)
    page.evaluate("1")  # a round trip, so frames sent during the drag have been seen
    assert traffic.since(mark)[0] == [], "the painter sent messages while the mouse moved"
    page.mouse.up()
    mask_box = media_text(page, 1)
    wait_for(
        page,
        f"() => document.querySelectorAll('{EDIT} .wanvace-media')[1]"
        ".querySelector('input[type=text]').value === 'masks/source-mask.png'",
        "the painted mask did not reach the mask field",
    )
    sent = traffic.since(mark)[0]
    assert len(sent) == 1, [m["content"] for m in sent]  # one message for the whole stroke
    operation = sent[0]["content"]["data"]["content"]
    assert operation["action"] == "draw" and operation["shape"] == "stroke"
    assert sent[0]["bytes"] < 2_000

    path = server.root / mask_box.input_value()
    painted = read_mask_file(path)
    assert painted.shape == (360, 640)  # the video's resolution, not the canvas's
    assert box["width"] != 640  # (the canvas is not shown at the video's size)
    start, end = ((fx * 640, fy * 360) for fx, fy in DRAG)
    distance = distance_to_segment(painted.shape, start, end)
    assert painted[distance <= radius - 1.5].all()
    assert not painted[distance >= radius + 1.5].any()

    click_and_wait(page, "invert")
    assert (read_mask_file(path) == ~painted).all()
    click_and_wait(page, "undo")
    assert (read_mask_file(path) == painted).all()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(PAINTER).screenshot(path=str(ARTIFACTS / f"mask_painter_{server.app}.png"))

    played = click_generate_and_play(page, EDIT)
    assert played["error"] is None and played["duration"] > 0, played
    result_path = server.root / page.locator(f"{EDIT} .wanvace-player code").inner_text()
    result, _ = read_video(result_path)
    source, _ = read_video(server.root / "media" / "source.mp4")
    height, width = result[0].shape[:2]
    scale = width / 640
    distance = distance_to_segment(
        (height, width), [v * scale for v in start], [v * scale for v in end]
    )
    inside = distance <= (radius - 2) * scale
    outside = distance >= (radius + 3) * scale
    outside[height - 40 :, width - 100 :] = False  # the emulator's EMULATED mark

    def change(index: int) -> np.ndarray:
        before = np.asarray(Image.fromarray(source[index]).resize((width, height), Image.BILINEAR))
        return np.abs(result[index].astype(int) - before.astype(int)).mean(axis=2)

    for index in (FRAME - 1, FRAME + 20):  # from the mask's frame on, the region changes
        diff = change(index)
        assert diff[inside].mean() > 40, (index, diff[inside].mean())
        assert diff[outside].mean() < 4 and np.percentile(diff[outside], 99) < 25, index
    early = change(FRAME - 5)  # before it, nothing does
    assert early[inside].mean() < 6 and early[outside].mean() < 4
    assert error_outputs(page) == []


def test_outpainting_shows_the_source_inside_the_widened_canvas(browser, tmp_path_factory):
    require_chromium()
    with running_jupyter(tmp_path_factory.mktemp("lab")) as lab, browser_page(browser) as page:
        lab.write_notebook(
            "outpaint.ipynb",
            SETUP,
            "wv.VideoOutpaintingWidget(request=wv.VideoOutpainting(prompt='Wide hills.', "
            "video=media['source'], left_scale=1.5, right_scale=1.3))",
        )
        open_and_run(page, lab, "outpaint.ipynb")
        preview = ".wanvace-video_outpainting .wanvace-outpaint-preview"
        wait_for(
            page, f"document.querySelector('{preview}')?.dataset.canvas === '896x360'", "no preview"
        )
        # left of the source is the hatched new canvas; at its centre, the frame's sky
        colours = page.locator(f"{preview} canvas").evaluate(
            """canvas => {
                const ctx = canvas.getContext("2d");
                const at = (fx, fy) => Array.from(ctx.getImageData(
                    Math.floor(canvas.width * fx), Math.floor(canvas.height * fy), 1, 1).data);
                return {outside: at(0.05, 0.5), inside: at(0.55, 0.2)};
            }"""
        )
        assert max(colours["outside"][:3]) - min(colours["outside"][:3]) < 30  # grey hatching
        red, green, blue, _ = colours["inside"]
        assert blue > 200 and blue > red + 40  # the sample's sky
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(preview).screenshot(path=str(ARTIFACTS / "outpaint_preview.png"))


def test_the_painting_benchmark_uses_every_tool_with_one_message_each(tmp_path):
    """bench/bench_painter.py paints with brush, rectangle, lasso, eraser and undo in
    JupyterLab: each is one message to the kernel, and each changes the mask as it should."""
    require_chromium()
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_painter.py"), "--json"],
        check=True,
        capture_output=True,
        text=True,
        timeout=280,
    ).stdout
    scrub, *rows = json.loads(out.splitlines()[-1])
    assert scrub["to_kernel"] >= 1 and scrub["to_page_bytes"] > 5_000  # a frame JPEG came
    assert [r["operation"] for r in rows] == [
        "brush stroke",
        "brush stroke",
        "rectangle",
        "lasso",
        "eraser stroke",
        "undo",
    ]
    assert all(r["to_kernel"] == 1 and r["to_kernel_bytes"] < 2_000 for r in rows), rows
    white = [r["white_pixels"] for r in rows]
    assert 0 < white[0] < white[1] < white[2] < white[3]  # each shape adds to the mask
    assert white[4] < white[3] and white[5] == white[3]  # erase takes away; undo restores
