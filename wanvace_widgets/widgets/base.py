"""The shared body of the five widgets: form, validation, Generate, status, player.

A widget never talks HTTP: it builds a request from its form, hands it to the client, and
follows the returned Task through observers, which run on the kernel's event loop while
the user works in other cells. Background code only sets traits (no print, no display).
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import ipywidgets as W
import traitlets

from .. import contract as c
from ..errors import APIError, TaskError, VaceError, ValidationError
from ..requests import VaceRequest, is_remote_url
from ..tasks import Task, TaskSnapshot
from ..uploads import check_local_media
from .fields import Field, FieldControl
from .player import ResultPlayer, served_url

__all__ = ["VaceWidget"]

_STATUS_TEXT = {
    "idle": "Ready",
    "invalid": "Fix the form to generate",
    "QUEUED": "Queued locally (keeping within 2 running tasks and 2 submits per second)",
    "UPLOADING": "Uploading local files",
    "SUBMITTING": "Submitting",
    c.PENDING: "PENDING: queued on the server",
    c.RUNNING: "RUNNING: generating",
    c.SUCCEEDED: "SUCCEEDED",
    c.FAILED: "FAILED",
    c.CANCELED: "CANCELED",
    c.UNKNOWN: "UNKNOWN: the server no longer knows this task",
    "ERROR": "ERROR: nothing was created or billed",
    "UNCONFIRMED": "UNCONFIRMED: the submit's answer was lost; it may exist on the server",
}
_ACTIONS = {"cancel": ("Cancel", "stop"), "stop": ("Stop watching", "eye-slash")}
_COLORS = {
    c.SUCCEEDED: "#1b7f3b",
    c.FAILED: "#b00020",
    "ERROR": "#b00020",
    "UNCONFIRMED": "#b00020",
    c.UNKNOWN: "#b00020",
}
_PROMPT_HELP = "Describe the video you want, rather than giving instructions. ≤ 800 characters."
#: a burst of status changes (queued → uploading → submitting → pending) within this time
#: reaches the browser as one update
RENDER_DELAY_S = 0.2


class VaceWidget(W.VBox):
    """Base of the five function widgets. Public: ``request``, ``task``, ``submit()``,
    ``await wait()``, ``set_request()``, and the observable ``status`` trait."""

    status = traitlets.Unicode("idle")
    local_path = traitlets.Unicode("", help="the saved result video, once there is one")

    request_class: ClassVar[type[VaceRequest]]
    title: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    fields: ClassVar[tuple[Field, ...]] = ()
    extend_prompt_by_default: ClassVar[bool] = False
    source_field: ClassVar[str | None] = "video"

    def __init__(self, client: Any = None, request: VaceRequest | None = None):
        super().__init__()
        self._client = client
        self.task: Task | None = None
        self._ticker: asyncio.Task | None = None
        self._render_handle: asyncio.TimerHandle | None = None
        self._rendered_at = 0.0
        self._action_mode: str | None = None
        self._source_url: str | None = None
        self._targets: list[tuple[str, Callable[[str], None]]] = []
        self._prompt = W.Textarea(
            placeholder=_PROMPT_HELP, layout=W.Layout(width="100%", height="70px")
        )
        self._prompt_extend = W.Checkbox(
            value=self.extend_prompt_by_default,
            indent=False,
            description="let the model rewrite the prompt (prompt_extend)",
        )
        self._seed = W.Text(
            placeholder="random",
            description="seed",
            layout=W.Layout(width="220px"),
            style={"description_width": "40px"},
        )
        self._watermark = W.Checkbox(value=False, indent=False, description="watermark (“AI生成”)")
        self._common_error = W.HTML()
        self._controls = {f.attr: FieldControl(f) for f in self.fields}
        self._form_error = W.HTML()
        self._backend = W.HTML()
        self._generate = W.Button(
            description="Generate",
            button_style="primary",
            icon="play",
            disabled=True,
            _dom_classes=("wanvace-generate",),
        )
        # Cancel while the task may still be cancelled, "Stop watching" while it runs;
        # disabled otherwise (kept in place: showing and hiding would cost more updates)
        self._action = W.Button(description="Cancel", icon="stop", disabled=True)
        self._status = W.HTML(_dom_classes=("wanvace-status",))
        self._player = ResultPlayer()
        self._target = W.Dropdown(options=[], layout=W.Layout(width="260px"))
        self._reuse_button = W.Button(
            description="Use result as input", icon="share", layout=W.Layout(width="auto")
        )
        self._reuse = W.HBox([self._target, self._reuse_button], layout=W.Layout(display="none"))
        self.children = [
            W.HTML(
                f"<h3 style='margin:4px 0'>{html.escape(self.title)}</h3>"
                f"<div style='color:#444'>{html.escape(self.intro)}</div>"
            ),
            W.HTML("<b>Prompt</b> *"),
            self._prompt,
            W.HBox([self._prompt_extend, self._seed, self._watermark]),
            self._common_error,
            *(ctrl.widget for ctrl in self._controls.values()),
            self._form_error,
            self._backend,
            W.HBox([self._generate, self._action]),
            self._status,
            self._player,
            self._reuse,
        ]
        self.add_class("wanvace-widget")
        self.add_class(f"wanvace-{self.request_class.function}")
        for widget in (self._prompt, self._prompt_extend, self._seed, self._watermark):
            widget.observe(lambda _: self._validate(), "value")
        for ctrl in self._controls.values():
            ctrl.observe(lambda _: self._validate())
        self._generate.on_click(lambda _: self.submit())
        self._action.on_click(lambda _: self._act())
        self._reuse_button.on_click(lambda _: self._send_result())
        if request is not None:
            self.set_request(request)
        self._show_status()
        self._validate()
        if request is None:
            self._resume_unfinished()

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

    def set_request(self, request: VaceRequest) -> None:
        """Fill the form from a request object."""
        with self.hold_sync():
            self._prompt.value = request.prompt
            self._prompt_extend.value = request.prompt_extend is not False  # None: the API's true
            self._seed.value = "" if request.seed is None else str(request.seed)
            self._watermark.value = bool(request.watermark)
            self._write_fields(request)
        self._validate()

    def submit(self) -> Task:
        """Start the job (what Generate does) and return its Task."""
        request = self.request
        self._check_files(request)
        self._follow(self.client.enqueue(request), request)
        return self.task

    def _follow(self, task: Task, request: VaceRequest | None) -> None:
        self.task = task
        self._source_url = self._source_of(request) if request is not None else None
        self._player.show(None)
        self.local_path = ""
        task.add_observer(self._on_task)
        self._on_task(task.snapshot())
        self._ticker = self._spawn(self._tick(task))

    def _resume_unfinished(self) -> None:
        """After a kernel restart, follow this function's newest unfinished task again
        (from the client's journal, if it is younger than the server keeps tasks)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        client = self.client
        entries = client.unfinished_jobs(self.request_class.function)
        if not entries:
            return
        entry = entries[-1]
        request = None
        summary = dict(entry.get("request") or {})
        summary.pop("function", None)
        try:
            request = self.request_class(**summary)
            self.set_request(request)
        except (TypeError, ValidationError):
            request = None
        self._follow(client.attach(entry["task_id"]), request)

    async def wait(self, timeout: float | None = None) -> Task:
        """Wait for the current task (see Task.wait)."""
        if self.task is None:
            raise RuntimeError("nothing submitted yet: press Generate or call submit()")
        return await self.task.wait(timeout)

    def set_targets(self, targets: list[tuple[str, Callable[[str], None]]]) -> None:
        """Offer results to other widgets: (label, function taking the local file path)."""
        self._targets = targets
        self._target.options = [label for label, _ in targets]
        self._target.value = targets[0][0] if targets else None

    def __repr__(self) -> str:
        task = f", task={self.task.task_id}" if self.task else ""
        return f"{type(self).__name__}(status={self.status!r}{task})"

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

    def _validate(self) -> None:
        for ctrl in self._controls.values():
            ctrl.show_error(None)
        self._common_error.value = self._form_error.value = ""
        try:
            request = self.request
            self._check_files(request)
        except ValidationError as error:
            self._show_validation(error)
            self._generate.disabled = True
            if self.status in ("idle", "invalid"):
                self.status = "invalid"
            return
        self._generate.disabled = self._busy()
        if self.status == "invalid":
            self.status = "idle"
        self._backend.value = self._backend_html(request)

    def _check_files(self, request: VaceRequest) -> None:
        """Check local files now (format, size, fps, mask size), so Generate is never
        pressed for a file the server would refuse; cached until the files change."""
        key = tuple(
            (m.field, m.index, str(m.value), _mtime(m.value))
            for m in request.media_inputs()
            if m.is_local and not isinstance(m.value, bytes)
        ) + tuple(
            (m.field, m.index, hash(m.value))
            for m in request.media_inputs()
            if isinstance(m.value, bytes)
        )
        if key != getattr(self, "_checked_key", None):
            check_local_media(request)
            self._checked_key = key
        self._after_check(request)

    def _after_check(self, request: VaceRequest) -> None:
        """Extra previews once the form is valid (video_edit shows its mask)."""

    def _show_validation(self, error: ValidationError) -> None:
        text = f"{error.field}: {error.rule}"
        if error.field in self._controls:
            self._controls[error.field].show_error(text)
        elif error.field in ("prompt", "seed", "prompt_extend", "watermark"):
            self._common_error.value = _error_span(text)
        else:
            self._form_error.value = _error_span(text)

    def _backend_html(self, request: VaceRequest) -> str:
        client = self.client
        model = html.escape(client.model)
        label = html.escape(client.backend_label)
        if client.is_emulator:
            price = "free: nothing is billed"
        else:
            cost = c.estimated_cost_usd(client.model)
            follows = self.source_field and getattr(request, self.source_field, None) is not None
            price = (
                (f"up to ${cost:.2f}" if follows else f"${cost:.2f}")
                if cost
                else "priced per second"
            )
            price += " (5 s × price per second of output)"
        return (
            f"<div style='font-size:12px;color:#333'>Backend: <b>{label}</b> · model "
            f"<code>{model}</code> · {price}</div>"
        )

    # -- job -----------------------------------------------------------------------------

    def _busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _on_task(self, snapshot: TaskSnapshot) -> None:
        if self.status != snapshot.status:
            self.status = snapshot.status
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or snapshot.finished or not snapshot.watching:
            self._render()
        elif self._render_handle is None:
            self._render_handle = loop.call_later(RENDER_DELAY_S, self._render)

    def _render(self) -> None:
        """Bring status line, buttons and player up to the task's latest state; only traits
        that change are sent to the browser."""
        if self._render_handle is not None:
            self._render_handle.cancel()
            self._render_handle = None
        if self.task is None:
            return
        snapshot = self.task.snapshot()
        self._rendered_at = time.monotonic()
        self._show_status(snapshot)
        live = not snapshot.finished
        if live and snapshot.status in ("QUEUED", c.PENDING):
            self._set_action("cancel")
        elif live and snapshot.status == c.RUNNING and snapshot.watching:
            self._set_action("stop")
        else:
            self._set_action(None)
        self._generate.disabled = live  # traitlets send nothing when it is unchanged
        if snapshot.finished and snapshot.local_path and self._player.path != snapshot.local_path:
            self._player.show(snapshot.local_path, snapshot.video_url, self._source_url)
            _show(self._reuse, bool(self._targets))
            self.local_path = str(snapshot.local_path)

    def _set_action(self, mode: str | None) -> None:
        if mode == self._action_mode:
            return
        self._action_mode = mode
        description, icon = _ACTIONS[mode or "cancel"]
        with self._action.hold_sync():  # one update for the three traits
            self._action.description, self._action.icon = description, icon
            self._action.disabled = mode is None

    def _act(self) -> None:
        if self.task is None:
            return
        if self._action_mode == "cancel":
            self._spawn(self._cancel_task())
        elif self._action_mode == "stop":
            self.task.stop_watching()

    def _show_status(self, snapshot: TaskSnapshot | None = None) -> None:
        if snapshot is None:
            self._status.value = f"<div>{_STATUS_TEXT['idle']}</div>"
            return
        text = _STATUS_TEXT.get(snapshot.status, snapshot.status)
        if not snapshot.watching and not snapshot.finished:
            text += " · not watched here any more (client.attach(task_id) resumes)"
        color = _COLORS.get(snapshot.status, "#1a4f8b")
        parts = [f"<b style='color:{color}'>{html.escape(text)}</b>"]
        if self.task is not None:
            parts += [f"{self.task.elapsed_s:.0f} s", *_usual_end(self.task, snapshot.status)]
        if snapshot.task_id:
            parts.append(f"task <code>{html.escape(snapshot.task_id)}</code>")
        if snapshot.request_id:
            parts.append(f"request <code>{html.escape(snapshot.request_id)}</code>")
        lines = [" · ".join(parts)]
        if snapshot.problem and snapshot.watching:
            lines.append(f"<i>{html.escape(snapshot.problem)}</i>")
        if snapshot.error is not None:
            lines.append(_error_html(snapshot.error))
        if snapshot.status == c.SUCCEEDED and snapshot.local_path is None and not snapshot.finished:
            lines.append("Downloading the result…")
        self._status.value = "<div>" + "<br>".join(lines) + "</div>"

    async def _tick(self, task: Task) -> None:
        """Refresh the elapsed time about once a second while the job is live (skipped when
        a status change was just shown)."""
        while not task.done:
            await asyncio.sleep(1.0)
            recent = time.monotonic() - self._rendered_at < 0.9
            if self.task is task and not task.done and not recent:
                self._render()

    async def _cancel_task(self) -> None:
        if self.task is None:
            return
        try:
            await self.task.cancel()
        except VaceError as error:
            self._form_error.value = _error_html(error)

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
        dict(self._targets)[self._target.value](str(self._player.path))

    def _spawn(self, coro) -> asyncio.Task:
        job = asyncio.get_running_loop().create_task(coro)
        self._jobs = getattr(self, "_jobs", set())
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        return job

    # -- for the studio and the history (issue #12, part B) ---------------------------------

    def set_input(self, field: str, value: str) -> None:
        """Put one media input (a path or URL) into the form, e.g. another job's result;
        ``field`` is a request attribute such as ``"video"`` or ``"first_clip"``."""
        control = self._controls.get(field)
        if control is None or control.spec.kind != "media":
            raise ValueError(f"{self.request_class.function} has no media field {field!r}")
        control.write(value)
        self._validate()


def _mtime(value: Any) -> float | None:
    try:
        return Path(value).expanduser().stat().st_mtime
    except (OSError, TypeError):
        return None


def _show(widget: W.Widget, visible: bool) -> None:
    display = None if visible else "none"
    if widget.layout.display != display:
        widget.layout.display = display


def _error_span(text: str) -> str:
    return f"<span class='wanvace-error' style='color:#b00020'>{html.escape(text)}</span>"


def _usual_end(task: Task, status: str) -> list[str]:
    """When jobs like this one usually end: from their history, else the reference's words."""
    ends_in = task.expected_in_s
    if ends_in is not None:
        return [f"usually ends in about {ends_in:.0f} s" if ends_in >= 1 else "usually ends now"]
    return ["usually 5–10 minutes"] if status == c.RUNNING else []


def _error_html(error: VaceError) -> str:
    """Code, message, request id and hint of an error, escaped."""
    if isinstance(error, (APIError, TaskError)):
        code = getattr(error, "code", None)
        message = getattr(error, "message", None) or str(error)
        parts = [f"<b>{html.escape(code)}</b>" if code else "", html.escape(message)]
        request_id = getattr(error, "request_id", None)
        if request_id:
            parts.append(f"(request_id <code>{html.escape(request_id)}</code>)")
        hint = error.hint() if isinstance(error, APIError) else ""
        if hint:
            parts.append(f"<br><i>{html.escape(hint)}</i>")
        text = " ".join(p for p in parts if p)
    else:
        text = html.escape(str(error))
    return f"<span class='wanvace-error' style='color:#b00020'>{text}</span>"
