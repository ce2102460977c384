"""The emulator's render time per second of output video, per function, at real sizes,
against a plain baseline measured in the same run: PyAV encoding the same number of
frames of the same size with no effects. ``--tiny`` runs one quick pass."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wanvace_widgets.emulator.render import render  # noqa: E402
from wanvace_widgets.media.codec import encode_mp4  # noqa: E402
from wanvace_widgets.media.samples import write_samples  # noqa: E402


def cases(media: dict[str, bytes]) -> dict[str, tuple[dict, dict, dict]]:
    return {
        "image_reference": (
            {},
            {"obj_or_bg": ["obj", "bg"]},
            {"ref_images_url": [media["subject"], media["background"]]},
        ),
        "video_repainting": ({}, {"control_condition": "depth"}, {"video_url": media["source"]}),
        "video_edit": ({}, {}, {"video_url": media["source"], "mask_image_url": media["mask"]}),
        "video_extension": (
            {},
            {},
            {"first_clip_url": media["first_clip"], "last_clip_url": media["last_clip"]},
        ),
        "video_outpainting": (
            {},
            {"left_scale": 1.5, "right_scale": 1.5},
            {"video_url": media["source"]},
        ),
    }


def table(repeats: int) -> list[str]:
    """Markdown rows: best of ``repeats`` per function, and the plain encode of its frames."""
    with tempfile.TemporaryDirectory() as tmp:
        media = {k: v.read_bytes() for k, v in write_samples(tmp).items()}
    lines = [
        "| function | output | render s per output s | plain encode s per output s | ratio |",
        "|---|---|---|---|---|",
    ]
    for function, (inp, params, files) in cases(media).items():
        runs = [timed(render, function, inp, params, files) for _ in range(repeats)]
        best, out = min(runs, key=lambda run: run[0])
        frames = [np.zeros((out.height, out.width, 3), np.uint8)] * out.frames
        plain = min(timed(encode_mp4, frames, out.fps)[0] for _ in range(repeats))
        lines.append(
            f"| {function} | {out.width}x{out.height}, {out.duration_s:.1f} s | "
            f"{best / out.duration_s:.3f} | {plain / out.duration_s:.3f} | {best / plain:.1f}× |"
        )
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args(argv)
    print("\n".join(table(1 if args.tiny else 3)))
    return 0


def timed(fn, *args) -> tuple[float, object]:
    """Seconds one call took, and what it returned (so the best run's output is reused)."""
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


if __name__ == "__main__":
    sys.exit(main())
