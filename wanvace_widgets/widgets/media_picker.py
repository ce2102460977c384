"""A media input: a URL or a path on the kernel's disk, or a file sent from the browser.

The preview is made on the kernel side and kept small (a JPEG of at most 240 px), so
saved notebooks stay light; a remote URL is previewed by the browser itself. A form whose
own preview already shows the file (outpainting's widened canvas) turns it off.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as W
import traitlets

from ..contract.params import IMAGE_MEDIA, MEDIA_EXTENSIONS
from ..contract.request_models import is_remote_url
from ..media.codec import MediaReadError, thumbnail
from .form_check import problem_html

__all__ = ["BROWSER_UPLOAD_LIMIT", "MediaPicker"]

#: Jupyter's websocket may refuse bigger messages (ipywidgets#2522): say so, don't fail silently.
BROWSER_UPLOAD_LIMIT = 10 * 1024 * 1024
_UPLOAD_NOTE = (
    "Browser uploads travel through Jupyter's websocket, which may refuse files over about "
    "10 MB: for big files, type the path of a file on the kernel's disk instead."
)


class MediaPicker(W.VBox):
    """One image or video input. ``value`` is a URL, a path, bytes, or None."""

    value = traitlets.Any(None, allow_none=True)

    def __init__(
        self,
        label: str,
        kind: str,
        help: str = "",
        required: bool = False,
        *,
        preview: bool = True,
    ):
        super().__init__()
        self.kind = kind
        self._shows_preview = preview
        accept = ",".join(MEDIA_EXTENSIONS[kind])
        videos = "/".join(e[1:].upper() for e in MEDIA_EXTENSIONS[kind])
        what = "image" if kind in IMAGE_MEDIA else f"{videos} video"
        self._text = W.Text(
            description=label,  # for screen readers; the title above shows it on screen
            placeholder=f"URL (https://, oss://) or path of a local {what}",
            layout=W.Layout(width="auto", flex="1 1 160px", min_width="0"),
        )
        self._text.add_class("wanvace-sr-label")
        self._upload = W.FileUpload(
            accept=accept,
            multiple=False,
            description="Upload",
            tooltip=f"Upload the {label.lower()} from this computer. {_UPLOAD_NOTE}",
            layout=W.Layout(width="auto", flex="0 0 auto"),
        )
        self._clear = W.Button(
            icon="times",
            tooltip=f"clear the {label.lower()}",
            layout=W.Layout(width="32px", flex="0 0 auto"),
        )
        self._preview = W.HTML()
        self._message = W.HTML()
        title = f"<b>{html.escape(label)}</b>" + (" *" if required else "")
        if help:
            title += f" <span class='wanvace-help'>{html.escape(help)}</span>"
        self.children = [
            W.HTML(title, _dom_classes=("wanvace-media-title",)),
            W.HBox([self._text, self._upload, self._clear], layout=W.Layout(width="100%")),
            self._message,
            self._preview,
        ]
        self.add_class("wanvace-media")
        self._uploaded_name: str | None = None
        self._text.observe(self._on_text, "value")
        self._upload.observe(self._on_upload, "value")
        self._clear.on_click(lambda _: self.set_value(None))

    # -- public --------------------------------------------------------------------------

    def set_value(self, value: object) -> None:
        """Fill the input from code (a URL, a path or bytes)."""
        if isinstance(value, bytes):
            self._uploaded_name = "bytes"
            self._text.value = ""
            self.value = value
        else:
            self._uploaded_name = None
            self._text.value = "" if value is None else str(value)
        self._refresh_preview()

    def show_error(self, text: str | None) -> None:
        """Show ``text`` (plain words) under the input, or nothing."""
        self._message.value = problem_html(text)

    @property
    def message_html(self) -> str:
        """The problem shown under the input (escaped HTML), or ""."""
        return self._message.value

    @property
    def preview_html(self) -> str:
        """The preview shown under the input (escaped HTML), or ""."""
        return self._preview.value

    # -- events --------------------------------------------------------------------------

    def _on_text(self, change) -> None:
        text = change["new"].strip()
        if self._uploaded_name and not text:
            return
        self._uploaded_name = None
        self.value = text or None
        self._refresh_preview()

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        data = bytes(item["content"])
        self._upload.value = ()  # the bytes live here only, not in synced widget state
        if len(data) > BROWSER_UPLOAD_LIMIT:
            self.show_error(f"{item['name']} is {len(data) / 2**20:.1f} MB. " + _UPLOAD_NOTE)
            return
        self._uploaded_name = item["name"]
        self._text.value = ""
        self.value = data
        self._refresh_preview()

    def _refresh_preview(self) -> None:
        value = self.value
        if value is None or not self._shows_preview:
            self._preview.value = ""
            return
        if isinstance(value, str) and is_remote_url(value):
            if value.startswith("http"):
                url = html.escape(value, quote=True)
                if self.kind in IMAGE_MEDIA:
                    self._preview.value = (
                        f"<img src='{url}' alt='preview of the image' class='wanvace-thumb'>"
                    )
                else:
                    self._preview.value = (
                        f"<video src='{url}' class='wanvace-thumb' controls "
                        "preload='metadata'></video>"
                    )
            else:
                self._preview.value = "<i>stored file (no preview)</i>"
            return
        source = value if isinstance(value, bytes) else Path(value).expanduser()
        if not isinstance(source, bytes) and not source.is_file():
            self._preview.value = ""
            return
        try:
            jpeg = thumbnail(source, max_side=240)
        except MediaReadError as exc:
            self._preview.value = f"<span class='wanvace-error'>{html.escape(str(exc))}</span>"
            return
        name = self._uploaded_name or Path(str(value)).name
        self._preview.value = _img_tag(jpeg, name)


def _img_tag(jpeg: bytes, caption: str) -> str:
    import base64

    data = base64.b64encode(jpeg).decode()
    name = html.escape(caption)
    return (
        f"<figure class='wanvace-figure'><img src='data:image/jpeg;base64,{data}' "
        f"alt='preview of {name}' class='wanvace-thumb'/><figcaption>{name}</figcaption>"
        "</figure>"
    )
