"""JobHistory: every job of a client, this session's and earlier sessions', in one panel.

Fed by the client (this kernel's tasks, followed through task observers, so every live
job's status is current) and by the journal (this host's jobs of earlier sessions, so the
history survives a kernel restart). Unfinished jobs the journal holds are followed again
as soon as a history is made in a running kernel, as long as the server still keeps them
(24 h): their results are paid for and their URLs expire, so nobody should have to ask.
A job that stopped being followed (Stop watching) offers Resume instead.

Light by design: the rows live in one front-end component (``static/job_history.js``), so
a history of 200 jobs is a handful of widget models, and only a page of rows (with small
posters) is sent; older rows come a page at a time. Elapsed times of live jobs tick in the
page. One shared player plays the job asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as W
import traitlets

from ..contract.request_models import VaceRequest
from ..errors import VaceError, ValidationError
from ..jobs.tasks import Task, TaskSnapshot
from .history_rows import job_row, totals_text
from .job_records import JobRecord, request_code, request_from_summary
from .player import ResultPlayer
from .posters import PosterCache, data_url, poster_cache_for
from .summary import StaticSummary, display_with_copy, summary_bundle

__all__ = ["JobHistory"]

_STATIC = Path(__file__).parent / "static"
PAGE_SIZE = 12
#: a burst of changes (several jobs moving at once) reaches the page as one update
RENDER_DELAY_S = 0.2
#: how often a history looks for tasks made elsewhere in the kernel (another cell)

#: (label, function it fills, callback taking the result's path)
Target = tuple[str, str, Callable[[str], None]]


class JobList(anywidget.AnyWidget):
    """The rows, as one front-end component. The page sends ``{action, job, target}``."""

    _esm = _STATIC / "job_history.js"
    _css = _STATIC / "job_history.css"

    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    posters = traitlets.Dict(help="job id → poster data URL, for the rows shown").tag(sync=True)
    totals = traitlets.Unicode("").tag(sync=True)
    hidden = traitlets.Int(0, help="older jobs not sent yet").tag(sync=True)
    targets = traitlets.List(traitlets.Dict(), help="[{label, function}]").tag(sync=True)
    playing = traitlets.Unicode("", help="the job in the player").tag(sync=True)
    code = traitlets.Dict(help="{job, n, text}: the last 'Copy code' asked for").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    journal_problem = traitlets.Unicode(
        "", help="what keeps the journal from working, shown as a warning; empty when well"
    ).tag(sync=True)


class JobHistory(W.VBox):
    """Every job of ``client`` (default: the kernel's shared client), newest first.

    Per job: play, use as input (into another function's form, see :meth:`set_targets`),
    load the request into its form (:meth:`set_loader`), copy the request as Python code,
    resume. ``page_size`` rows are sent at a time; ``posters`` caches the result posters
    (default: ``posters/`` beside the journal); ``resume=False`` leaves the jobs a restart
    interrupted alone; ``title`` heads the static copy shown with the widget.
    """

    def __init__(
        self,
        client: Any = None,
        *,
        page_size: int = PAGE_SIZE,
        posters: PosterCache | None = None,
        resume: bool = True,
        title: str = "Job history",
    ):
        super().__init__()
        if client is None:
            from ..apps.backend import default_client

            client = default_client()
        self.client = client
        self.title = title
        self._page_size = page_size
        self._shown = page_size
        self._posters = posters or poster_cache_for(client)
        self._earlier: dict[str, JobRecord] = {}
        self._session: dict[str, JobRecord] = {}
        self._seen_tasks = 0
        self._targets: list[Target] = []
        self._load: Callable[[VaceRequest], None] | None = None
        self._render_handle: asyncio.TimerHandle | None = None
        self._journal_loop: asyncio.AbstractEventLoop | None = None
        self._making: set[Path] = set()
        self._background: set[asyncio.Task] = set()
        self._summary = StaticSummary()
        self._list = JobList()
        self._player = ResultPlayer()
        self._list.on_msg(self._on_page_message)
        self.children = [self._list, self._player]
        self.add_class("wanvace-history")
        self._read_journal()
        self._follow_new_tasks()
        if resume:
            self._resume_unfinished()
        self._render()
        self.client.add_task_listener(lambda _task: self.track_new_tasks())
        self._watch_journal()

    # -- public ------------------------------------------------------------------------------

    @property
    def jobs(self) -> list[JobRecord]:
        """Every job known, newest first (this session's state wins over the journal's)."""
        merged = {**self._earlier, **self._session}
        return sorted(merged.values(), key=lambda r: r.created_at or 0.0, reverse=True)

    @property
    def page(self) -> JobList:
        """What the page is sent (``rows``, ``posters``, ``totals``, ``message``, ``playing``,
        ``hidden``, ``code``): read it as the page would; clicks go through
        :meth:`click_in_page`."""
        return self._list

    @property
    def playing_path(self) -> Path | None:
        """The video in the history's player, if any."""
        return self._player.path

    def click_in_page(self, content: Any) -> None:
        """Do what a click in the page sends (``{action, job, target}``)."""
        self._on_page_message(self._list, content, [])

    @property
    def journal_warning(self) -> str:
        """The journal's trouble as the page shows it ("" when the journal is well)."""
        return self._list.journal_problem

    def refresh(self) -> None:
        """Read the journal again (jobs of other kernels) and show the latest state."""
        self._read_journal()
        self._follow_new_tasks()
        self._render()

    def track_new_tasks(self) -> None:
        """List the client's tasks made since the last look (the client calls this for every
        new task)."""
        if len(self.client.tasks) != self._seen_tasks:
            self._follow_new_tasks()
            self._schedule_render()

    def set_targets(self, targets: list[Target]) -> None:
        """Where a result can go: (label, function, callback taking its path). A job is
        never offered to its own function."""
        self._targets = list(targets)
        self._list.targets = [{"label": label, "function": f} for label, f, _ in targets]
        self._render()

    def set_loader(self, load: Callable[[VaceRequest], None] | None) -> None:
        """What "load into form" does with a job's request (the studio fills its tab)."""
        self._load = load
        self._render()

    def play(self, job_id: str) -> None:
        """Play the job's saved video in the history's player."""
        record = self._record(job_id)
        video = record.video_file()
        if video is None:
            return self._say(f"#{self._number(record)}: its video is not on this disk any more")
        if self._posters.poster(video) is None:
            return self._say(f"#{self._number(record)}: {video.name} is not a video")
        self._player.show(video)
        with self._list.hold_sync():
            self._list.playing = job_id
            self._say("")

    def use_as_input(self, job_id: str, label: str) -> None:
        """Send the job's video to the target called ``label`` (another function's form)."""
        record = self._record(job_id)
        target = next((t for t in self._targets if t[0] == label), None)
        if target is None or target[1] == record.function:
            return self._say(f"#{self._number(record)} cannot go to {label!r}")
        if not record.has_video_file():
            return self._say(f"#{self._number(record)}: its video is not on this disk any more")
        target[2](str(record.local_path))
        self._say(f"#{self._number(record)} → {label}")

    def load(self, job_id: str) -> None:
        """Fill the job's form with its request (through :meth:`set_loader`)."""
        record = self._record(job_id)
        if self._load is None or not record.known_function or record.request is None:
            return self._say(f"#{self._number(record)} has no request to load here")
        try:
            request, dropped = request_from_summary(record.function, record.request)
        except (ValidationError, TypeError, ValueError) as error:
            return self._say(f"#{self._number(record)} could not be loaded: {error}")
        self._load(request)
        note = f" (give {', '.join(dropped)} again: files given as bytes are not kept)"
        self._say(f"#{self._number(record)} loaded into its form" + (note if dropped else ""))

    def code(self, job_id: str) -> str:
        """The job's request as Python code (``wv.<Request>(...)``), also shown in the page
        to copy."""
        record = self._record(job_id)
        if not record.known_function or record.request is None:
            raise ValueError(f"job {job_id} has no request to write as code")
        text = request_code(record.function, record.request)
        self._list.code = {"job": job_id, "n": self._number(record), "text": text}
        return text

    def resume(self, job_id: str) -> Task | None:
        """Follow a job that is not followed here any more (``client.attach``)."""
        record = self._record(job_id)
        if not record.resumable(self.client.clock.now()):
            self._say(f"#{self._number(record)} cannot be resumed")
            return None
        try:
            task = self.client.attach(record.task_id)
        except (VaceError, RuntimeError) as error:
            self._say(f"#{self._number(record)} could not be resumed: {error}")
            return None
        self._follow_new_tasks()
        self._say(f"#{self._number(record)} is followed again")
        self._render()
        return task

    def close(self) -> None:
        for task in self.client.tasks[: self._seen_tasks]:
            task.remove_observer(self._on_task)
        for job in list(self._background):
            job.cancel()
        if self._render_handle is not None:
            self._render_handle.cancel()
        journal = getattr(self.client, "journal", None)
        if journal is not None and self._on_journal_problem in journal.listeners:
            journal.listeners.remove(self._on_journal_problem)
        self._list.close()
        self._player.close()
        super().close()

    # -- the static copy (summary.py) -------------------------------------------------------

    def summary_bundle(self) -> dict:
        """The static copy of this session's finished jobs (HTML and text)."""
        finished = [r for r in self.jobs if r.in_session and r.finished]
        return summary_bundle(self.title, finished, self._cached_poster)

    def show_summary(self) -> None:
        """Display the static copy as an output of its own, kept up to date."""
        self._summary.show(self.summary_bundle())

    def _ipython_display_(self) -> None:
        display_with_copy(self, self.show_summary)

    # -- following -----------------------------------------------------------------------------

    def _read_journal(self) -> None:
        journal, host = self.client.journal, self.client.host
        entries = journal.entries() if journal is not None else []
        records = (JobRecord.from_entry(e) for e in entries if e.host == host)
        self._earlier = {r.job_id: r for r in records}

    def _follow_new_tasks(self) -> None:
        """Observe the client's tasks made since the last look (the list only grows)."""
        tasks = self.client.tasks
        for task in tasks[self._seen_tasks :]:
            task.add_observer(self._on_task)
            self._session[task.job_id] = JobRecord.from_snapshot(task.snapshot())
        self._seen_tasks = len(tasks)

    def _resume_unfinished(self) -> None:
        """Follow again what a restart interrupted (see the module docstring); a task of
        this session that its user stopped watching stays as it is."""
        if _loop() is None:
            return
        known = {task.job_id for task in self.client.tasks}
        for entry in self.client.unfinished_jobs():
            if entry.job_id not in known:
                with contextlib.suppress(VaceError, RuntimeError):
                    self.client.recover(entry)
        self._follow_new_tasks()

    def _on_task(self, snapshot: TaskSnapshot) -> None:
        self._session[snapshot.job_id] = JobRecord.from_snapshot(snapshot)
        self._schedule_render()

    # -- showing --------------------------------------------------------------------------------

    def _watch_journal(self) -> None:
        """Show the journal's trouble (a lock held elsewhere, a damaged file, the second
        file in use) in the page for as long as it lasts: a job is then not safe yet."""
        journal = getattr(self.client, "journal", None)
        if journal is None:
            return
        self._show_journal_problem(journal.problem)
        self._journal_loop = _loop()
        journal.listeners.append(self._on_journal_problem)

    def _on_journal_problem(self, problem: str | None) -> None:
        """Called from the journal's thread: the trait is set on the kernel's loop."""
        loop = self._journal_loop
        if loop is None or loop.is_closed():
            self._show_journal_problem(problem)
        else:
            loop.call_soon_threadsafe(self._show_journal_problem, problem)

    def _show_journal_problem(self, problem: str | None) -> None:
        self._list.journal_problem = problem or ""

    def _schedule_render(self) -> None:
        loop = _loop()
        if loop is None:
            self._render()
        elif self._render_handle is None:
            self._render_handle = loop.call_later(RENDER_DELAY_S, self._render)

    def _render(self) -> None:
        """Bring the page up to date; only traits that changed are sent."""
        self._render_handle = None
        jobs = self.jobs
        now = self.client.clock.now()
        shown = jobs[: self._shown]
        summarised = [r for r in jobs if r.in_session and r.finished] if self._summary.shown else []
        self._make_posters([v for r in (*shown, *summarised) if (v := r.video_file())])
        rows = [job_row(r, len(jobs) - i, now, self._actions(r, now)) for i, r in enumerate(shown)]
        posters = {r.job_id: data_url(p) for r in shown if (p := self._cached_poster(r))}
        with self._list.hold_sync():
            _set(self._list, "rows", rows)
            _set(self._list, "posters", posters)
            _set(self._list, "totals", totals_text(jobs, now))
            _set(self._list, "hidden", len(jobs) - len(shown))
        if self._summary.shown:
            self._summary.update(self.summary_bundle())

    def _actions(self, record: JobRecord, now: float) -> list[str]:
        actions = []
        if record.status == "SUCCEEDED" and record.has_video_file():
            actions.append("play")
            if any(function != record.function for _, function, _ in self._targets):
                actions.append("use")
        if record.known_function and record.request:
            actions += ["load", "code"] if self._load is not None else ["code"]
        if record.resumable(now):
            actions.append("resume")
        return actions

    def _cached_poster(self, record: JobRecord) -> bytes | None:
        video = record.video_file()
        return self._posters.cached(video) if video is not None else None

    def _make_posters(self, videos: list[Path]) -> None:
        """Make missing posters off the event loop, then show them (at once without a loop)."""
        missing = [v for v in videos if v not in self._making and self._posters.missing(v)]
        if not missing:
            return
        loop = _loop()
        if loop is None:
            for path in missing:
                self._posters.poster(path)
            return
        self._making.update(missing)

        async def make() -> None:
            try:
                for path in missing:
                    await loop.run_in_executor(None, self._posters.poster, path)
            finally:
                self._making.difference_update(missing)
            self._schedule_render()

        self._spawn(make())

    # -- the page's messages ---------------------------------------------------------------

    def _on_page_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """One click in the page: ``{action, job, target}``; anything else is ignored."""
        if not isinstance(content, dict):
            return
        action, job_id = content.get("action"), content.get("job")
        if action == "more":
            self._shown += self._page_size
            return self._render()
        if action == "refresh":
            return self.refresh()
        if not isinstance(job_id, str) or job_id not in {**self._earlier, **self._session}:
            return
        try:
            if action == "play":
                self.play(job_id)
            elif action == "use" and isinstance(content.get("target"), str):
                self.use_as_input(job_id, content["target"])
            elif action == "load":
                self.load(job_id)
            elif action == "code":
                self.code(job_id)
            elif action == "resume":
                self.resume(job_id)
        except (VaceError, ValueError, OSError) as error:
            self._say(str(error))

    # -- helpers ------------------------------------------------------------------------------

    def _record(self, job_id: str) -> JobRecord:
        if job_id not in self._session:
            self._follow_new_tasks()
        record = self._session.get(job_id) or self._earlier.get(job_id)
        if record is None:
            raise KeyError(f"no job {job_id!r} in this history")
        return record

    def _number(self, record: JobRecord) -> int:
        """The job's number as the page shows it (1 = the oldest)."""
        ids = [r.job_id for r in self.jobs]
        return len(ids) - ids.index(record.job_id)

    def _say(self, text: str) -> None:
        _set(self._list, "message", text)

    def _spawn(self, coro) -> asyncio.Task:
        job = asyncio.get_running_loop().create_task(coro)
        self._background.add(job)
        job.add_done_callback(self._background.discard)
        return job


def _set(widget: W.Widget, name: str, value: Any) -> None:
    """Set a trait only when it changes (nothing is sent otherwise)."""
    if getattr(widget, name) != value:
        setattr(widget, name, value)


def _loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
