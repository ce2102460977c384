"""Sample media made by our own code, for tutorials, tests and the offline demo.

A small world: a hill landscape with a sun, and an orange figure that walks across it.
Every file satisfies the API's limits (image sides 360–2000 px, MP4 at 30 fps), the mask
is pure white over the figure on pure black at the source video's resolution, and the same
call always gives the same pixels. ``source_sound.mp4`` is the source walk with a tune on
its sound track, for wan2.7-videoedit's ``audio_setting`` (it takes 2–10 s videos).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .codec import Audio, encode_image, encode_mp4

__all__ = [
    "SAMPLE_NAMES",
    "make_background",
    "make_subject",
    "scene_frame",
    "tune",
    "write_samples",
]

VIDEO_SIZE = (640, 360)  # width, height
FPS = 30
FIGURE_COLOR = (255, 140, 0)
SAMPLE_NAMES = (
    "subject.png",
    "background.png",
    "source.mp4",
    "mask.png",
    "first_frame.png",
    "last_frame.png",
    "first_clip.mp4",
    "last_clip.mp4",
    "source_sound.mp4",
)
#: the tune of source_sound.mp4: a note a beat, in Hz
TUNE_HZ = (392.0, 440.0, 494.0, 523.0, 587.0, 523.0)
AUDIO_RATE = 44_100


def _landscape(width: int, height: int) -> np.ndarray:
    y = np.linspace(0, 1, height)[:, None]
    x = np.linspace(0, 1, width)[None, :]
    img = np.empty((height, width, 3), np.float32)
    img[..., 0] = 120 + 80 * y
    img[..., 1] = 170 + 50 * y
    img[..., 2] = 255 - 40 * y
    hill = 0.62 + 0.08 * np.sin(x * 7.0) + 0.04 * np.sin(x * 17.0 + 1.0)
    ground = y > hill
    img[ground] = np.array([70, 150, 60], np.float32)
    sun = (x - 0.8) ** 2 * (width / height) ** 2 + (y - 0.2) ** 2 < 0.008
    img[sun] = np.array([255, 230, 80], np.float32)
    return img.astype(np.uint8)


def _figure_box(cx: float, cy: float, scale: float) -> tuple[int, int, int, int]:
    half_w, half_h = 0.22 * scale, 0.5 * scale
    return int(cx - half_w), int(cy - half_h), int(cx + half_w), int(cy + half_h)


def _draw_figure(img: np.ndarray, cx: float, cy: float, scale: float) -> None:
    """A head (circle) over a body (rectangle), centred at (cx, cy), ``scale`` px tall."""
    h, w = img.shape[:2]
    yy, xx = np.ogrid[:h, :w]
    head_r = 0.16 * scale
    head = (xx - cx) ** 2 + (yy - (cy - 0.32 * scale)) ** 2 <= head_r**2
    body = (abs(xx - cx) <= 0.2 * scale) & (yy >= cy - 0.16 * scale) & (yy <= cy + 0.5 * scale)
    img[head | body] = FIGURE_COLOR


def scene_frame(t: float, size: tuple[int, int] = VIDEO_SIZE) -> np.ndarray:
    """The scene at ``t`` in [0, 1]: the figure walks from left to right."""
    width, height = size
    img = _landscape(width, height)
    cx = width * (0.15 + 0.7 * t)
    cy = height * 0.62 + 6 * np.sin(t * 12)
    _draw_figure(img, cx, cy, height * 0.45)
    return img


def _mask_for(t: float, size: tuple[int, int] = VIDEO_SIZE) -> np.ndarray:
    width, height = size
    mask = np.zeros((height, width, 3), np.uint8)
    cx, cy = width * (0.15 + 0.7 * t), height * 0.62 + 6 * np.sin(t * 12)
    x0, y0, x1, y1 = _figure_box(cx, cy, height * 0.45)
    mask[max(0, y0 - 8) : y1 + 8, max(0, x0 - 8) : x1 + 8] = 255
    return mask


def make_subject() -> np.ndarray:
    """The figure alone on plain white (the docs advise one subject on a plain background)."""
    img = np.full((640, 480, 3), 255, np.uint8)
    _draw_figure(img, 240, 340, 480)
    return img


def make_background() -> np.ndarray:
    """The landscape with no subject in it."""
    return _landscape(1280, 720)


def _clip(t0: float, t1: float, seconds: float, audio: Audio | None = None) -> bytes:
    count = round(seconds * FPS)
    frames = (scene_frame(t0 + (t1 - t0) * i / count) for i in range(count))
    return encode_mp4(frames, FPS, audio=audio)


def tune(seconds: float) -> Audio:
    """A soft tune of :data:`TUNE_HZ`, half a second a note, as stereo samples."""
    t = np.arange(int(seconds * AUDIO_RATE)) / AUDIO_RATE
    notes = np.array(TUNE_HZ)[(t * 2).astype(int) % len(TUNE_HZ)]
    wave = 0.25 * np.sin(2 * np.pi * notes * t) * np.minimum(1.0, (t * 2 % 1) * 20)
    return np.stack([wave, wave]).astype(np.float32), AUDIO_RATE


def write_samples(folder: str | Path) -> dict[str, Path]:
    """Write every sample into ``folder``; returns name (without suffix) → path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        "subject.png": lambda: encode_image(make_subject()),
        "background.png": lambda: encode_image(make_background()),
        "source.mp4": lambda: _clip(0.0, 1.0, 3.0),
        "mask.png": lambda: encode_image(_mask_for(0.0)),
        "first_frame.png": lambda: encode_image(scene_frame(0.0)),
        "last_frame.png": lambda: encode_image(scene_frame(1.0)),
        "first_clip.mp4": lambda: _clip(0.0, 0.3, 1.5),
        "last_clip.mp4": lambda: _clip(0.7, 1.0, 1.5),
        "source_sound.mp4": lambda: _clip(0.0, 1.0, 3.0, tune(3.0)),
    }
    paths = {}
    for name, make in contents.items():
        path = folder / name
        if not path.exists():
            path.write_bytes(make())
        paths[Path(name).stem] = path
    return paths
