"""How long each part of a job may take.

Deadlines are totals. A server that drips one byte every half second resets a per-read
timeout forever, so every request also has a deadline for the whole exchange, and a job
has one for its uploads, its submit, each status query and each download.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..contract import constants as c

__all__ = ["Deadlines"]


@dataclass(frozen=True)
class Deadlines:
    """Seconds allowed for each part of a job (every one a total, not a per-read limit).

    ``follow`` bounds how long a task is followed after its submit: the server forgets a
    task after 24 hours (it is UNKNOWN then), so following longer cannot help. A task
    whose follow deadline passes while the server cannot be reached is kept, resumable.

    A submit whose answer never arrived is looked for on the server's task list
    (``recovery.py``): ``clock_skew`` is how far this machine's clock may be from the
    server's, which widens the window the task may have been created in, and
    ``list_settle`` how long after that window a task made in it is surely listed.

    ``throttled`` bounds how long a submit answered 429 waits for the server's task slots,
    from the first 429: a 429 created nothing, and the tasks holding the slots (a closed
    kernel's, say, which the quota store no longer counts) end within a job's time, 5–10
    minutes for Wan2.1 and longer for 10 s 1080P videos. Past it the job ends in ERROR.
    """

    connect: float = 10.0
    read: float = 60.0
    submit: float = 60.0
    throttled: float = 1200.0
    query: float = 30.0
    upload: float = 900.0
    download: float = 900.0
    follow: float = float(c.TASK_RETENTION_S)
    clock_skew: float = 120.0
    list_settle: float = 15.0
