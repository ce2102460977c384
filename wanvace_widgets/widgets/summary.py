"""A static copy of the finished jobs, shown beside a live studio or history.

A widget view needs the widget manager's JavaScript and either a kernel or saved widget
state (off by default in JupyterLab), so a reopened notebook shows "model not found" and an
HTML export (nbconvert) or GitHub shows nothing of it. A studio therefore displays a second
output: plain HTML with no script (poster images as small data URLs, every text escaped)
and a text form for terminals. It is kept up to date as jobs finish through its display id
(``update_display``), so the notebook saves the latest copy. While the live history shows
in the same output area, the history's stylesheet hides the copy (``job_history.css``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from .job_records import JobRecord, function_title
from .player import display_path
from .posters import PosterCache, data_url, poster_cache_for

__all__ = ["SUMMARY_CLASS", "FormSummary", "StaticSummary", "display_with_copy", "summary_bundle"]

SUMMARY_CLASS = "wanvace-static-summary"
#: the newest finished jobs the copy shows (a notebook should not grow without bound)
SUMMARY_LIMIT = 12
_PROMPT_CHARS = 200

PosterOf = Callable[[JobRecord], "bytes | None"]


def summary_bundle(title: str, records: Sequence[JobRecord], poster_of: PosterOf) -> dict:
    """``text/html`` and ``text/plain`` of the finished jobs among ``records`` (newest
    first, at most SUMMARY_LIMIT)."""
    done = [r for r in records if r.finished]
    shown = done[:SUMMARY_LIMIT]
    more = len(done) - len(shown)
    rows = "".join(_row_html(r, poster_of(r)) for r in shown)
    note = f"<div>… and {more} earlier finished jobs.</div>" if more else ""
    body = (
        f"<table style='border-collapse:collapse'>{rows}</table>{note}"
        if shown
        else "<div><i>No finished jobs yet.</i></div>"
    )
    page = (
        f"<div class='{SUMMARY_CLASS}' style='font-size:13px;line-height:1.4'>"
        f"<div><b>{html.escape(title)}</b>: finished jobs (a static copy; run the cell for "
        f"the live widget)</div>{body}</div>"
    )
    count = "1 finished job" if len(done) == 1 else f"{len(done)} finished jobs"
    lines = [f"{title}: {count}"] + [_row_text(r) for r in shown]
    return {"text/html": page, "text/plain": "\n".join(lines)}


def display_with_copy(widget: Any, show_copy: Callable[[], None]) -> None:
    """What ``_ipython_display_`` does: the live widget as one output, then its static
    copy as another (a reopened notebook shows the second when it cannot show the first)."""
    from IPython.display import display

    display(widget._repr_mimebundle_(), raw=True)
    show_copy()


class StaticSummary:
    """The copy's outputs: shown once per display of the widget, then updated in place."""

    def __init__(self) -> None:
        self._handles: list[Any] = []
        self._bundle: dict | None = None

    @property
    def shown(self) -> bool:
        return bool(self._handles)

    def show(self, bundle: dict) -> None:
        """Display the copy as an output of its own (from ``_ipython_display_``)."""
        from IPython.display import display

        handle = display(bundle, raw=True, display_id=True)
        if handle is not None:  # None outside IPython: nothing was displayed
            self._handles.append(handle)
        self._bundle = bundle

    def update(self, bundle: dict) -> None:
        """Replace every shown copy, when it changed (safe from background code: it sends
        one update message routed by display id, and changes no widget)."""
        if not self.shown or bundle == self._bundle:
            return
        self._bundle = bundle
        for handle in self._handles:
            handle.update(bundle, raw=True)


class FormSummary:
    """The static copy of one function widget's jobs (newest first), titled ``title``;
    ``client()`` gives the client whose poster cache it uses."""

    def __init__(self, title: str, client: Callable[[], Any]):
        self._title = title
        self._client = client
        self._posters: PosterCache | None = None  # made with the first summary
        self._published: set[tuple[str, str]] = set()  # (job id, status) in the summary
        self._static = StaticSummary()

    def show(self, jobs: Sequence[Any]) -> None:
        """Display the copy of ``jobs`` (Tasks, oldest first) as an output of its own."""
        self._static.show(self.bundle(jobs))

    def publish(self, job_id: str, status: str, jobs: Sequence[Any]) -> None:
        """Update the shown copy once a job finished (once per job and final status)."""
        if (job_id, status) in self._published:
            return
        self._published.add((job_id, status))
        if self._static.shown:
            self._static.update(self.bundle(jobs))

    def bundle(self, jobs: Sequence[Any]) -> dict:
        records = [JobRecord.from_snapshot(t.snapshot()) for t in reversed(jobs)]
        return summary_bundle(self._title, records, self._poster_of)

    def _poster_of(self, record: JobRecord) -> bytes | None:
        video = record.video_file()
        if video is None:
            return None
        if self._posters is None:
            self._posters = poster_cache_for(self._client())
        return self._posters.poster(video)  # decoded once, then cached


def _row_html(record: JobRecord, poster: bytes | None) -> str:
    image = (
        f"<img src='{data_url(poster)}' alt='poster' style='max-width:96px;max-height:96px'>"
        if poster
        else ""
    )
    prompt = record.prompt
    if len(prompt) > _PROMPT_CHARS:
        prompt = prompt[: _PROMPT_CHARS - 1] + "…"
    path = (
        f"<br><code>{html.escape(display_path(record.local_path))}</code>"
        if record.local_path
        else ""
    )
    error = f"<br><i>{html.escape(record.error)}</i>" if record.error else ""
    cell = "style='padding:4px 8px 4px 0;vertical-align:top;text-align:left'"
    return (
        f"<tr><td {cell}>{image}</td><td {cell}><b>{html.escape(record.status)}</b> · "
        f"{html.escape(function_title(record.function))}<br>{html.escape(prompt)}"
        f"{path}{error}</td></tr>"
    )


def _row_text(record: JobRecord) -> str:
    where = f" → {display_path(record.local_path)}" if record.local_path else ""
    return f"  {record.status} {record.function}: {record.prompt[:60]!r}{where}"
