"""The account's submit limits per model, as the client enforces them locally."""

from __future__ import annotations

from dataclasses import dataclass

from ..contract.families import VACE, family_of_model

__all__ = ["QuotaPolicy"]


@dataclass(frozen=True)
class QuotaPolicy:
    """The account's submit limits per model (``docs/api-contract.md`` §12.3, §17.6), kept
    locally so no 429 reaches you. ``None`` takes each model's documented limits
    (``families.py``); a number applies to every model."""

    max_concurrent: int | None = None
    submits_per_second: int | None = None
    #: status queries are limited to 20 per second per account; stay well below
    queries_per_second: float = 10.0

    def limits(self, model: str) -> tuple[int, int]:
        """(live tasks, submits a second) allowed for ``model``."""
        family = family_of_model(model) or VACE
        return (
            family.concurrent_tasks if self.max_concurrent is None else self.max_concurrent,
            family.submits_per_second
            if self.submits_per_second is None
            else self.submits_per_second,
        )
