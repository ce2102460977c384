"""The shared body of the five widgets: inputs on the left, the outcome on the right.

A widget never talks HTTP: it builds a request from its form, hands it to the client, and
follows the returned Task through observers, which run on the kernel's event loop while
the user works in other cells. Background code only sets traits (no print, no display);
the one exception is the update of the widget's own static summary (``summary.py``), which
the front end routes by its display id, so it can never land in another cell.

One click pays once: the job buttons disable themselves in the page before any round trip
(``job_buttons.py``), and ``submit()`` refuses while a job of this widget is live, unless
asked for a second variation on purpose (``again=True``, the "Generate again" button).
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import ipywidgets as W
import traitlets

from .. import contract as c
from .. import lifecycle as s
from ..errors import JobInProgressError, VaceError, ValidationError
from ..families import list_max_cost_usd
from ..requests import VaceRequest, is_remote_url
from ..tasks import Task, TaskSnapshot
from ..uploads import local_media_problems
from .fields import Field, FieldControl
from .form_check import FormCheck, check_form, on_screen, problem_html
from .job_buttons import JobButtons
from .job_records import JobRecord, request_from_summary
from .job_status import Backend, JobView, error_html, status_html
from .player import ResultPlayer, display_path, served_url
from .posters import PosterCache, poster_cache_for
from .summary import StaticSummary, display_with_copy, summary_bundle

__all__ = ["VaceWidget"]

_PROMPT_HELP = "Describe the video you want, rather than giving instructions."
#: a burst of status changes (queued → uploading → submitting → pending) within this time
#: reaches the browser as one update
RENDER_DELAY_S = 0.2
#: the two columns' widths before they share what is left; below their sum (about
#: 1,000 px with the gap) the outcome goes under the inputs
INPUTS_BASIS, OUTCOME_BASIS = "540px", "400px"
#: how often "Follow again" asks the client (0.05 s apart) before it says to try later
_FOLLOW_ATTEMPTS = 40
#: where problems of the shared fields are shown; any other field's go to the options row
_PROMPT, _OPTIONS = "prompt", "seed"


class VaceWidget(W.VBox):
    """Base of the five function widgets. Public: ``request``, ``task`` (the newest job),
    ``jobs`` (every job of this form), ``ready``, ``submit()``, ``await wait()``,
    ``set_request()``, ``set_targets()``, ``set_input()``, and the observable
    ``status`` and ``local_path`` traits."""

    status = traitlets.Unicode("idle")
    local_path = traitlets.Unicode("", help="the saved result video, once there is one")

    request_class: ClassVar[type[VaceRequest]]
    title: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    fields: ClassVar[tuple[Field, ...]] = ()
    extend_prompt_by_default: ClassVar[bool] = False
    source_field: ClassVar[str | None] = "video"
    #: False where the form shows the source itself (outpainting's widened canvas)
    source_thumbnail: ClassVar[bool] = True

    def __init__(self, client: Any = None, request: VaceRequest | None = None):
        super().__init__()
        self._client = client
        self.task: Task | None = None
        #: every job started or resumed by this form, oldest first
        self.jobs: list[Task] = []
        self._ticker: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._render_handle: asyncio.TimerHandle | None = None
        self._rendered_at = 0.0
        self._source_url: str | None = None
        self._targets: list[tuple[str, Callable[[str], None]]] = []
        self._touched: set[str] = set()
        self._check = FormCheck(None)
        self._files: tuple[Any, list[ValidationError]] = (None, [])
        self._notice = ""
        self._posters: PosterCache | None = None  # made with the first summary
        self._summarized: set[tuple[str, str]] = set()  # (job id, status) in the summary
        self._took: dict[str, float] = {}  # seconds each finished job took, by job id
        self._static = StaticSummary()
        self._backend_info: Backend | None = None
        self._build()
        if request is not None:
            self.set_request(request)
        self._validate()
        self._resume_unfinished(request)

    def _build(self) -> None:
        self._prompt = W.Textarea(  # "auto": the column's width less the widget's margin
            placeholder=_PROMPT_HELP, layout=W.Layout(width="auto", height="76px")
        )
        self._prompt_count = W.HTML(_dom_classes=("wanvace-count",))
        self._prompt_error = W.HTML()
        self._prompt_extend = W.Checkbox(
            value=self.extend_prompt_by_default,
            indent=False,
            description="let the model rewrite the prompt",
            tooltip="parameters.prompt_extend: a language model expands the prompt first",
            layout=W.Layout(width="auto"),
        )
        self._seed = W.Text(
            placeholder="random",
            description="seed",
            tooltip="parameters.seed, 0 … 2147483647: the same seed and inputs repeat a result",
            layout=W.Layout(width="170px"),
            style={"description_width": "36px"},
        )
        self._watermark = W.Checkbox(
            value=False,
            indent=False,
            description="add an 'AI-generated' mark",
            tooltip="parameters.watermark: a small mark (in Chinese) in the bottom right corner",
            layout=W.Layout(width="auto"),
        )
        self._options_error = W.HTML()
        self._controls = {
            f.attr: FieldControl(
                f, media_preview=self.source_thumbnail or f.attr != self.source_field
            )
            for f in self.fields
        }
        self._error_slots: dict[str, Callable[[str | None], None]] = {
            _PROMPT: lambda text: setattr(self._prompt_error, "value", problem_html(text)),
            _OPTIONS: lambda text: setattr(self._options_error, "value", problem_html(text)),
            **{attr: ctrl.show_error for attr, ctrl in self._controls.items()},
        }
        self._buttons = JobButtons()
        self._status = W.HTML(_dom_classes=("wanvace-status",))
        self._player = ResultPlayer()
        self._target = W.Dropdown(options=[], layout=W.Layout(width="auto", max_width="100%"))
        self._reuse_button = W.Button(
            description="Use result as input", icon="share", layout=W.Layout(width="auto")
        )
        self._reuse = W.HBox(
            [self._target, self._reuse_button],
            layout=W.Layout(display="none", flex_flow="row wrap", grid_gap="4px"),
        )
        prompt_head = W.HBox(
            [W.HTML("<b>Prompt</b> *"), self._prompt_count],
            layout=W.Layout(justify_content="space-between", align_items="baseline"),
        )
        options = W.HBox(
            [self._prompt_extend, W.VBox([self._seed, self._options_error]), self._watermark],
            layout=W.Layout(flex_flow="row wrap", align_items="flex-start", grid_gap="2px 14px"),
        )
        self._inputs = W.VBox(
            [
                prompt_head,
                self._prompt,
                self._prompt_error,
                options,
                *(ctrl.widget for ctrl in self._controls.values()),
            ],
            layout=W.Layout(flex=f"1 1 {INPUTS_BASIS}", min_width="0"),
            _dom_classes=("wanvace-inputs",),
        )
        outcome = W.VBox(
            [self._buttons, self._status, self._player, self._reuse],
            layout=W.Layout(flex=f"1 1 {OUTCOME_BASIS}", min_width="0"),
            _dom_classes=("wanvace-outcome",),
        )
        self.children = [
            W.HTML(
                f"<h3 style='margin:4px 0'>{html.escape(self.title)}</h3>"
                f"<div style='color:#444;margin-bottom:6px'>{html.escape(self.intro)}</div>"
            ),
            W.HBox(
                [self._inputs, outcome],
                layout=W.Layout(
                    flex_flow="row wrap", align_items="flex-start", grid_gap="12px 20px"
                ),
                _dom_classes=("wanvace-columns",),
            ),
        ]
        self.add_class("wanvace-widget")
        self.add_class(f"wanvace-{self.request_class.function}")
        for key, widget in ((_PROMPT, self._prompt), (_OPTIONS, self._seed)):
            widget.observe(lambda _, key=key: self._edited(key), "value")
        for widget in (self._prompt_extend, self._watermark):
            widget.observe(lambda _: self._validate(), "value")
        for attr, ctrl in self._controls.items():
            ctrl.observe(lambda _, attr=attr: self._edited(attr))
        self._buttons.on_click("generate", lambda: self._submit_from_page(again=False))
        self._buttons.on_click("again", lambda: self._submit_from_page(again=True))
        self._buttons.on_click("action", self._act)
        self._reuse_button.on_click(lambda _: self._send_result())

    def _add_below(self, anchor: W.Widget | None, *widgets: W.Widget) -> None:
        """Put ``widgets`` in the inputs column under ``anchor`` (at the end for None)."""
        children = list(self._inputs.children)
        at = children.index(anchor) + 1 if anchor is not None else len(children)
        self._inputs.children = children[:at] + list(widgets) + children[at:]

    # -- public surface --------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            from ..backend import default_client

            self._client = default_client()
        return self._client

    @property
    def request(self) -> VaceRequest:
        """The form as a request object; raises ValidationError while the form is invalid."""
        return self.request_class(**self._values())

    @property
    def ready(self) -> bool:
        """Whether Generate would start a job now: the form is valid (local files too) and
        no job of this form is live."""
        return self._check.request is not None and self._blocking_job() is None

    def set_request(self, request: VaceRequest) -> None:
        """Fill the form from a request object (its problems, if any, are shown at once)."""
        with self.hold_sync():
            self._prompt.value = request.prompt
            self._prompt_extend.value = request.prompt_extend is not False  # None: the API's true
            self._seed.value = "" if request.seed is None else str(request.seed)
            self._watermark.value = bool(request.watermark)
            self._write_fields(request)
        self._touched.update(self._error_slots)
        self._validate()

    def submit(self, again: bool = False) -> Task:
        """Start a job (what Generate does) and return its Task.

        While a job of this form is live (or UNCONFIRMED: it may exist), this raises
        :class:`JobInProgressError` and sends nothing, unless ``again=True`` asks for a
        second, separately paid variation. Raises ValidationError for an invalid form.
        """
        blocking = self._blocking_job()
        if blocking is not None and not again:
            raise JobInProgressError(blocking.task_id, blocking.status)
        request = self.request
        problems = self._file_problems(request)
        if problems:
            raise problems[0]
        task = self.client.enqueue(request)
        self._notice = ""
        self._follow(task, request)
        return task

    async def wait(self, timeout: float | None = None) -> Task:
        """Wait for the newest job (see Task.wait)."""
        if self.task is None:
            raise RuntimeError("nothing submitted yet: press Generate or call submit()")
        return await self.task.wait(timeout)

    def set_targets(self, targets: Sequence[tuple]) -> None:
        """Offer results to other forms: ``(label, send)`` pairs, ``send`` taking the
        result's path relative to the notebook. A third item names the receiving widget,
        so that a form is never offered its own result."""
        self._targets = [(t[0], t[1]) for t in targets if len(t) < 3 or t[2] is not self]
        self._target.options = [label for label, _ in self._targets]
        self._target.value = self._targets[0][0] if self._targets else None

    def set_input(self, field: str, value: str) -> None:
        """Put one media input (a path or URL) into the form, e.g. another job's result;
        ``field`` is a request attribute such as ``"video"`` or ``"first_clip"``."""
        control = self._controls.get(field)
        if control is None or control.spec.kind != "media":
            raise ValueError(f"{self.request_class.function} has no media field {field!r}")
        control.write(value)
        self._edited(field)

    def __repr__(self) -> str:
        task = f", task={self.task.task_id}" if self.task else ""
        return f"{type(self).__name__}(status={self.status!r}{task})"

    def _ipython_display_(self, **kwargs: Any) -> None:
        """The live widget, then a static summary of its finished jobs for pages without
        it (``summary.py``); the summary is updated as jobs finish."""
        display_with_copy(self, lambda: self._static.show(self._summary()))

    # -- form ----------------------------------------------------------------------------

    def _values(self) -> dict[str, Any]:
        seed_text = self._seed.value.strip()
        values = {
            "prompt": self._prompt.value,
            "prompt_extend": None if self._prompt_extend.value else False,
            "seed": int(seed_text) if seed_text.lstrip("-").isdigit() else (seed_text or None),
            "watermark": True if self._watermark.value else None,
        }
        values.update({attr: ctrl.read() for attr, ctrl in self._controls.items()})
        return values

    def _write_fields(self, request: VaceRequest) -> None:
        for attr, ctrl in self._controls.items():
            ctrl.write(getattr(request, attr))

    def _edited(self, key: str) -> None:
        self._touched.add(key)
        self._validate()

    def _validate(self) -> None:
        """Check the whole form; show each problem beside its field, once that field was
        touched (a fresh form is not red); the status line lists the rest."""
        check = check_form(self.request_class, self._values(), self._file_problems)
        self._check = check
        placed = self._place(check.problems)
        for key, show in self._error_slots.items():
            show(placed.get(key) if key in self._touched else None)
        count = len(self._prompt.value)
        colour = "#b00020" if count > c.PROMPT_MAX_CHARS else "#666"
        self._prompt_count.value = (  # traitlets send nothing when it is unchanged
            f"<span style='color:{colour}'>{count} / {c.PROMPT_MAX_CHARS} characters</span>"
        )
        if check.request is not None:
            self._after_check(check.request)
        if self.status in ("idle", "invalid"):
            self.status = "idle" if check.request is not None else "invalid"
        self._render()

    def _place(self, problems: dict[str, str]) -> dict[str, str]:
        """Problems by the place that shows them, in on-screen words."""
        placed: dict[str, str] = {}
        for attr, rule in problems.items():
            key = attr if attr in self._error_slots else _OPTIONS
            placed.setdefault(key, on_screen(rule, self.request_class.function))
        return placed

    def _label_of(self, key: str) -> str:
        if key in self._controls:
            return self._controls[key].spec.label
        return key.capitalize()

    def _readiness(self) -> str:
        """What the status line says while no job is live: ready, or what is missing (the
        problems of untouched fields, which are not marked in red)."""
        if self._check.request is not None:
            return "Ready: Generate starts one job."
        placed = self._place(self._check.problems)
        marked = {text for key, text in placed.items() if key in self._touched}
        todo = [
            f"{self._label_of(key)} — {text[:1].lower()}{text[1:]}"
            for key, text in placed.items()
            if key not in self._touched and text not in marked
        ]
        if marked:
            todo.append(f"{len(marked)} problem{'s' if len(marked) > 1 else ''} marked in red")
        return "Not ready: " + html.escape(" · ".join(todo))

    def _file_problems(self, request: VaceRequest) -> list[ValidationError]:
        """The local files' problems (format, size, fps, mask size and frame), so Generate
        is never pressed for a file the server would refuse. Cached until a file or the
        mask frame (checked against the video) changes."""
        key = (
            tuple(
                (m.field, m.index, _identity(m.value)) for m in request.media_inputs() if m.is_local
            ),
            getattr(request, "mask_frame_id", None),
        )
        if key != self._files[0]:
            self._files = (key, local_media_problems(request))
        return self._files[1]

    def _after_check(self, request: VaceRequest) -> None:
        """Extra previews once the form is valid (video_edit shows its mask)."""

    # -- jobs ----------------------------------------------------------------------------

    def _blocking_job(self) -> Task | None:
        """The newest job that keeps Generate off: live, or UNCONFIRMED (it may exist)."""
        for task in reversed(self.jobs):
            if not task.done or task.status == s.UNCONFIRMED:
                return task
        return None

    def _submit_from_page(self, again: bool) -> None:
        try:
            self.submit(again=again)
        except VaceError as error:
            self._notice = f"<div>{error_html(error)}</div>"
            self._render()

    def _follow(self, task: Task, request: VaceRequest | None) -> None:
        self.task = task
        self.jobs.append(task)
        self._source_url = self._source_of(request) if request is not None else None
        self._player.show(None)
        _show(self._reuse, False)
        self.local_path = ""
        task.add_observer(self._on_job)
        self.status = task.status
        self._render()  # at once: Generate is off before the next click can be handled
        self._ticker = self._spawn(self._tick(task))

    def _resume_unfinished(self, given: VaceRequest | None) -> None:
        """After a kernel restart, follow this function's newest unfinished task again
        (from the client's journal, with its submit time and request id). A form made with
        a request (a re-run cell) picks up only a task of that same request."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        client, function = self.client, self.request_class.function
        for entry in reversed(client.unfinished_jobs(function)):
            try:
                request, _ = request_from_summary(function, entry.request or {})
            except (KeyError, TypeError, ValidationError):
                request = None
            if given is None:
                if request is not None:
                    self.set_request(request)
            elif request is None or request.summary() != given.summary():
                continue
            self._follow(client.recover(entry), request)
            return

    def _on_job(self, snapshot: TaskSnapshot) -> None:
        """Every change of every job of this form, on the event loop."""
        current = self.task is not None and snapshot.job_id == self.task.job_id
        if current and self.status != snapshot.status:
            self.status = snapshot.status
            self._notice = ""  # a refused click or action is old news now
        if snapshot.finished and snapshot.job_id not in self._took:
            job = next(t for t in self.jobs if t.job_id == snapshot.job_id)
            self._took[snapshot.job_id] = job.elapsed_s
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or snapshot.finished or not snapshot.watching:
            self._render()
        elif self._render_handle is None:
            self._render_handle = loop.call_later(RENDER_DELAY_S, self._render)
        if snapshot.finished and (snapshot.job_id, snapshot.status) not in self._summarized:
            self._publish_summary(snapshot)

    def _render(self) -> None:
        """Bring the status, the buttons and the player up to the newest job's state; only
        traits that change reach the browser."""
        if self._render_handle is not None:
            self._render_handle.cancel()
            self._render_handle = None
        task, job = self.task, None
        if task is not None:
            snapshot = task.snapshot()
            elapsed = self._took.get(task.job_id) if snapshot.finished else None
            job = JobView(
                snapshot, task.elapsed_s if elapsed is None else elapsed, snapshot.expected_end_at
            )
            self._rendered_at = time.monotonic()
        blocking = self._blocking_job()
        others = tuple(t.snapshot() for t in self.jobs if t is not task and not t.done)
        self._status.value = self._notice + status_html(
            readiness="" if blocking is not None else self._readiness(),
            job=job,
            others=others,
            backend=self._backend(),
        )
        with self._buttons.hold_sync():  # one update for the row
            self._buttons.generate_enabled = self.ready
            self._buttons.again_enabled = blocking is not None and self._check.request is not None
            self._buttons.action = _action_for(job.snapshot) if job else ""
        if job is None:
            return
        snapshot = job.snapshot
        if snapshot.finished and snapshot.local_path and self._player.path != snapshot.local_path:
            self._player.show(snapshot.local_path, snapshot.video_url, self._source_url)
            _show(self._reuse, bool(self._targets))
            self.local_path = str(snapshot.local_path)

    def _backend(self) -> Backend:
        if self._backend_info is None:
            client = self.client
            self._backend_info = Backend(
                label=client.backend_label,
                model=client.model,
                emulator=client.is_emulator,
                price_usd=list_max_cost_usd(self.request_class.function, client.region),
            )
        return self._backend_info

    def _act(self) -> None:
        """The job's action button: whatever its state allows."""
        task = self.task
        action = _action_for(task.snapshot()) if task else ""
        if action == "cancel":
            self._spawn(self._guarded(task.cancel()))
        elif action == "stop":
            task.stop_watching()
        elif action == "follow":
            self._spawn(self._follow_again(task))
        elif action == "reconcile":
            self._spawn(self._guarded(task.reconcile()))

    async def _guarded(self, step) -> None:
        """Run a job action; its error (a cancel too late, a reconcile that found nothing)
        is shown in the status rather than lost."""
        try:
            await step
        except VaceError as error:
            self._notice = f"<div>{error_html(error)}</div>"
            self._render()

    async def _follow_again(self, task: Task) -> None:
        """Follow a job again after Stop watching. The client ignores that while its
        previous follow of the job is still winding down, so ask again for a short while."""
        for _ in range(_FOLLOW_ATTEMPTS):
            self.client.attach(task.task_id)
            if task.watching:
                self._ticker = self._spawn(self._tick(task))
                self._render()
                return
            await asyncio.sleep(0.05)
        self._notice = (
            "<div class='wanvace-error'>The job could not be followed again yet: press Follow "
            f"again in a moment, or <code>client.attach({html.escape(repr(task.task_id))})</code>"
            ".</div>"
        )
        self._render()

    async def _tick(self, task: Task) -> None:
        """Refresh the elapsed time about once a second while the job is followed (skipped
        when a status change was just shown)."""
        while not task.done and task.watching:
            await asyncio.sleep(1.0)
            recent = time.monotonic() - self._rendered_at < 0.9
            if self.task is task and not task.done and not recent:
                self._render()

    def _summary(self) -> dict[str, str]:
        """The static summary of this form's jobs, newest first."""
        records = [JobRecord.from_snapshot(t.snapshot()) for t in reversed(self.jobs)]
        return summary_bundle(self.title, records, self._poster_of)

    def _poster_of(self, record: JobRecord) -> bytes | None:
        if not record.has_video_file():
            return None
        if self._posters is None:
            self._posters = poster_cache_for(self.client)
        return self._posters.poster(record.local_path)  # decoded once, then cached

    def _publish_summary(self, snapshot: TaskSnapshot) -> None:
        """Update the displayed summary with a finished job."""
        self._summarized.add((snapshot.job_id, snapshot.status))
        if self._static.shown:
            self._static.update(self._summary())

    def _source_of(self, request: VaceRequest) -> str | None:
        """A URL the browser can play the source video from, if there is one."""
        value = getattr(request, self.source_field, None) if self.source_field else None
        if isinstance(value, str) and is_remote_url(value) and value.startswith("http"):
            return value
        if value is not None and not isinstance(value, bytes):
            return served_url(value)
        return None

    def _send_result(self) -> None:
        if self._player.path is None or not self._targets:
            return
        dict(self._targets)[self._target.value](display_path(self._player.path))

    def _spawn(self, coro) -> asyncio.Task:
        job = asyncio.get_running_loop().create_task(coro)
        self._background.add(job)
        job.add_done_callback(self._background.discard)
        return job


def _action_for(snapshot: TaskSnapshot) -> str:
    """The action a job's state allows (see ``job_buttons.ACTIONS``)."""
    if snapshot.status == s.UNCONFIRMED:
        return "reconcile"
    if snapshot.finished:
        return ""
    if not snapshot.watching:
        return "follow" if snapshot.task_id else ""
    if snapshot.status in (s.QUEUED, s.UPLOADING, s.PENDING):
        return "cancel"
    return "stop" if snapshot.status == s.RUNNING else ""


def _identity(value: Any) -> Any:
    """What tells a local input changed: its bytes' hash, or its path and modification."""
    if isinstance(value, bytes):
        return hash(value)
    try:
        return str(value), Path(value).expanduser().stat().st_mtime
    except (OSError, TypeError):
        return str(value), None


def _show(widget: W.Widget, visible: bool) -> None:
    display = None if visible else "none"
    if widget.layout.display != display:
        widget.layout.display = display
