"""The model families the client speaks to, as rows: Wan2.1 VACE and Wan 2.7 video edit.

"Models are rows, not forks" (DESIGN): a family is its functions, its model name in each
region, its price per second by output tier, its account limits, how long its jobs usually
take, and the usage field the server bills by. One client submits requests of every family
(each request says its family, ``VaceRequest.family``); the parameter table
(``params.py``) holds each function's fields, the emulator its rules. Sources and
decisions: ``docs/api-contract.md`` §12.3, §13 (VACE) and §17 (wan2.7-videoedit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from . import constants as c

__all__ = [
    "EDIT27",
    "FAMILIES",
    "VACE",
    "ModelFamily",
    "all_functions",
    "family_of",
    "family_of_model",
    "function_of_body",
]


@dataclass(frozen=True)
class ModelFamily:
    """One model family: what the client needs to send it jobs and to price them.

    ``model_names`` maps a region (``intl``, ``cn``) to the API's model name there;
    ``prices_usd`` a region to its price per billed second by output tier. A body names
    its function in ``input.function`` when ``function_in_body``. The server bills the
    seconds in ``usage[billed_field]`` (the tier in ``usage[tier_field]``, e.g. ``SR: 720``).
    ``typical_seconds`` is the documented processing time, low and high;
    ``max_billed_seconds`` the most seconds one job may be billed; ``billing`` says, in
    words for a price line, what a billed second is.
    """

    key: str
    title: str
    functions: tuple[str, ...]
    model_names: Mapping[str, str]
    prices_usd: Mapping[str, Mapping[str, float]]
    default_tier: str
    submits_per_second: int
    concurrent_tasks: int
    typical_seconds: tuple[float, float]
    function_in_body: bool
    billed_field: str
    max_billed_seconds: float
    tier_field: str | None = None
    billing: str = "each second of output"

    def model_name(self, region: str) -> str:
        """The model's name in ``region``; a custom host (the emulator, a gateway) speaks
        Singapore's names (§13.1)."""
        return self.model_names.get(region, self.model_names["intl"])

    def price_per_second(self, region: str, tier: str | None = None) -> float | None:
        """USD per billed second in ``region`` at ``tier`` (default: the family's); a custom
        host is priced as Singapore."""
        prices = self.prices_usd.get(region, self.prices_usd["intl"])
        return prices.get(tier or self.default_tier)

    def worst_billing(self) -> tuple[str, float]:
        """The dearest tier and the most seconds one job may be billed: the worst case,
        whatever its fields."""
        tiers = self.prices_usd["intl"]
        return max(tiers, key=tiers.__getitem__), self.max_billed_seconds

    def billed_seconds(self, usage: Mapping[str, Any] | None) -> float | None:
        """The seconds the server billed, from a SUCCEEDED task's ``usage``; None when it
        does not say (an older answer, a gateway)."""
        value = (usage or {}).get(self.billed_field)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
        return None

    def billed_tier(self, usage: Mapping[str, Any] | None) -> str | None:
        """The output tier the server billed (``SR: 1080`` → ``1080P``), or None."""
        value = (usage or {}).get(self.tier_field) if self.tier_field else None
        tier = f"{value}P" if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
        return tier if tier in self.prices_usd["intl"] else None


#: §12.3, §13: Wan2.1 VACE, five functions, 720P output of at most 5 s.
VACE: Final = ModelFamily(
    key="vace",
    title="Wan2.1 VACE",
    functions=c.FUNCTIONS,
    model_names={"intl": "wan2.1-vace-plus", "cn": "wanx2.1-vace-plus"},
    prices_usd={"intl": {"720P": 0.10}, "cn": {"720P": 0.100347}},
    default_tier="720P",
    submits_per_second=c.SUBMITS_PER_SECOND,
    concurrent_tasks=c.CONCURRENT_TASKS,
    typical_seconds=(300.0, 600.0),
    function_in_body=True,
    billed_field="video_duration",
    max_billed_seconds=float(c.OUTPUT_MAX_SECONDS),
)

#: §17: Wan 2.7 video editing: an instruction (and up to 4 reference images) applied to a
#: 2–10 s video, at 720P or 1080P. Billed for the source's seconds plus the output's
#: (§17.7); prices and limits the documents we could read leave open are decided there.
EDIT27: Final = ModelFamily(
    key="videoedit27",
    title="Wan 2.7 video edit",
    functions=(c.INSTRUCTION_EDIT,),
    model_names={"intl": c.EDIT27_MODEL, "cn": c.EDIT27_MODEL},
    prices_usd={
        "intl": {"720P": 0.10, "1080P": 0.15},
        "cn": {"720P": 0.086012, "1080P": 0.143353},
    },
    default_tier=c.EDIT27_DEFAULT_RESOLUTION,
    submits_per_second=2,
    concurrent_tasks=2,
    typical_seconds=c.EDIT27_TYPICAL_SECONDS,
    function_in_body=False,
    billed_field="duration",
    max_billed_seconds=2.0 * c.EDIT27_DURATION_RANGE[1],
    tier_field="SR",
    billing="each second of the source used and of the result",
)

#: every family, by key
FAMILIES: Final = {family.key: family for family in (VACE, EDIT27)}
_BY_FUNCTION: Final = {f: family for family in FAMILIES.values() for f in family.functions}


def all_functions() -> tuple[str, ...]:
    """Every function of every family, VACE's five first."""
    return tuple(_BY_FUNCTION)


def family_of(function: str) -> ModelFamily:
    """The family of ``function`` (a KeyError for a function no family has)."""
    return _BY_FUNCTION[function]


def family_of_model(name: object) -> ModelFamily | None:
    """The family whose model is called ``name`` in some region, or None."""
    for family in FAMILIES.values():
        if name in family.model_names.values():
            return family
    return None


def function_of_body(body: Mapping[str, Any]) -> str | None:
    """The function a submit body asks for: ``input.function`` for a VACE body, the one
    function of a family without it (named by its model), or None."""
    family = family_of_model(body.get("model"))
    if family is not None and not family.function_in_body:
        return family.functions[0]
    inp = body.get("input")
    function = inp.get("function") if isinstance(inp, Mapping) else None
    return function if isinstance(function, str) and function in c.FUNCTIONS else None
