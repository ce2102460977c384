"""Which process runs a job, and whether that process still lives.

A journal row names its owner: the machine, the process id, and when that process
started (the kernel's boot id and the process's start tick on Linux), so a process id
reused after a crash or a reboot is not mistaken for the owner. A job whose owner is gone
is taken over by the next process that looks (``recovery.py``); a job whose owner lives
is left alone, however stale it looks.
"""

from __future__ import annotations

import functools
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Owner", "this_process"]

_MAX_TEXT = 128


@dataclass(frozen=True)
class Owner:
    """One process: ``machine`` (host name), ``pid``, and ``started`` (boot id and start
    tick, or "" where the system does not tell)."""

    machine: str
    pid: int
    started: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"machine": self.machine, "pid": self.pid, "started": self.started}

    @classmethod
    def parse(cls, value: Any) -> Owner | None:
        """An owner from a journal, or None when any part is malformed."""
        if not isinstance(value, dict):
            return None
        machine, pid, started = value.get("machine"), value.get("pid"), value.get("started", "")
        if not isinstance(machine, str) or not 0 < len(machine) <= _MAX_TEXT:
            return None
        if isinstance(pid, bool) or not isinstance(pid, int) or not 0 < pid < 1 << 31:
            return None
        if not isinstance(started, str) or len(started) > _MAX_TEXT:
            return None
        return cls(machine, pid, started)

    def is_this_process(self) -> bool:
        return self == this_process()

    def alive(self) -> bool | None:
        """True while the process runs, False once it is gone, None when this machine
        cannot tell (another machine's process)."""
        if self.machine != _machine():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # another user's process: it exists
        except OSError:
            return None
        return not self.started or _started(self.pid) in (self.started, "")


@functools.cache
def this_process() -> Owner:
    """The owner written for the jobs of this process (computed once per process)."""
    return Owner(_machine(), os.getpid(), _started(os.getpid()))


def _machine() -> str:
    return socket.gethostname()[:_MAX_TEXT] or "localhost"


def _started(pid: int) -> str:
    """The boot id and the process's start tick (``/proc``), "" where there is none."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # the command name (field 2) may hold spaces and parentheses: count from its end
    fields = stat[stat.rfind(")") + 2 :].split()
    return f"{boot}:{fields[19]}" if len(fields) > 19 else ""


# a forked child is another process: it must not inherit its parent's identity
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=this_process.cache_clear)
