"""Reading the lock files that ./scripts/lock writes (requirements/*.txt and
binder/requirements.txt, uv's requirements format): one pin per package and Python range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
#: the oldest Python the locks are made for, as scripts/envs.sh (and so scripts/lock) says
LOCK_PYTHON = re.search(r"^LOCK_PYTHON=(\S+)", (ROOT / "scripts" / "envs.sh").read_text(), re.M)[1]


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503)
    version: str
    marker: Marker | None
    hashes: tuple[str, ...]

    def applies_here(self) -> bool:
        """Whether this pin is for this interpreter and platform."""
        return self.marker is None or self.marker.evaluate()


@dataclass(frozen=True)
class Lock:
    pins: tuple[Pin, ...]
    options: tuple[str, ...]  # lines such as "-e ."

    def here(self) -> dict[str, str]:
        """Name → version of the pins for this interpreter and platform."""
        return {pin.name: pin.version for pin in self.pins if pin.applies_here()}


def read_lock(path: Path) -> Lock:
    entries, current = [], ""
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].rstrip()
        if not line:
            continue
        if line.startswith((" ", "\t")):  # a continuation: more hashes of the entry above
            current += " " + line.strip()
        else:
            entries.append(current)
            current = line
        current = current.removesuffix("\\").rstrip()
    entries.append(current)
    pins, options = [], []
    for entry in filter(None, entries):
        if entry.startswith("-"):
            options.append(entry)
            continue
        requirement, *hashes = entry.split(" --hash=")
        parsed = Requirement(requirement)
        (specifier,) = parsed.specifier
        assert specifier.operator == "==", entry
        pins.append(
            Pin(canonicalize_name(parsed.name), specifier.version, parsed.marker, tuple(hashes))
        )
    return Lock(tuple(pins), tuple(options))
