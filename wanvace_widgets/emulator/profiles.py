"""How an emulator behaves: region, keys, task timing, quotas and faults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock, SystemClock
from ..contract import constants as c
from ..contract.families import FAMILIES, VACE
from .faults import Faults

__all__ = ["PROFILES", "EmulatorConfig"]

#: task timing profiles: (seconds PENDING, seconds RUNNING)
PROFILES = {"fast": (1.0, 2.0), "realistic": (20.0, 360.0), "instant": (0.0, 0.0)}


@dataclass
class EmulatorConfig:
    """Settings of one emulator.

    ``quota_policy`` says what a submit beyond ``max_concurrent`` live tasks gets: the
    documentation leaves it open (``docs/api-contract.md`` §12.4), so the default is the
    strict reading, ``"reject"`` (429 Throttling.RateQuota): a client that behaves under
    it behaves under either.
    ``"queue"`` accepts the task and keeps it PENDING until a slot frees.
    """

    region: str = "intl"
    api_keys: frozenset[str] | None = None  # None: any non-empty key is accepted
    other_region_keys: frozenset[str] = frozenset()  # answered 401 like a wrong-region key
    pending_s: float = PROFILES["fast"][0]
    running_s: float = PROFILES["fast"][1]
    #: seconds RUNNING for a submit's body, instead of ``running_s`` (e.g. timing.realistic)
    running_time: Callable[[dict], float] | None = None
    quota_policy: str = "reject"
    max_concurrent: int = c.CONCURRENT_TASKS
    submits_per_second: int = c.SUBMITS_PER_SECOND
    queries_per_second: int = c.QUERIES_PER_SECOND
    public_base_url: str = "http://emulator.local"
    upload_max_mb: int = 100
    policy_ttl_s: int = 300
    fetch_timeout_s: float = 5.0
    #: memory budgets (contract §15): past them the oldest result videos / uploaded files
    #: are dropped, and a submit body larger than ``max_body_bytes`` is refused
    result_cache_bytes: int = 128 * 2**20
    upload_cache_bytes: int = 256 * 2**20
    max_body_bytes: int = 2**20
    clock: Clock = field(default_factory=SystemClock)
    faults: Faults = field(default_factory=Faults)

    @property
    def model(self) -> str:
        """The region's VACE model."""
        return VACE.model_name(self.region)

    @property
    def models(self) -> tuple[str, ...]:
        """Every model the region serves: VACE's and wan2.7-videoedit."""
        return tuple(family.model_name(self.region) for family in FAMILIES.values())

    @classmethod
    def profile(cls, name: str, **overrides: Any) -> EmulatorConfig:
        pending, running = PROFILES[name]
        return cls(pending_s=pending, running_s=running, **overrides)
