"""Paint a video_edit mask in the notebook, over a frame of the source video.

The canvas lives in the browser (``static/mask_painter.js``, an anywidget module with no
build step). While the pointer moves nothing is sent; each finished stroke, rectangle or
lasso goes to the kernel as one small message (see ``masks.py`` for the format). The
kernel draws the mask at exactly the video's resolution, saves it as a black-and-white
PNG beside the notebook and sends back a 1-bit tinted preview, so what the page shows is
what the file holds. The chosen frame comes from the kernel as a small JPEG, only after
the scrubber rests.

With ``mask_type`` "tracking" (the API's default), a line shows how far the region grows
by ``expand_ratio`` into the outline ``expand_mode`` names (``mask_growth.py``), sent with
the mask as another 1-bit PNG; in a form it follows the form's controls.

Synced state (everything else stays in the kernel): ``width``, ``height``,
``frame_limit``, ``mask_frame_id`` (the only value the page sets), ``shown_frame``,
``frame_jpeg``, ``mask_png``, ``growth_png``, ``applied_seq``, ``can_undo``, ``saved_as``,
``message``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..contract import constants as c
from ..contract.request_models import is_remote_url
from ..media.codec import MediaReadError
from ..media.frame_previews import FramePreviews
from ..media.mask_growth import grown_region, outline_png
from ..media.masks import (
    MaskHistory,
    OperationError,
    mask_png,
    parse_operation,
    read_mask,
    tinted_png,
)
from .player import display_path

__all__ = ["DEFAULT_MASK_FOLDER", "MaskPainter", "connect_expand_preview", "connect_painter"]

_STATIC = Path(__file__).parent / "static"
#: where painted masks are saved, relative to the kernel's working folder (the notebook's)
DEFAULT_MASK_FOLDER = "masks"
#: the frame is decoded once the scrubber has rested this long
FRAME_DEBOUNCE_S = 0.12


class MaskPainter(anywidget.AnyWidget):
    """Paint the region to edit (white in the mask) over a frame of ``video``.

    ``mask_frame_id`` is the frame shown (1 = first), ``mask_path`` the saved PNG ("" while
    nothing is painted). ``mask`` may be an existing mask image to touch up. From Python:
    ``apply(operation)``, ``undo()``, ``invert()``, ``clear()``, ``load_mask(source)``."""

    _esm = _STATIC / "mask_painter.js"
    _css = _STATIC / "mask_painter.css"

    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    frame_limit = traitlets.Int(0, help="the last frame a mask can belong to; 0: no video").tag(
        sync=True
    )
    mask_frame_id = traitlets.Int(1, help="the frame the mask belongs to (1 = first)").tag(
        sync=True
    )
    shown_frame = traitlets.Int(0, help="the frame in frame_jpeg").tag(sync=True)
    frame_jpeg = traitlets.Bytes(b"").tag(sync=True)
    mask_png = traitlets.Bytes(b"", help="the mask tinted, transparent where kept").tag(sync=True)
    growth_png = traitlets.Bytes(b"", help="the line the region grows to; b'' for none").tag(
        sync=True
    )
    applied_seq = traitlets.Int(0, help="the last operation from the page handled").tag(sync=True)
    can_undo = traitlets.Bool(False).tag(sync=True)
    saved_as = traitlets.Unicode("", help="mask_path as shown to the user").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)

    video = traitlets.Any(None, allow_none=True, help="path or bytes of the source video")
    mask_path = traitlets.Unicode("", help="the saved mask PNG; '' while nothing is painted")
    revision = traitlets.Int(0, help="counts the changes of mask_path or of the file's content")
    mask_type = traitlets.Unicode("tracking", help="the request's mask_type")
    expand_ratio = traitlets.Float(c.DEFAULT_EXPAND_RATIO, help="the request's expand_ratio")
    expand_mode = traitlets.Unicode("hull", help="the request's expand_mode")

    def __init__(
        self,
        video: Any = None,
        mask: Any = None,
        save_dir: str | Path = DEFAULT_MASK_FOLDER,
        **kwargs: Any,
    ):
        # set before the traits: a trait given here (mask_frame_id=…) runs observers at once
        self.save_dir = Path(save_dir)
        self._frames: FramePreviews | None = None
        self._history: MaskHistory | None = None
        self._target: Path | None = None
        self._written: set[Path] = set()
        self._frame_timer: asyncio.TimerHandle | None = None
        super().__init__(**kwargs)
        self.on_msg(self._on_page_message)
        self.video = video
        if mask is not None:
            self.load_mask(mask)

    # -- public ----------------------------------------------------------------------------

    @property
    def mask(self):
        """The mask as a boolean array (True = edit), or None without a video."""
        return None if self._history is None else self._history.mask

    def apply(self, operation: dict) -> None:
        """Apply one operation, in the format the page sends (see ``masks.py``)."""
        history = self._require_history()
        history.apply(parse_operation(operation, history.width, history.height))
        self._publish()

    def invert(self) -> None:
        self.apply({"action": "invert"})

    def clear(self) -> None:
        self.apply({"action": "clear"})

    def undo(self) -> bool:
        """Take the last operation back; False when there was none."""
        done = self._require_history().undo()
        if done:
            self._publish()
        return done

    def load_mask(self, source: Any) -> None:
        """Start from an existing mask image (a path or bytes) to touch it up; one of
        another size is scaled to the video's. Undo history starts again from it."""
        history = self._require_history()
        try:
            base, size = read_mask(_local(source), history.width, history.height)
        except MediaReadError as exc:
            self.message = f"cannot load the mask: {exc}"
            return
        self._history = MaskHistory(history.width, history.height, base)
        with self.hold_sync():
            self._show_mask()
            self._set_output(None)  # the painter has not saved this mask (yet)
            self.message = (
                ""
                if size == (history.width, history.height)
                else f"the mask was {size[0]}x{size[1]}: scaled to the video's "
                f"{history.width}x{history.height}"
            )

    def __repr__(self) -> str:
        video = _name(self.video)
        mask = f", mask={self.saved_as!r}" if self.saved_as else ""
        return f"MaskPainter(video={video!r}, mask_frame_id={self.mask_frame_id}{mask})"

    def owns(self, path: Any) -> bool:
        """Whether ``path`` is the mask this painter saved last."""
        return bool(self.mask_path) and _same_file(path, self.mask_path)

    # -- the video and its frames -----------------------------------------------------------

    @traitlets.observe("video")
    def _on_video(self, change) -> None:
        if self._frames is not None:
            self._frames.close()
        self._frames = self._history = self._target = None
        message = ""
        if change["new"] is not None:
            try:
                self._frames = FramePreviews(_local(change["new"]))
            except MediaReadError as exc:
                message = f"cannot paint on this video: {exc}"
        with self.hold_sync():
            info = self._frames.info if self._frames else None
            self.width, self.height = (info.width, info.height) if info else (0, 0)
            self.frame_limit = self._frames.limit if self._frames else 0
            if info is not None:
                self._history = MaskHistory(info.width, info.height)
            self.message = message
            self.mask_frame_id = max(1, min(self.mask_frame_id, self.frame_limit or 1))
            self._show_frame()
            self._show_mask()
            self._set_output(None)

    @traitlets.validate("mask_frame_id")
    def _clamp_frame(self, proposal) -> int:
        limit = self.frame_limit
        return max(1, min(proposal["value"], limit)) if limit else max(1, proposal["value"])

    @traitlets.observe("mask_frame_id")
    def _on_frame(self, _change) -> None:
        """Decode once the scrubber rests (at once when no event loop runs, as in a script)."""
        if self._frame_timer is not None:
            self._frame_timer.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._show_frame()
            return
        self._frame_timer = loop.call_later(FRAME_DEBOUNCE_S, self._show_frame)

    def _show_frame(self) -> None:
        self._frame_timer = None
        if self._frames is None:
            self.shown_frame, self.frame_jpeg = 0, b""
            return
        try:
            shown, jpeg = self._frames.jpeg(self.mask_frame_id)
        except MediaReadError as exc:
            self.message = f"cannot show the frame: {exc}"
            return
        with self.hold_sync():
            self.frame_jpeg, self.shown_frame = jpeg, shown
            self.frame_limit = self._frames.limit

    # -- operations from the page -------------------------------------------------------------

    def _on_page_message(self, _widget, content: Any, _buffers) -> None:
        """One finished operation from the page; a bad one is refused with a message."""
        with self.hold_sync():
            self.message = ""
            try:
                if isinstance(content, dict) and content.get("action") == "undo":
                    self.undo()
                else:
                    self.apply(content)
            except OperationError as exc:
                self.message = f"ignored: {exc}"
            seq = content.get("seq") if isinstance(content, dict) else None
            if isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq < 2**53:
                self.applied_seq = seq

    def _require_history(self) -> MaskHistory:
        if self._history is None:
            raise OperationError("choose a local source video first")
        return self._history

    # -- output --------------------------------------------------------------------------------

    def _publish(self) -> None:
        """Show the mask and save it (or forget the file when nothing is painted)."""
        with self.hold_sync():
            self._show_mask()
            mask = self._require_history().mask
            self._set_output(self._save(mask) if mask.any() else None)

    def _show_mask(self) -> None:
        history = self._history
        self.mask_png = b"" if history is None else tinted_png(history.mask)
        self.can_undo = history is not None and history.can_undo
        self._show_growth()

    @traitlets.observe("mask_type", "expand_ratio", "expand_mode")
    def _show_growth(self, _change: object = None) -> None:
        """The line the region grows to, for a tracking mask with something painted."""
        history = self._history
        if history is None or self.mask_type != "tracking" or not history.mask.any():
            self.growth_png = b""
            return
        ratio = min(max(self.expand_ratio, 0.0), 1.0)
        self.growth_png = outline_png(grown_region(history.mask, ratio, self.expand_mode))

    def _save(self, mask) -> Path | None:
        target = self._target or self._free_target()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(mask_png(mask))
        except OSError as exc:
            self.message = f"cannot save the mask: {exc.strerror or exc}"
            return None
        self._target = target
        self._written.add(target)
        return target

    def _free_target(self) -> Path:
        """``<video name>-mask.png`` in the mask folder, numbered so as not to overwrite a
        file this painter did not write."""
        stem = Path(self.video).stem if isinstance(self.video, (str, Path)) else "upload"
        folder = self.save_dir.expanduser().resolve()
        for n in range(1, 10_000):
            target = folder / (f"{stem}-mask.png" if n == 1 else f"{stem}-mask-{n}.png")
            if target in self._written or not target.exists():
                return target
        raise OperationError(f"no free file name for the mask in {folder}")

    def _set_output(self, path: Path | None) -> None:
        self.mask_path = "" if path is None else str(path)
        self.saved_as = "" if path is None else display_path(path)
        self.revision += 1


def _name(source: Any) -> str | None:
    """How a video is named in a repr: its file name, never a long path or its bytes."""
    if isinstance(source, bytes):
        return f"<{len(source):,} bytes>"
    return None if source is None else Path(str(source)).name


def _local(source: Any) -> Any:
    """A path or bytes the media functions read; a URL is refused (nothing to paint on)."""
    if isinstance(source, bytes):
        return source
    if isinstance(source, (str, Path)) and not is_remote_url(str(source)):
        return Path(source).expanduser()
    raise MediaReadError("only a local file or uploaded bytes can be painted on")


def connect_painter(painter: MaskPainter, video: Any, mask: Any, frame: Any) -> None:
    """Wire a painter into a form: the ``video`` picker feeds it, its frame and the
    ``frame`` box follow each other, its saved mask fills the ``mask`` picker, and a mask
    picked there is loaded to be touched up. Pickers have ``value`` and ``set_value``."""

    def on_video(_change=None) -> None:
        value = video.value
        painter.video = None if isinstance(value, str) and is_remote_url(value) else value
        on_mask()  # a mask chosen before the video is loaded now

    def on_mask(_change=None) -> None:
        value = mask.value
        if value is None or painter.owns(value) or painter.mask is None:
            return
        if isinstance(value, str) and is_remote_url(value):
            return
        painter.load_mask(value)

    given = {"path": ""}  # the painter's file last put in the mask field

    def on_saved(_change) -> None:
        path = painter.mask_path
        if path:
            mask.set_value(display_path(path))  # also when only its content changed
        elif given["path"] and _same_file(mask.value, given["path"]):
            mask.set_value(None)  # nothing painted any more: the old file is not the mask
        given["path"] = path

    from_box = {"now": False}  # the painter is following the box: do not write back

    def painter_follows(_change=None) -> None:
        from_box["now"] = True
        try:
            if painter.mask_frame_id != frame.value:
                painter.mask_frame_id = frame.value  # the painter shows its nearest frame
        finally:
            from_box["now"] = False

    def box_follows(_change=None) -> None:
        # only the scrubber moves the box: a number typed past the video's frames stays as
        # typed, so the form can say what is wrong instead of changing it silently
        if not from_box["now"] and frame.value != painter.mask_frame_id:
            frame.value = painter.mask_frame_id

    on_video()
    painter_follows()
    video.observe(on_video, "value")
    mask.observe(on_mask, "value")
    painter.observe(on_saved, "revision")
    frame.observe(painter_follows, "value")
    painter.observe(box_follows, "mask_frame_id")


def connect_expand_preview(painter: MaskPainter, controls: dict[str, Any]) -> None:
    """Let the painter's growth line follow a form's ``mask_type``, ``expand_ratio`` and
    ``expand_mode`` controls (each with a ``value``; "(default)" or a bad value shows the
    API's default)."""
    defaults = {name: painter.trait_defaults(name) for name in controls}

    def follow(name: str, control: Any) -> None:
        def copy(_change: object = None) -> None:
            value = control.value
            kind = type(defaults[name])
            setattr(painter, name, value if isinstance(value, kind) else defaults[name])

        copy()
        control.observe(copy, "value")

    for name, control in controls.items():
        follow(name, control)


def _same_file(value: Any, path: str) -> bool:
    """Whether a picker's value (a path, maybe relative; or bytes, or a URL) is ``path``."""
    if not isinstance(value, (str, Path)) or is_remote_url(str(value)):
        return False
    return Path(value).expanduser().resolve() == Path(path)
