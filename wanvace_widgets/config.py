"""Settings read in one place: deadlines, environment variables, folders, the API key.

Deadlines are totals. A server that drips one byte every half second resets a per-read
timeout forever, so every request also has a deadline for the whole exchange, and a job
has one for its uploads, its submit, each status query and each download.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import contract as c

__all__ = [
    "ENV_API_KEY",
    "ENV_API_KEY_FILE",
    "ENV_BASE_URL",
    "ENV_HOME",
    "ENV_REGION",
    "ENV_RESULTS",
    "ENV_WORKSPACE_ID",
    "Deadlines",
    "default_home",
    "find_api_key",
    "workspace_id_from_environment",
]

ENV_API_KEY = "DASHSCOPE_API_KEY"
ENV_API_KEY_FILE = "DASHSCOPE_API_KEY_FILE_PATH"
ENV_HOME = "WANVACE_HOME"
ENV_BASE_URL = "WANVACE_BASE_URL"
ENV_REGION = "WANVACE_REGION"
ENV_RESULTS = "WANVACE_RESULTS"
#: the official SDK's variable for a Singapore workspace's id (docs/api-contract.md §17.9)
ENV_WORKSPACE_ID = "DASHSCOPE_WORKSPACE_ID"


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


def default_home() -> Path:
    """``WANVACE_HOME``, else ``~/.wanvace``: where the journal and results live."""
    return Path(os.environ.get(ENV_HOME) or Path.home() / ".wanvace")


def find_api_key(explicit: str | None = None) -> str | None:
    """The key, in the SDK's order: argument, DASHSCOPE_API_KEY, the key file, ~/.dashscope."""
    if explicit:
        return explicit
    if os.environ.get(ENV_API_KEY, "").strip():
        return os.environ[ENV_API_KEY].strip()
    for name in (os.environ.get(ENV_API_KEY_FILE), Path.home() / ".dashscope/api_key"):
        try:
            text = Path(name).read_text().strip() if name else ""
        except (OSError, UnicodeDecodeError):
            continue
        if text:
            return text
    return None


def workspace_id_from_environment(region: str | None) -> str | None:
    """``DASHSCOPE_WORKSPACE_ID`` for a client of the Singapore region, else None.

    As the official SDK reads it: for Singapore only, whose old host is being retired; a
    Beijing client keeps its old host unless ``workspace_id=`` is given (a workspace
    belongs to one region, and a Singapore id would not open Beijing's host).
    """
    if (region or "intl").lower() not in ("intl", "singapore", "ap-southeast-1"):
        return None
    return os.environ.get(ENV_WORKSPACE_ID, "").strip() or None
