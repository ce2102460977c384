"""The outcome column of a function widget: the job's buttons, its status, the result
player, and "Use result as input".

``render`` brings it up to a form's state in one go; only traits that change reach the
browser. The status is one HTML value (a status change is one message, counted by
``bench/run_benchmarks.py``); what a screen reader announces is a short line of its own
(``JobButtons.announcement``), changed only when the job's stage does, never by the
ticking elapsed time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import ipywidgets as W

from ..jobs.tasks import TaskSnapshot
from .following import action_for
from .job_buttons import JobButtons
from .job_status import Backend, JobView, announcement, status_html
from .player import ResultPlayer, display_path
from .prices import Charge

__all__ = ["Outcome"]


class Outcome(W.VBox):
    """Generate and the job's action (``buttons``), the status (``status_html``), the
    result (``player``), and the row that sends the result to another form."""

    def __init__(self) -> None:
        self.buttons = JobButtons()
        self._status = W.HTML(_dom_classes=("wanvace-status",))
        self.player = ResultPlayer()
        self._targets: list[tuple[str, Callable[[str], None]]] = []
        self._target = W.Dropdown(
            options=[],
            description="Send the result to",
            style={"description_width": "initial"},
            layout=W.Layout(width="auto", max_width="100%"),
        )
        self._send = W.Button(
            description="Use result as input", icon="share", layout=W.Layout(width="auto")
        )
        self._reuse = W.HBox(
            [self._target, self._send],
            layout=W.Layout(display="none", flex_flow="row wrap", grid_gap="4px"),
        )
        self._send.on_click(lambda _: self.send_result())
        super().__init__(
            [self.buttons, self._status, self.player, self._reuse],
            layout=W.Layout(min_width="0"),
            _dom_classes=("wanvace-outcome",),
        )

    @property
    def status_html(self) -> str:
        """The status as the page shows it (escaped HTML)."""
        return self._status.value

    def render(
        self,
        *,
        job: JobView | None,
        readiness: str,
        others: tuple[TaskSnapshot, ...],
        backend: Backend,
        charge: Charge | None,
        notice: str,
        generate: bool,
        again: bool,
    ) -> None:
        """Show a form's state: its newest ``job`` (None before the first), ``readiness``
        ("" while a job is live), its other live jobs, the most its job may cost
        (``charge``), a ``notice`` (a refused click), and whether Generate and Generate
        again would start a job."""
        self._status.value = notice + status_html(
            readiness=readiness, job=job, others=others, backend=backend, charge=charge
        )
        with self.buttons.hold_sync():  # one update for the row
            self.buttons.generate_enabled = generate
            self.buttons.again_enabled = again
            self.buttons.action = action_for(job.snapshot) if job else ""
            self.buttons.announcement = announcement(job.snapshot if job else None)

    def clear_result(self) -> None:
        self.player.show(None)
        _show(self._reuse, False)

    def show_result(self, path: Path, remote_url: str | None, source_url: str | None) -> None:
        """Play the result at ``path`` (once per result) and offer it to other forms."""
        if self.player.path != path:
            self.player.show(path, remote_url, source_url)
            _show(self._reuse, bool(self._targets))

    # -- hand-over -----------------------------------------------------------------------------

    @property
    def result_targets(self) -> tuple[str, ...]:
        """The labels of the forms the result can go to."""
        return tuple(label for label, _ in self._targets)

    def set_targets(self, targets: Sequence[tuple[str, Callable[[str], None]]]) -> None:
        self._targets = list(targets)
        self._target.options = [label for label, _ in self._targets]
        self._target.value = self._targets[0][0] if self._targets else None

    def send_result(self, label: str | None = None) -> None:
        """Send the result's path (relative to the notebook) to the form ``label`` (the
        one chosen in the page by default)."""
        if self.player.path is None or not self._targets:
            return
        dict(self._targets)[label or self._target.value](display_path(self.player.path))


def _show(widget: W.Widget, visible: bool) -> None:
    display = None if visible else "none"
    if widget.layout.display != display:
        widget.layout.display = display
