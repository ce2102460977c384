"""What the emulator returns as the "generated" video: a real MP4 that follows the inputs.

Not Wan output: cheap numpy effects that a person can relate to the request (the subject
over the background, the source recoloured by its control condition, only the masked
region changed, frames joined, the canvas widened, the source restyled by the words of an
instruction). Sizes, frame rate and length follow ``docs/api-contract.md`` §10 for VACE
(30 fps H.264, no audio, the 720P tier, at most 5 s) and §17.8 for wan2.7-videoedit (its
resolution and ratio, the source's length or ``duration``, sound by ``audio_setting``).
A corner mark says the video is emulated.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ..contract import constants as c
from ..media.codec import Audio, encode_mp4, iter_frames, probe, read_audio, read_image, read_video

__all__ = ["RenderedVideo", "edit27_size", "output_size_for_input", "render"]

FPS = c.OUTPUT_FPS
MARK = "EMULATED"


@dataclass(frozen=True)
class RenderedVideo:
    data: bytes
    width: int
    height: int
    fps: int
    duration_s: float
    frames: int


@dataclass
class Frames:
    """What a function's renderer makes: its frames (made lazily, one at a time), how
    many, and a sound track when it has one."""

    frames: Iterator[np.ndarray]
    count: int
    audio: Audio | None = None


def output_size_for_input(width: int, height: int) -> tuple[int, int]:
    """Keep a size within the 720P tier, else scale it down keeping the aspect ratio."""
    long_side, short_side = max(width, height), min(width, height)
    factor = min(1.0, c.OUTPUT_MAX_LONG_SIDE / long_side, c.OUTPUT_MAX_SHORT_SIDE / short_side)
    return _even(width * factor), _even(height * factor)


def render(function: str, input: dict, parameters: dict, media: dict) -> RenderedVideo:
    """Render the emulated result of one task; ``media`` maps API fields (and the types of
    ``input.media``) to fetched bytes. Frames are encoded as they are made."""
    renderers: dict[str, Callable[[dict, dict, dict], Frames]] = {
        "image_reference": _image_reference,
        "video_repainting": _video_repainting,
        "video_edit": _video_edit,
        "video_extension": _video_extension,
        "video_outpainting": _video_outpainting,
        c.INSTRUCTION_EDIT: _instruction_edit,
    }
    made = renderers[function](input, parameters, media)
    first = next(made.frames)
    h, w = first.shape[:2]
    frames = itertools.chain([first], made.frames)
    data = encode_mp4((_mark(f) for f in frames), FPS, audio=made.audio)
    return RenderedVideo(data, w // 2 * 2, h // 2 * 2, FPS, made.count / FPS, made.count)


# -- the five functions ----------------------------------------------------------------


def _image_reference(inp: dict, params: dict, media: dict) -> Frames:
    w, h = _size(params)
    images = [read_image(b) for b in media["ref_images_url"][: c.REF_IMAGES_MAX]]
    tags = params.get("obj_or_bg") or ["obj"] * len(images)
    backgrounds = [img for img, tag in zip(images, tags, strict=False) if tag == "bg"]
    subjects = [img for img, tag in zip(images, tags, strict=False) if tag == "obj"]
    base = _fit(backgrounds[0], w, h) if backgrounds else _plain_scene(w, h)
    cutouts = [_cutout(img, int(h * 0.6)) for img in subjects]
    count = c.FIXED_DURATION_S * FPS

    def frames():
        for i in range(count):
            t = i / (count - 1)
            frame = base.copy()
            for k, (rgb, alpha) in enumerate(cutouts):
                slot = (k + 1) / (len(cutouts) + 1)
                x = int(w * (slot - 0.1 + 0.2 * t) - rgb.shape[1] / 2)
                y = int(h * 0.9 - rgb.shape[0] + 8 * np.sin(t * 10 + k))
                _paste(frame, rgb, alpha, x, y)
            yield frame

    return Frames(frames(), count)


def _video_repainting(inp: dict, params: dict, media: dict) -> Frames:
    source = _source(media, "video_url")
    w, h = output_size_for_input(source[0].shape[1], source[0].shape[0])
    effect = _CONTROL_EFFECTS[params.get("control_condition", "depth")]
    tint = None
    if "ref_images_url" in media:
        tint = read_image(media["ref_images_url"][0]).reshape(-1, 3).mean(axis=0)
    strength = float(params.get("strength", c.DEFAULT_STRENGTH))

    def out():
        for rgb in source:
            rgb = _fit(rgb, w, h).astype(np.float32)
            styled = effect(rgb)
            if tint is not None:
                styled = styled * 0.6 + tint * 0.4
            yield (
                (rgb * strength * 0.35 + styled * (1 - strength * 0.35))
                .clip(0, 255)
                .astype(np.uint8)
            )

    return Frames(out(), len(source))


def _video_edit(inp: dict, params: dict, media: dict) -> Frames:
    source = _source(media, "video_url")
    w, h = _size(params)
    if "mask_image_url" in media:
        mask = read_image(media["mask_image_url"]).mean(axis=2) > 127
        first = int(inp.get("mask_frame_id", 1)) - 1
        masks = [mask if i >= first else None for i in range(len(source))]
    else:
        masks = [m.mean(axis=2) > 127 for m in _source(media, "mask_video_url")]
        masks += [masks[-1]] * (len(source) - len(masks))
    fill = None
    if "ref_images_url" in media:
        fill = read_image(media["ref_images_url"][0])

    def out():
        for i, rgb in enumerate(source):
            frame = rgb.copy()
            m = masks[min(i, len(masks) - 1)]
            if m is not None:
                patch = _fit(fill, rgb.shape[1], rgb.shape[0]) if fill is not None else None
                if patch is None:
                    patch = _stripes(rgb.shape[1], rgb.shape[0], i)
                frame[m] = patch[m]
            yield _fit(frame, w, h)

    return Frames(out(), len(source))


def _video_extension(inp: dict, params: dict, media: dict) -> Frames:
    first = _anchor(media, "first_clip_url", "first_frame_url")
    last = _anchor(media, "last_clip_url", "last_frame_url")
    ref = (first or last)[0]
    w, h = output_size_for_input(ref.shape[1], ref.shape[0])
    first = [_fit(f, w, h) for f in first] if first else None
    last = [_fit(f, w, h) for f in last] if last else None
    count = c.FIXED_DURATION_S * FPS
    head = first or []
    tail = last or []
    middle = max(0, count - len(head) - len(tail))
    start = head[-1] if head else _plain_scene(w, h)
    end = tail[0] if tail else _drift(start, 0.2)

    def out():
        yield from head
        for i in range(middle):
            t = (i + 1) / (middle + 1)
            yield (start.astype(np.float32) * (1 - t) + end.astype(np.float32) * t).astype(np.uint8)
        yield from tail

    return Frames(out(), len(head) + middle + len(tail))


def _video_outpainting(inp: dict, params: dict, media: dict) -> Frames:
    source = _source(media, "video_url")
    sh, sw = source[0].shape[:2]
    top, bottom, left, right = (float(params.get(s, 1.0)) for s in c.SCALE_FIELDS)
    # each scale says how far that side reaches from the centre, relative to the original
    cw = sw * (left + right) / 2
    ch = sh * (top + bottom) / 2
    w, h = output_size_for_input(int(cw), int(ch))
    factor = w / cw
    inner_w, inner_h = _even(sw * factor), _even(sh * factor)
    x0 = int(sw / 2 * (left - 1) * factor)
    y0 = int(sh / 2 * (top - 1) * factor)
    x0 = min(max(0, x0), w - inner_w)
    y0 = min(max(0, y0), h - inner_h)

    def out():
        for rgb in source:
            canvas = _fit(rgb, w, h)  # stretched source as the "generated" surroundings
            canvas = (canvas.astype(np.float32) * 0.5 + 60).astype(np.uint8)
            canvas[y0 : y0 + inner_h, x0 : x0 + inner_w] = _fit(rgb, inner_w, inner_h)
            yield canvas

    return Frames(out(), len(source))


# -- helpers ----------------------------------------------------------------------------


def _even(x: float) -> int:
    return max(2, int(x) // 2 * 2)


def _size(params: dict) -> tuple[int, int]:
    w, h = (int(v) for v in params.get("size", c.DEFAULT_SIZE).split("*"))
    return w, h


def _fit(rgb: np.ndarray, w: int, h: int) -> np.ndarray:
    if rgb.shape[1] == w and rgb.shape[0] == h:
        return rgb
    return np.asarray(Image.fromarray(rgb).resize((w, h), Image.Resampling.BILINEAR))


def _source(media: dict, field: str, seconds: float = c.VIDEO_USED_SECONDS) -> list[np.ndarray]:
    """The input video's first ``seconds``, resampled to the 30 fps output."""
    frames, fps = read_video(media[field], seconds)
    count = max(1, round(len(frames) / fps * FPS))
    return [frames[min(len(frames) - 1, int(i * fps / FPS))] for i in range(count)]


def _plain_scene(w: int, h: int) -> np.ndarray:
    y = np.linspace(0, 1, h)[:, None, None]
    return (
        (np.array([200, 215, 235]) * (1 - y) + np.array([120, 150, 110]) * y)
        .astype(np.uint8)
        .repeat(w, axis=1)
    )


def _cutout(rgb: np.ndarray, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Scale a subject image and mask out its plain (near-white) background."""
    scale = height / rgb.shape[0]
    resized = _fit(rgb, max(2, int(rgb.shape[1] * scale)), height)
    alpha = (resized.astype(np.int16).min(axis=2) < 235).astype(np.float32)[..., None]
    return resized, alpha


def _paste(frame: np.ndarray, rgb: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    h, w = frame.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(w, x + rgb.shape[1]), min(h, y + rgb.shape[0])
    if x0 >= x1 or y0 >= y1:
        return
    src = rgb[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x]
    region = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = (src * a + region * (1 - a)).astype(np.uint8)


def _stripes(w: int, h: int, i: int) -> np.ndarray:
    x = np.arange(w)[None, :] + np.arange(h)[:, None] + i * 4
    band = (x // 12) % 2
    out = np.empty((h, w, 3), np.uint8)
    out[band == 0] = (230, 40, 120)
    out[band == 1] = (40, 200, 230)
    return out


def _gray(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114], np.float32)


def _depth(rgb: np.ndarray) -> np.ndarray:
    g = _gray(rgb)
    shade = np.linspace(40, 255, rgb.shape[0], dtype=np.float32)[:, None]
    return np.repeat((g * 0.5 + shade * 0.5)[..., None], 3, axis=2)


def _scribble(rgb: np.ndarray) -> np.ndarray:
    g = _gray(rgb)
    edges = np.abs(np.diff(g, axis=0, prepend=g[:1])) + np.abs(np.diff(g, axis=1, prepend=g[:, :1]))
    lines = np.where(edges > 24, 0.0, 255.0)
    return np.repeat(lines[..., None], 3, axis=2)


def _pose(rgb: np.ndarray) -> np.ndarray:
    poster = (rgb // 64) * 64 + 32
    outline = _scribble(rgb) < 128
    poster[outline] = (255, 255, 0)
    return poster


_CONTROL_EFFECTS = {
    "depth": _depth,
    "scribble": _scribble,
    "posebody": _pose,
    "posebodyface": _pose,
}


def _anchor(media: dict, clip_field: str, frame_field: str):
    if clip_field in media:
        return _source(media, clip_field, c.CLIP_MAX_SECONDS)
    if frame_field in media:
        return [read_image(media[frame_field])]
    return None


def _drift(rgb: np.ndarray, amount: float) -> np.ndarray:
    shift = int(rgb.shape[1] * amount)
    return np.roll(rgb, -shift, axis=1)


def _mark(frame: np.ndarray) -> np.ndarray:
    """Stamp the corner mark that says this is not Wan output."""
    img = Image.fromarray(np.ascontiguousarray(frame))
    draw = ImageDraw.Draw(img)
    x, y = img.width - 8 - 6 * len(MARK), img.height - 20
    draw.rectangle((x - 4, y - 3, img.width - 4, img.height - 5), fill=(0, 0, 0))
    draw.text((x, y), MARK, fill=(255, 255, 255))
    return np.asarray(img)


# -- wan2.7-videoedit (§17.8) --------------------------------------------------------------


def edit27_size(params: dict, width: int, height: int) -> tuple[int, int]:
    """The output size: the resolution's size for ``ratio``, or without one the source's
    shape with that resolution's 16:9 area (decided, §17.8)."""
    tier = params.get("resolution", c.EDIT27_DEFAULT_RESOLUTION)
    sizes = c.EDIT27_SIZES[tier]
    if params.get("ratio"):
        return sizes[params["ratio"]]
    area = sizes["16:9"][0] * sizes["16:9"][1]
    scale = math.sqrt(area / (width * height))
    return _even(width * scale), _even(height * scale)


def _instruction_edit(inp: dict, params: dict, media: dict) -> Frames:
    """The source, restyled as the instruction's words say, with the reference images'
    subjects walking in front, and the instruction captioned on top."""
    video = media[c.EDIT27_VIDEO_TYPE]
    info = probe(video)
    source_s = min(info.duration_s or 0.0, float(c.EDIT27_DURATION_RANGE[1]))
    seconds = min(params["duration"], source_s) if params.get("duration") else source_s
    count = max(1, round(seconds * FPS))
    w, h = edit27_size(params, info.width, info.height)
    prompt = inp.get("prompt") or ""
    style = _style_of(prompt)
    references = [read_image(b) for b in media.get(c.EDIT27_REFERENCE_TYPE, [])]
    cutouts = [_cutout(img, int(h * 0.5)) for img in references]
    caption = f"edit: {prompt}" if prompt else "edit: (a style transfer of the model's choice)"

    def out():
        for i, rgb in enumerate(_resampled(video, info.fps or FPS, count)):
            frame = style(_cover(rgb, w, h).astype(np.float32)).clip(0, 255).astype(np.uint8)
            t = i / max(1, count - 1)
            for k, (cut, alpha) in enumerate(cutouts):
                slot = (k + 1) / (len(cutouts) + 1)
                x = int(w * (slot - 0.08 + 0.16 * t) - cut.shape[1] / 2)
                _paste(frame, cut, alpha, x, h - cut.shape[0] - 4)
            yield _caption(frame, caption)

    return Frames(out(), count, _edit27_audio(prompt, params, video, count / FPS))


def _resampled(video: bytes, fps: float, count: int) -> Iterator[np.ndarray]:
    """``count`` frames of the source at the output's 30 fps, decoded one at a time."""
    decoded = iter_frames(video)
    current, index = next(decoded), 0
    for i in range(count):
        wanted = int(i * fps / FPS)
        while index < wanted:
            following = next(decoded, None)
            if following is None:
                break
            current, index = following, index + 1
        yield current


def _cover(rgb: np.ndarray, w: int, h: int) -> np.ndarray:
    """Scale to cover ``w`` × ``h`` keeping the aspect ratio, then crop the middle."""
    sh, sw = rgb.shape[:2]
    scale = max(w / sw, h / sh)
    scaled = _fit(rgb, max(w, round(sw * scale)), max(h, round(sh * scale)))
    y0, x0 = (scaled.shape[0] - h) // 2, (scaled.shape[1] - w) // 2
    return scaled[y0 : y0 + h, x0 : x0 + w]


def _grayscale(rgb: np.ndarray) -> np.ndarray:
    return np.repeat(_gray(rgb)[..., None], 3, axis=2)


def _posterize(rgb: np.ndarray) -> np.ndarray:
    """Eight levels a channel (a bit mask on bytes: floor division of floats is slow)."""
    return (rgb.clip(0, 255).astype(np.uint8) & 0xE0) + 16


def _night(rgb: np.ndarray) -> np.ndarray:
    return rgb * np.array([0.35, 0.4, 0.7], np.float32)


def _snow(rgb: np.ndarray) -> np.ndarray:
    frost = rgb * 0.6 + 110
    frost[::9, ::7] = 255
    return frost


def _invert(rgb: np.ndarray) -> np.ndarray:
    return 255 - rgb


def _mirror(rgb: np.ndarray) -> np.ndarray:
    return rgb[:, ::-1]


#: words of an instruction the emulator acts on, in order, and the effect of each (§17.8);
#: an instruction with none of them gets the default style (posterized), as a style transfer
_STYLE_WORDS: tuple[tuple[tuple[str, ...], Callable[[np.ndarray], np.ndarray]], ...] = (
    (("black and white", "black-and-white", "grayscale", "greyscale", "monochrome", "黑白"),
     _grayscale),
    (("sketch", "pencil", "line art", "drawing", "素描", "线稿"), _scribble),
    (("clay", "claymation", "cartoon", "anime", "comic", "painting", "watercolor", "黏土",
      "卡通", "动漫"), _posterize),
    (("night", "dark", "moonlight", "夜"), _night),
    (("snow", "snowy", "winter", "frost", "雪"), _snow),
    (("invert", "inverted", "negative"), _invert),
    (("mirror", "mirrored", "flip", "flipped"), _mirror),
)  # fmt: skip
#: colour words and the colour the frame is washed with
_COLOUR_WORDS: tuple[tuple[tuple[str, ...], tuple[int, int, int]], ...] = (
    (("red", "红"), (230, 30, 30)),
    (("green", "绿"), (30, 200, 60)),
    (("blue", "蓝"), (30, 80, 240)),
    (("yellow", "黄"), (250, 220, 30)),
    (("purple", "紫"), (150, 40, 200)),
    (("orange", "橙"), (255, 140, 0)),
    (("pink", "粉"), (255, 105, 180)),
    (("gold", "golden", "金"), (212, 175, 55)),
)


def _says(text: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` holds one of ``words``: an English word whole ("red", not "bored"),
    a Chinese one anywhere."""
    return any(
        re.search(rf"\b{re.escape(word)}\b", text) if word.isascii() else word in text
        for word in words
    )


def _style_of(prompt: str) -> Callable[[np.ndarray], np.ndarray]:
    """The effects an instruction names (every style word and colour found), or the default
    style for an instruction that names none."""
    text = prompt.lower()
    effects = [effect for words, effect in _STYLE_WORDS if _says(text, words)]
    colours = [rgb for words, rgb in _COLOUR_WORDS if _says(text, words)]
    if not effects and not colours:
        effects = [_posterize]

    def apply(rgb: np.ndarray) -> np.ndarray:
        for effect in effects:
            rgb = effect(rgb).astype(np.float32)
        for colour in colours:
            rgb = rgb * 0.55 + np.array(colour, np.float32) * 0.45
        return rgb

    return apply


#: words of an instruction that ask for sound: with ``audio_setting=auto`` they make a new
#: sound track (decided, §17.8)
_SOUND_WORDS = (
    "music", "musical", "sound", "sounds", "song", "audio", "voice", "sing", "singing",
    "melody", "noise", "beat", "soundtrack", "音乐", "声音", "配乐", "歌",
)  # fmt: skip


def _edit27_audio(prompt: str, params: dict, video: bytes, seconds: float) -> Audio | None:
    """``origin`` keeps the source's sound (none if it has none); ``auto`` makes a new one
    when the instruction asks for sound, and keeps the source's otherwise."""
    setting = params.get("audio_setting", c.EDIT27_DEFAULT_AUDIO_SETTING)
    if setting == "auto" and _says(prompt.lower(), _SOUND_WORDS):
        rate = 44_100
        t = np.arange(int(seconds * rate)) / rate
        chord = sum(np.sin(2 * np.pi * hz * t) for hz in (261.6, 329.6, 392.0)) / 3
        pulse = 0.3 * chord * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
        return np.stack([pulse, pulse]).astype(np.float32), rate
    return read_audio(video, seconds)


def _caption(frame: np.ndarray, text: str) -> np.ndarray:
    """The instruction on a dark band across the top (cut to the frame's width; characters
    the built-in font lacks shown as ``?``)."""
    img = Image.fromarray(np.ascontiguousarray(frame))
    draw = ImageDraw.Draw(img)
    fits = max(8, (img.width - 12) // 6)
    shown = text if len(text) <= fits else text[: fits - 3] + "..."
    shown = shown.encode("ascii", "replace").decode("ascii")
    draw.rectangle((0, 0, img.width, 18), fill=(0, 0, 0))
    draw.text((6, 4), shown, fill=(255, 255, 255))
    return np.asarray(img)
