"""Comm traffic of painting one mask, in a real JupyterLab and Chromium.

Opens VideoEditWidget on the sample video, drags the frame scrubber to frame 10 and paints
a typical mask with the mouse (two brush strokes, a rectangle, a lasso, an eraser stroke,
an undo), then counts the comm messages and bytes each way on the kernel's websocket, per
operation, and how long each took from release to the mask shown.

    python bench/bench_painter.py [--json] [--out FILE] [--screenshot PNG]

``--json`` prints the rows as JSON (for the browser test that runs this script).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import ARGS, CHROMIUM, running_jupyter  # noqa: E402
from tests.browser.notebook import KERNEL_READY, open_and_run, wait_for  # noqa: E402
from tests.browser.painting import CommTraffic, drag  # noqa: E402
from tests.browser.test_widgets_browser import SETUP  # noqa: E402

PAINTER = ".wanvace-video_edit .wanvace-painter"
#: mouse moves between two points of a drag
MOVES = 20
STAGE = f"{PAINTER} .wp-stage"
#: (row label, tool button or action, drag path as fractions of the canvas)
OPERATIONS = [
    ("brush stroke", "brush", [(0.10, 0.20), (0.30, 0.25), (0.45, 0.15)]),
    ("brush stroke", "brush", [(0.60, 0.70), (0.85, 0.80)]),
    ("rectangle", "rect", [(0.15, 0.38), (0.32, 0.88)]),
    ("lasso", "lasso", [(0.70, 0.10), (0.90, 0.12), (0.92, 0.40), (0.72, 0.42), (0.70, 0.12)]),
    ("eraser stroke", "eraser", [(0.05, 0.60), (0.95, 0.60)]),
    ("undo", "undo", None),
]


def settle(page) -> None:
    """Wait until the kernel has sent everything for the last action (it is idle again),
    then once more round the page so the websocket frames have been counted."""
    wait_for(page, KERNEL_READY, "the kernel did not become idle")
    page.evaluate("1")


def white_pixels(root: Path, page) -> int:
    mask_field = page.locator(".wanvace-video_edit .wanvace-media").nth(1).locator("input")
    path = mask_field.input_value()
    return int((np.asarray(Image.open(root / path))[..., 0] == 255).sum()) if path else 0


def paint(page, root: Path, traffic: CommTraffic) -> list[dict]:
    rows = []
    page.locator(".wanvace-video_edit .wanvace-media").first.locator("input").fill(
        "media/source.mp4"
    )
    wait_for(page, f"document.querySelector('{STAGE}')?.dataset.shownFrame === '1'", "no frame")
    settle(page)
    mark = traffic.mark()
    scrubber = page.locator(f"{PAINTER} .wp-frame")
    drag(page, scrubber, [(0.0, 0.5), (0.11, 0.5)], steps=15)  # to about frame 10
    page.mouse.up()
    wait_for(
        page,
        f"document.querySelector('{STAGE}').dataset.shownFrame === "
        f"document.querySelector('{PAINTER} .wp-frame').value",
        "the scrubbed-to frame was not shown",
    )
    settle(page)
    frame = page.locator(f"{PAINTER} .wp-frame").input_value()
    rows.append(row(f"scrub (drag) to frame {frame}", traffic.since(mark), None, None))
    canvas = page.locator(f"{PAINTER} .wp-draft")
    for label, tool, path in OPERATIONS:
        before = page.locator(STAGE).evaluate("s => s.dataset.applied ?? ''")
        mark = traffic.mark()
        if path is None:
            start = time.perf_counter()
            page.locator(f"{PAINTER} [data-action={tool}]").click()
        else:
            page.locator(f"{PAINTER} [data-tool={tool}]").click()
            drag(page, canvas, path, steps=MOVES)
            start = time.perf_counter()
            page.mouse.up()
        wait_for(
            page,
            f"before => document.querySelector('{STAGE}').dataset.applied !== before",
            f"the kernel did not answer the {label}",
            arg=before,
        )
        shown_ms = (time.perf_counter() - start) * 1000
        settle(page)
        rows.append(row(label, traffic.since(mark), shown_ms, white_pixels(root, page)))
    return rows


def row(label: str, traffic: tuple[list[dict], list[dict]], shown_ms, white) -> dict:
    sent, received = traffic
    return {
        "operation": label,
        "to_kernel": len(sent),
        "to_kernel_bytes": sum(m["bytes"] for m in sent),
        "to_page": len(received),
        "to_page_bytes": sum(m["bytes"] for m in received),
        "shown_ms": shown_ms,
        "white_pixels": white,
    }


def markdown(rows: list[dict]) -> str:
    lines = [
        "## Painting a mask: comm traffic",
        "",
        "VideoEditWidget in JupyterLab and Chromium, the 640×360 sample video; every comm "
        "message on the kernel websocket while each operation is done with the mouse and "
        "until the kernel is idle again (the mask field, its preview and the form's checks "
        "included). Shown = from the mouse's release to the kernel's mask on the canvas.",
        "",
        "| operation | page → kernel | bytes | kernel → page | bytes | shown after | white pixels |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        shown = "" if r["shown_ms"] is None else f"{r['shown_ms']:.0f} ms"
        white = "" if r["white_pixels"] is None else f"{r['white_pixels']:,}"
        lines.append(
            f"| {r['operation']} | {r['to_kernel']} | {r['to_kernel_bytes']:,} | {r['to_page']} "
            f"| {r['to_page_bytes']:,} | {shown} | {white} |"
        )
    painting = [r for r in rows if r["shown_ms"] is not None]
    total = {
        k: sum(r[k] for r in rows)
        for k in ("to_kernel", "to_kernel_bytes", "to_page", "to_page_bytes")
    }
    lines += [
        f"| **one painted mask** | **{total['to_kernel']}** | **{total['to_kernel_bytes']:,}** "
        f"| **{total['to_page']}** | **{total['to_page_bytes']:,}** | | |",
        "",
        f"{len(painting)} operations; the mouse moved {MOVES * sum(len(p) - 1 for *_, p in OPERATIONS if p)} "
        "times over the canvas, and nothing was sent while it moved.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--out", type=Path, help="also write the markdown table here")
    parser.add_argument("--screenshot", type=Path, help="save the painter here at the end")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_jupyter(Path(tmp), "lab") as lab,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 2400})
        traffic = CommTraffic(page)
        lab.write_notebook("paint.ipynb", SETUP, "wv.VideoEditWidget()")
        open_and_run(page, lab, "paint.ipynb")
        wait_for(page, f"!!document.querySelector('{PAINTER}')", "no painter")
        rows = paint(page, lab.root, traffic)
        if args.screenshot:
            page.locator(PAINTER).screenshot(path=str(args.screenshot))
        browser.close()
    text = markdown(rows)
    if args.out:
        args.out.write_text(text)
    print(json.dumps(rows) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
