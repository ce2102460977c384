"""Settings read from the environment in one place: variable names, the home folder, the
API key. (A job's deadlines are ``jobs/deadlines.py``'s.)"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "ENV_API_KEY",
    "ENV_API_KEY_FILE",
    "ENV_BASE_URL",
    "ENV_HOME",
    "ENV_REGION",
    "ENV_RESULTS",
    "ENV_WORKSPACE_ID",
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
