"""The shared body of the function widgets: the form on the left, the outcome on the right.

A widget never talks HTTP: it builds a request from its form (``form.py``), hands it to
the client, and follows the returned Task (``following.py``), whose observers run on the
kernel's event loop while the user works in other cells; the outcome column
(``outcome.py``) shows the job, and a static copy of the finished jobs (``summary.py``)
stands in for the widget where it cannot be shown. Background code only sets traits (no
print, no display); the one exception is the update of that static copy, which the front
end routes by its display id, so it can never land in another cell.

Where everything goes comes from the parameter table and this class: a new function
widget names its request class, title and intro, and gets the prompt, its media,
"Advanced", Generate and the result where the others have them.

One click pays once: the job buttons disable themselves in the page before any round trip
(``job_buttons.py``), and ``submit()`` refuses while a job of this widget is live, unless
asked for a second variation on purpose (``again=True``, the "Generate again" button).
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import ipywidgets as W
import traitlets

from ..contract.params import form_params
from ..contract.request_models import VaceRequest, is_remote_url
from ..errors import JobInProgressError, VaceError
from ..jobs.tasks import Task, TaskSnapshot
from .advanced import AdvancedSection
from .fields import Field, FieldControl
from .following import JobFollower
from .form import Form
from .job_buttons import JobButtons
from .job_status import Backend, JobView, error_html
from .outcome import Outcome
from .player import ResultPlayer, served_url
from .prices import Charge, job_charge, model_price
from .summary import FormSummary, display_with_copy

__all__ = ["VaceWidget"]

#: a burst of status changes (queued → uploading → submitting → pending) within this time
#: reaches the browser as one update
RENDER_DELAY_S = 0.2


class VaceWidget(W.VBox):
    """Base of the function widgets. Public: ``request``, ``task`` (the newest job),
    ``jobs`` (every job of this form), ``ready``, ``submit()``, ``await wait()``,
    ``set_request()``, ``set_targets()``, ``set_input()``, ``send_result()``, and the
    observable ``status`` and ``local_path`` traits. Read-only views of what the page
    shows, for tests and tools: ``controls``, ``shown_problems``, ``status_html``,
    ``buttons``, ``player``, ``advanced``, ``result_targets``."""

    status = traitlets.Unicode("idle")
    local_path = traitlets.Unicode("", help="the saved result video, once there is one")

    request_class: ClassVar[type[VaceRequest]]
    title: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    extend_prompt_by_default: ClassVar[bool] = False
    source_field: ClassVar[str | None] = "video"
    #: media fields whose thumbnail another view of the form replaces
    no_preview: ClassVar[tuple[str, ...]] = ()

    def __init__(self, client: Any = None, request: VaceRequest | None = None):
        super().__init__()
        self._client = client
        self._notice = ""
        self._filling = False  # set_request is writing the controls: check once, after
        self._render_handle: asyncio.TimerHandle | None = None
        self._source_url: str | None = None
        self._backend_info: Backend | None = None
        self._follower = JobFollower(
            lambda: self.client, self._on_job, self._on_action_error, self._render
        )
        self._summary = FormSummary(self.title, lambda: self.client)
        self._form = Form(
            self.request_class, self._form_fields(), self._edited, no_preview=self.no_preview
        )
        self._outcome = Outcome()
        self._build()
        if request is not None:
            self.set_request(request)
        self._validate()
        self._resume_unfinished(request)

    def _form_fields(self) -> tuple[Field, ...]:
        """The table's rows of the function (``params.form_params``), prompt_extend starting
        as this widget's kind of job wants it."""
        rows = form_params(self.request_class.function)
        extend = self.extend_prompt_by_default
        return tuple(replace(f, suggested=extend) if f.attr == "prompt_extend" else f for f in rows)

    def _build(self) -> None:
        self.children = [
            W.HTML(
                f"<h3 class='wanvace-title'>{html.escape(self.title)}</h3>"
                f"<div class='wanvace-intro'>{html.escape(self.intro)}</div>",
                _dom_classes=("wanvace-header",),
            ),
            W.Box([self._form.widget, self._outcome], _dom_classes=("wanvace-columns",)),
        ]
        self.add_class("wanvace-widget")
        self.add_class(f"wanvace-{self.request_class.function}")
        buttons = self._outcome.buttons
        buttons.on_click("generate", lambda: self._submit_from_page(again=False))
        buttons.on_click("again", lambda: self._submit_from_page(again=True))
        buttons.on_click("action", self._follower.act)

    # -- public surface --------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            from ..apps.backend import default_client

            self._client = default_client()
        return self._client

    @property
    def request(self) -> VaceRequest:
        """The form as a request object; raises ValidationError while the form is invalid."""
        return self.request_class(**self._form.values())

    @property
    def task(self) -> Task | None:
        """The newest job of this form."""
        return self._follower.task

    @property
    def jobs(self) -> list[Task]:
        """Every job started or resumed by this form, oldest first."""
        return self._follower.jobs

    @property
    def ready(self) -> bool:
        """Whether Generate would start a job now: the form is valid (local files too) and
        no job of this form is live."""
        return self._form.check.request is not None and self._follower.blocking_job() is None

    def set_request(self, request: VaceRequest) -> None:
        """Fill the form from a request object (its problems, if any, are shown at once)."""
        self._filling = True
        try:
            with self.hold_sync():
                self._form.write(request)
        finally:
            self._filling = False
        self._form.touched.update(self._form.controls)
        self._validate()

    def submit(self, again: bool = False) -> Task:
        """Start a job (what Generate does) and return its Task.

        While a job of this form is live (or UNCONFIRMED: it may exist), this raises
        :class:`JobInProgressError` and sends nothing, unless ``again=True`` asks for a
        second, separately paid variation. Raises ValidationError for an invalid form.
        """
        blocking = self._follower.blocking_job()
        if blocking is not None and not again:
            raise JobInProgressError(blocking.task_id, blocking.status)
        request = self.request
        problems = self._form.file_problems(request)
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
        self._outcome.set_targets(
            [(t[0], t[1]) for t in targets if len(t) < 3 or t[2] is not self]
        )

    def send_result(self, label: str | None = None) -> None:
        """Send the result to the form ``label`` (one of ``result_targets``; by default
        the one chosen in the page), as "Use result as input" does."""
        self._outcome.send_result(label)

    def set_input(self, field: str, value: str) -> None:
        """Put one media input (a path or URL) into the form, e.g. another job's result;
        ``field`` is a request attribute such as ``"video"`` or ``"first_clip"``."""
        control = self.controls.get(field)
        if control is None or control.spec.kind != "media":
            raise ValueError(f"{self.request_class.function} has no media field {field!r}")
        control.write(value)
        self._edited(field)

    # -- read-only views of the page ---------------------------------------------------------

    @property
    def controls(self) -> Mapping[str, FieldControl]:
        """The form's controls by request attribute (or form slot), read-only."""
        return self._form.controls

    @property
    def shown_problems(self) -> dict[str, str]:
        """The problems shown beside the controls, in plain words, by control."""
        return self._form.shown_problems

    @property
    def status_html(self) -> str:
        """The status as the page shows it (escaped HTML)."""
        return self._outcome.status_html

    @property
    def buttons(self) -> JobButtons:
        """Generate, Generate again and the job's action (``click(name)`` as the page)."""
        return self._outcome.buttons

    @property
    def player(self) -> ResultPlayer:
        return self._outcome.player

    @property
    def advanced(self) -> AdvancedSection:
        """The folded section of the rarely changed fields (``expanded``)."""
        return self._form.advanced

    @property
    def result_targets(self) -> tuple[str, ...]:
        """The forms "Use result as input" offers."""
        return self._outcome.result_targets

    def __repr__(self) -> str:
        task = f", task={self.task.task_id}" if self.task else ""
        return f"{type(self).__name__}(status={self.status!r}{task})"

    def _ipython_display_(self, **kwargs: Any) -> None:
        """The live widget, then a static summary of its finished jobs for pages without
        it (``summary.py``); the summary is updated as jobs finish."""
        display_with_copy(self, lambda: self._summary.show(self.jobs))

    # -- the form ----------------------------------------------------------------------------

    def _edited(self, key: str) -> None:
        if self._filling:
            return
        self._form.touched.add(key)
        self._validate()

    def _validate(self) -> None:
        """Check the whole form and show its problems; the status line lists the rest."""
        check = self._form.validate()
        if self.status in ("idle", "invalid"):
            self.status = "idle" if check.request is not None else "invalid"
        self._render()

    # -- jobs ----------------------------------------------------------------------------

    def _submit_from_page(self, again: bool) -> None:
        try:
            self.submit(again=again)
        except VaceError as error:
            self._on_action_error(f"<div>{error_html(error)}</div>")

    def _on_action_error(self, notice: str) -> None:
        self._notice = notice
        self._render()

    def _follow(self, task: Task, request: VaceRequest | None) -> None:
        self._source_url = self._source_of(request) if request is not None else None
        self._outcome.clear_result()
        self.local_path = ""
        self._follower.follow(task)
        self.status = task.status
        self._render()  # at once: Generate is off before the next click can be handled

    def _resume_unfinished(self, given: VaceRequest | None) -> None:
        """After a kernel restart, follow this function's newest unfinished task again;
        a form made with a request (a re-run cell) picks up only a task of that request."""
        found = self._follower.unfinished(self.request_class.function, given)
        if found is None:
            return
        task, request = found
        if given is None and request is not None:
            self.set_request(request)
        self._follow(task, request)

    def _on_job(self, snapshot: TaskSnapshot) -> None:
        """Every change of every job of this form, on the event loop."""
        task = self.task
        current = task is not None and snapshot.job_id == task.job_id
        if current and self.status != snapshot.status:
            self.status = snapshot.status
            self._notice = ""  # a refused click or action is old news now
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or snapshot.finished or not snapshot.watching:
            self._render()
        elif self._render_handle is None:
            self._render_handle = loop.call_later(RENDER_DELAY_S, self._render)
        if snapshot.finished:
            self._summary.publish(snapshot.job_id, snapshot.status, self.jobs)

    def _render(self) -> None:
        """Bring the outcome column up to the newest job's state."""
        if self._render_handle is not None:
            self._render_handle.cancel()
            self._render_handle = None
        follower, job = self._follower, None
        task = follower.task
        if task is not None:
            snapshot = task.snapshot()
            took = follower.took.get(task.job_id) if snapshot.finished else None
            elapsed = task.elapsed_s if took is None else took
            job = JobView(snapshot, elapsed, snapshot.expected_end_at)
            follower.rendered_at = time.monotonic()
        blocking = follower.blocking_job()
        self._outcome.render(
            job=job,
            readiness="" if blocking is not None else self._form.readiness(),
            others=follower.live_others(),
            backend=self._backend(),
            charge=self._charge(),
            notice=self._notice,
            generate=self.ready,
            again=blocking is not None and self._form.check.request is not None,
        )
        if job is not None and job.snapshot.finished and job.snapshot.local_path:
            path = job.snapshot.local_path
            self._outcome.show_result(path, job.snapshot.video_url, self._source_url)
            if self.local_path != str(path):
                self.local_path = str(path)

    def _backend(self) -> Backend:
        if self._backend_info is None:
            client = self.client
            self._backend_info = Backend(
                label=client.backend_label,
                model=client.model_for(self.request_class),
                emulator=client.is_emulator,
                price=model_price(self.request_class, client.region),
            )
        return self._backend_info

    def _charge(self) -> Charge | None:
        """The most the form's job may cost at list price (its local source's length
        counts where the model bills it), or None while the form is invalid."""
        request = self._form.check.request
        if request is None:
            return None
        return job_charge(request, self.client.region, self._form.source_seconds(request))

    def _source_of(self, request: VaceRequest) -> str | None:
        """A URL the browser can play the source video from, if there is one."""
        value = getattr(request, self.source_field, None) if self.source_field else None
        if isinstance(value, str) and is_remote_url(value) and value.startswith("http"):
            return value
        if value is not None and not isinstance(value, bytes):
            return served_url(Path(value))
        return None
