"""Playing a result inline, through the server that shows the notebook.

The browser must never need the emulator's or DashScope's address (Binder, remote
servers): the video is played from the local copy the client downloaded, through the
Jupyter server's ``/files/`` route, or Voilà's ``/voila/files/`` on a Voilà page (Voilà
serves no ``/files/``, and another Jupyter server on the machine is not the page's
origin). Only when no server can serve the file (none found, or the file is outside its
root) is a small video embedded as bytes.
"""

from __future__ import annotations

import html
import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote

import ipywidgets as W

__all__ = ["ResultPlayer", "display_path", "files_url", "served_url"]

#: the largest result embedded in the widget state (and so in a notebook saved with it)
EMBED_LIMIT = 1024 * 1024


def _servers() -> list[dict]:
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return []
    try:
        return list(list_running_servers())
    except Exception:  # noqa: BLE001 - a broken runtime dir must not break playback
        return []


def served_url(path: str | Path) -> str | None:
    """The URL path under which the server showing this kernel's page serves ``path``."""
    path = Path(path).resolve()
    voila_base = os.environ.get("VOILA_BASE_URL")  # set by Voilà in its kernels' environment
    if voila_base is not None:
        root = _voila_root()
        return files_url(path, root, voila_base, "voila/files") if root else None
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    for server in _servers():
        root = Path(server.get("root_dir") or server.get("notebook_dir") or "/").resolve()
        url = files_url(path, root, prefix or server.get("base_url") or "/", "files")
        if url:
            return url
    return None


def files_url(path: Path, root: Path, base_url: str, route: str) -> str | None:
    """``path`` under a server's file ``route``, where the files start at ``root``; None
    when ``path`` is outside ``root``.

    >>> files_url(Path("/srv/app/results/a b.mp4"), Path("/srv/app"), "/", "voila/files")
    '/voila/files/results/a%20b.mp4'
    >>> files_url(Path("/tmp/a.mp4"), Path("/srv/app"), "/user/x/", "files") is None
    True
    """
    if root not in path.parents:
        return None
    return f"{base_url.rstrip('/')}/{route}/{quote(path.relative_to(root).as_posix())}"


def _voila_root() -> Path | None:
    """The folder Voilà serves files from. Voilà starts a kernel in the notebook's folder,
    which is its root for a single notebook (``voila app.ipynb``); when it serves a tree,
    ``SCRIPT_NAME`` ends in ``/voila/render/<notebook path>``, whose folders lead back up."""
    folder = Path.cwd().resolve()
    script = unquote(os.environ.get("SCRIPT_NAME", ""))
    _, tree, notebook = script.partition("/voila/render/")
    depth = len(PurePosixPath(notebook).parts) - 1 if tree else 0
    if depth <= 0:
        return folder
    return folder.parents[depth - 1] if depth <= len(folder.parents) else None


def display_path(path: str | Path) -> str:
    """``path`` relative to the kernel's working folder when inside it: short and clickable
    in the file browser beside the notebook; absolute otherwise."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


class ResultPlayer(W.VBox):
    """The result video, then its source (beside it when there is room), controls on, no
    autoplay, with a link to the local file. Normally one HTML widget whose value changes
    once per result, so showing a result costs the browser one message."""

    def __init__(self) -> None:
        super().__init__()
        self.add_class("wanvace-player")
        self.path: Path | None = None
        self._html = W.HTML()
        self.children = [self._html]

    def show(
        self, path: Path | None, remote_url: str | None = None, source_url: str | None = None
    ) -> None:
        """Show the result at ``path`` (None clears), beside the source video if given."""
        self.path = path
        if path is None:
            self._html.value = ""
            self.children = [self._html]
            return
        column = "<div style='flex:1 1 {};min-width:0'>{}</div>"
        source = column.format("160px", _video_html(source_url, "source")) if source_url else ""
        url = served_url(path)
        link = f"<code>{html.escape(display_path(path))}</code>"
        if url:
            src = html.escape(url, quote=True)
            link = f"<a href='{src}' download>download</a> · saved as {link}"
        if remote_url and remote_url.startswith("https://") and not url:
            remote = html.escape(remote_url, quote=True)
            link += f" · <a href='{remote}' target='_blank'>remote copy</a>"
        link = f"<div class='wanvace-caption' style='word-break:break-all'>{link}</div>"
        if url:
            # the result first and widest: with the status, it is what the user came for
            result = _video_html(url, "result", "wanvace-result")
            self._html.value = (
                "<div style='display:flex;gap:8px;flex-wrap:wrap;align-items:flex-start'>"
                f"{column.format('320px', result + link)}{source}</div>"
            )
            self.children = [self._html]
            return
        self._html.value = source
        self.children = [self._html, self._embedded(path), W.HTML(link)]

    @staticmethod
    def _embedded(path: Path) -> W.Widget:
        """The video as bytes in the widget state: only when no Jupyter server serves it."""
        if path.stat().st_size > EMBED_LIMIT:
            return W.HTML("<i>The video is too big to embed here; open the saved file.</i>")
        return W.Video(
            value=path.read_bytes(),
            format="mp4",
            autoplay=False,
            loop=False,
            controls=True,
            layout=W.Layout(max_width="100%"),
            _dom_classes=("wanvace-result",),
        )


def _video_html(url: str, label: str, css_class: str = "") -> str:
    """A video with its controls, never autoplaying or looping, named for screen readers
    (the outputs are silent: no captions to give)."""
    src = html.escape(url, quote=True)
    return (
        f"<div class='wanvace-caption'>{label}</div><video class='{css_class}' src='{src}' "
        f"aria-label='{label} video' controls preload='metadata' "
        "style='width:100%;max-height:300px'></video>"
    )
