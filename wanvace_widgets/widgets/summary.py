"""A static summary of a widget's finished jobs, for pages without the live widget.

Widget state is not saved in notebooks by default, so a reopened notebook (or its HTML
export, or GitHub's view) cannot show the widget. Each function widget therefore
displays, after itself, this summary as plain HTML: a poster of each result (a small JPEG
of its first frame), the prompt, the status and where the video was saved. Inline styles
only: no stylesheet of ours is loaded on such pages. Next to the live widget the page
hides it (``static/vace_widget.css``).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import lifecycle as s
from ..media import MediaReadError, thumbnail
from ..tasks import TaskSnapshot
from .player import display_path

__all__ = ["POSTER_MAX_SIDE", "poster_jpeg", "summary_bundle"]

#: the poster's longest side, in pixels (about 5 kB of JPEG)
POSTER_MAX_SIDE = 200
_PROMPT_CHARS = 160


def poster_jpeg(video: Path) -> bytes | None:
    """The first frame of a result as a small JPEG, or None when it cannot be read."""
    try:
        return thumbnail(video, max_side=POSTER_MAX_SIDE)
    except (MediaReadError, OSError):
        return None


def summary_bundle(
    title: str, jobs: Sequence[TaskSnapshot], posters: Mapping[str, bytes]
) -> dict[str, str]:
    """``text/html`` and ``text/plain`` of the finished ``jobs`` (posters by job id)."""
    finished = [job for job in jobs if job.finished]
    if not finished:
        head = f"{title}: no finished job yet. Run this cell to use the form."
        return {
            "text/html": _frame(f"<b>{html.escape(title)}</b>: no finished job yet. Run this "
                                "cell to use the form."),
            "text/plain": head,
        }  # fmt: skip
    count = f"{len(finished)} finished job{'s' if len(finished) > 1 else ''}"
    rows = "".join(_job_html(job, posters.get(job.job_id)) for job in finished)
    heading = (
        f"<div><b>{html.escape(title)}</b>: {count} (a static summary; run this cell for "
        "the live form)</div>"
    )
    plain = [f"{title}: {count}", *(_job_text(job) for job in finished)]
    return {"text/html": _frame(heading + rows), "text/plain": "\n".join(plain)}


def _frame(inner: str) -> str:
    return (
        "<div class='wanvace-summary' style='font-family:sans-serif;font-size:13px;"
        f"line-height:1.4;margin:4px 0'>{inner}</div>"
    )


def _job_html(job: TaskSnapshot, poster: bytes | None) -> str:
    image = ""
    if poster:
        data = base64.b64encode(poster).decode()
        image = (
            f"<img src='data:image/jpeg;base64,{data}' alt='first frame of the result' "
            "style='max-width:200px;border:1px solid #ccc;flex:0 0 auto'/>"
        )
    colour = "#1b7f3b" if job.status == s.SUCCEEDED and job.error is None else "#b00020"
    lines = [
        f"<b style='color:{colour}'>{html.escape(job.status)}</b>"
        + (f" · task <code>{html.escape(job.task_id)}</code>" if job.task_id else ""),
        f"“{html.escape(_prompt(job))}”",
    ]
    if job.local_path:
        lines.append(f"saved as <code>{html.escape(display_path(job.local_path))}</code>")
    if job.error is not None:
        lines.append(f"<span style='color:#b00020'>{html.escape(str(job.error))}</span>")
    return (
        "<div style='display:flex;gap:10px;align-items:flex-start;margin:6px 0'>"
        f"{image}<div>{'<br>'.join(lines)}</div></div>"
    )


def _job_text(job: TaskSnapshot) -> str:
    where = f", saved as {display_path(job.local_path)}" if job.local_path else ""
    return f"- {job.status} task {job.task_id or '—'}: “{_prompt(job)}”{where}"


def _prompt(job: TaskSnapshot) -> str:
    prompt = str((job.request or {}).get("prompt") or "")
    return prompt if len(prompt) <= _PROMPT_CHARS else prompt[: _PROMPT_CHARS - 1] + "…"
