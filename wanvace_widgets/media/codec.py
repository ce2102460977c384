"""Reading and writing images and videos with PyAV, numpy and Pillow.

The client probes local files before uploading them (a bad file is refused before it
costs anything), the widgets make small previews, and the emulator decodes inputs and
encodes its results here. Videos are written as H.264 yuv420p MP4 with the index at the
front, which every browser plays while it loads.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..errors import VaceError

if TYPE_CHECKING:
    import numpy as np

# PyAV, numpy and Pillow are imported where they are used: they would be most of the
# package's import time, and a kernel that never previews or probes a file never needs them.

__all__ = [
    "MASK_TINT",
    "MASK_TINT_ALPHA",
    "Audio",
    "MediaInfo",
    "MediaReadError",
    "check_complete_mp4",
    "encode_image",
    "encode_mp4",
    "iter_frames",
    "jpeg_preview",
    "overlay_mask",
    "probe",
    "read_audio",
    "read_image",
    "read_video",
    "thumbnail",
]

Source = bytes | str | Path

#: how a mask's edit region (white) is shown over its frame: this colour at this opacity
MASK_TINT = (255, 0, 90)
MASK_TINT_ALPHA = 0.55

_IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpeg", "BMP": "bmp", "TIFF": "tiff", "WEBP": "webp"}


class MediaReadError(VaceError, ValueError):
    """The data is not an image or video we can read."""


@dataclass(frozen=True)
class MediaInfo:
    """What a file is: kind ``image`` or ``video``, its size and, for videos, timing and
    whether it has a sound track (``audio``)."""

    kind: str
    format: str
    codec: str
    width: int
    height: int
    fps: float | None
    duration_s: float | None
    frames: int | None
    size_bytes: int
    audio: bool = False


def _open(source: Source) -> BinaryIO:
    """A readable binary file: files are read from disk as needed, never whole."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    try:
        return open(source, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        raise MediaReadError(f"cannot read {source}: {exc.strerror or exc}") from exc


def probe(source: Source) -> MediaInfo:
    """Describe an image or video from its header (frames are counted only when needed)."""
    with _open(source) as file:
        size = file.seek(0, io.SEEK_END)
        file.seek(0)
        return _probe_file(file, size)


def _probe_file(file: BinaryIO, size: int) -> MediaInfo:
    import av
    from PIL import Image

    try:
        with Image.open(file) as img:
            fmt = _IMAGE_FORMATS.get(img.format or "")
            if fmt:
                w, h = img.size
                return MediaInfo("image", fmt, fmt, w, h, None, None, 1, size)
    except Exception:  # noqa: BLE001 - not an image: try it as a video below
        pass
    file.seek(0)
    try:
        with av.open(file) as container:
            if not container.streams.video:
                raise MediaReadError("the file has no video stream")
            stream = container.streams.video[0]
            if not stream.codec_context.width or container.format.name.endswith("_pipe"):
                raise MediaReadError("a damaged or unsupported file")
            fps = float(stream.average_rate or stream.guessed_rate or 0) or None
            duration = None
            if stream.duration is not None and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            elif container.duration:
                duration = container.duration / av.time_base
            frames = stream.frames or sum(1 for _ in container.demux(stream) if _.size)
            fmt = container.format.name.split(",")[0]
            if "mp4" in container.format.name:
                fmt = "mp4"
            return MediaInfo(
                "video",
                fmt,
                stream.codec_context.name,
                stream.codec_context.width,
                stream.codec_context.height,
                fps,
                duration,
                frames,
                size,
                audio=bool(container.streams.audio),
            )
    except Exception as exc:  # noqa: BLE001 - PyAV raises many kinds
        raise MediaReadError(
            "not a readable image (JPG, PNG, BMP, TIFF, WEBP) or video (MP4)"
        ) from exc


def check_complete_mp4(source: Source) -> MediaInfo:
    """Probe an MP4 and check that it is whole: its top-level boxes add up to the file and
    every frame its index lists is there. A download cut short (with no Content-Length to
    tell) or a web page saved as ``.mp4`` fails here and is never kept as a result."""
    with _open(source) as file:
        _check_mp4_boxes(file)
    info = probe(source)
    if info.kind != "video" or info.format != "mp4":
        raise MediaReadError(f"not an MP4 video (a {info.format} {info.kind})")
    import av

    try:
        with _open(source) as file, av.open(file) as container:
            stream = container.streams.video[0]
            present = sum(1 for packet in container.demux(stream) if packet.size)
    except Exception as exc:  # noqa: BLE001 - PyAV raises many kinds on damaged files
        raise MediaReadError(f"a damaged MP4 ({type(exc).__name__})") from exc
    if present == 0 or (info.frames and present < info.frames):
        raise MediaReadError(f"cut short: {present} of {info.frames or '?'} frames are there")
    return info


def _check_mp4_boxes(file: BinaryIO) -> None:
    """The ISO BMFF top level: ``ftyp`` first, a ``moov``, and no box running past the end."""
    size = file.seek(0, io.SEEK_END)
    offset, kinds = 0, []
    while offset < size:
        file.seek(offset)
        header = file.read(16)
        if len(header) < 8:
            raise MediaReadError("cut short inside a box header")
        length, kind = int.from_bytes(header[:4], "big"), header[4:8]
        if length == 1:
            if len(header) < 16:
                raise MediaReadError("cut short inside a box header")
            length = int.from_bytes(header[8:16], "big")
        elif length == 0:
            length = size - offset  # "to the end of the file": nothing to check
        if length < 8 or offset + length > size:
            raise MediaReadError(
                f"cut short: the {kind.decode('latin-1')!r} box needs {offset + length} bytes, "
                f"the file has {size}"
            )
        kinds.append(kind)
        offset += length
    if not kinds or kinds[0] != b"ftyp" or b"moov" not in kinds:
        raise MediaReadError("not an MP4 file (no ftyp/moov boxes)")


def read_image(source: Source) -> np.ndarray:
    """The image as an RGB ``uint8`` array of shape (height, width, 3)."""
    import numpy as np
    from PIL import Image

    try:
        with _open(source) as file, Image.open(file) as img:
            return np.asarray(img.convert("RGB"))
    except MediaReadError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise MediaReadError("not a readable image") from exc


def read_video(source: Source, max_seconds: float | None = None) -> tuple[list[np.ndarray], float]:
    """Decoded RGB frames (up to ``max_seconds``) and the frame rate."""
    with _decoding(source) as (fps, decoded):
        limit = None if max_seconds is None else max(1, round(max_seconds * fps))
        frames = list(islice(decoded, limit))
    if not frames:
        raise MediaReadError("the video has no frames")
    return frames, fps


def iter_frames(source: Source) -> Generator[np.ndarray, None, None]:
    """Decoded RGB frames one at a time, so a long or large video is never held whole."""
    with _decoding(source) as (_, decoded):
        yield from decoded


@contextmanager
def _decoding(source: Source) -> Iterator[tuple[float, Iterator[np.ndarray]]]:
    """The frame rate and a lazy iterator of RGB frames; any failure is a MediaReadError."""
    import av

    try:
        with _open(source) as file, av.open(file) as container:
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 30)
            yield fps, (frame.to_ndarray(format="rgb24") for frame in container.decode(stream))
    except MediaReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - PyAV raises many kinds
        raise MediaReadError("not a readable video") from exc


#: a sound track: float samples in [-1, 1] of shape (2, n) (stereo, planar), and its rate
Audio = tuple["np.ndarray", int]


def read_audio(source: Source, max_seconds: float | None = None) -> Audio | None:
    """The sound track of a video (its first ``max_seconds``) as stereo float samples, or
    None when it has none."""
    import av
    import numpy as np

    try:
        with _open(source) as file, av.open(file, "r") as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate or 44_100
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
            chunks = []
            for frame in container.decode(stream):
                chunks += [f.to_ndarray() for f in resampler.resample(frame)]
            chunks += [f.to_ndarray() for f in resampler.resample(None)]
    except Exception as exc:  # noqa: BLE001 - PyAV raises many kinds
        raise MediaReadError("the video's sound cannot be read") from exc
    if not chunks:
        return None
    samples = np.concatenate(chunks, axis=1).astype(np.float32)
    if max_seconds is not None:
        samples = samples[:, : int(round(max_seconds * rate))]
    return samples, rate


def encode_mp4(
    frames: Iterable[np.ndarray], fps: float, out: Path | None = None, audio: Audio | None = None
) -> bytes:
    """Encode RGB frames as a browser-playable H.264 MP4 (odd sizes are cropped by 1 px),
    with ``audio`` as an AAC sound track when given. Frames are encoded as they come, so a
    long video is never held whole."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.mp4"  # +faststart rewrites the file: it needs a real path
        _write_mp4(frames, fps, target, audio)
        data = target.read_bytes()
    if out is not None:
        Path(out).write_bytes(data)
    return data


def _write_mp4(frames: Iterable[np.ndarray], fps: float, target: Path, audio: Audio | None) -> None:
    import av
    import numpy as np

    with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = sound = None
        for rgb in frames:
            h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
            if stream is None:  # every stream is added before the first packet
                stream = container.add_stream("h264", rate=Fraction(fps).limit_denominator(1000))
                stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
                stream.options = {"preset": "ultrafast", "crf": "26"}
                if audio is not None:
                    sound = container.add_stream("aac", rate=audio[1], layout="stereo")
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h, :w]), format="rgb24")
            container.mux(stream.encode(frame))
        if stream is None:
            raise ValueError("no frames to encode")
        container.mux(stream.encode())
        if sound is not None and audio is not None:
            _write_audio(container, sound, *audio)


def _write_audio(container, stream, samples: np.ndarray, rate: int) -> None:
    """Encode stereo float samples in AAC-sized frames."""
    import av
    import numpy as np

    step = 1024
    for start in range(0, samples.shape[1], step):
        chunk = np.ascontiguousarray(samples[:, start : start + step], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = rate, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def encode_image(array: np.ndarray, format: str = "png") -> bytes:
    """Encode an RGB array as PNG or JPEG bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=format.upper().replace("JPG", "JPEG"), quality=85)
    return buffer.getvalue()


def thumbnail(source: Source, max_side: int = 320, frame: int = 1) -> bytes:
    """A small JPEG preview of an image, or of a video's ``frame`` (1-based)."""
    info = probe(source)
    if info.kind == "image":
        rgb = read_image(source)
    else:
        frames, _ = read_video(source, max_seconds=(frame + 1) / (info.fps or 30))
        rgb = frames[min(frame, len(frames)) - 1]
    return jpeg_preview(rgb, max_side)


def jpeg_preview(rgb: np.ndarray, max_side: int) -> bytes:
    """An RGB array as a JPEG of at most ``max_side`` pixels a side (aspect kept)."""
    from PIL import Image

    img = Image.fromarray(rgb)
    img.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def overlay_mask(
    frame_rgb: np.ndarray,
    mask_rgb: np.ndarray,
    color: tuple[int, int, int] = MASK_TINT,
    alpha: float = MASK_TINT_ALPHA,
) -> np.ndarray:
    """Tint the pixels a mask marks for editing (white), so its polarity can be seen."""
    import numpy as np
    from PIL import Image

    if frame_rgb.shape[:2] != mask_rgb.shape[:2]:
        mask_rgb = np.asarray(
            Image.fromarray(mask_rgb).resize((frame_rgb.shape[1], frame_rgb.shape[0]))
        )
    edit = mask_rgb.mean(axis=2) > 127
    out = frame_rgb.astype(np.float32)
    out[edit] = out[edit] * (1 - alpha) + np.array(color, np.float32) * alpha
    return out.astype(np.uint8)

