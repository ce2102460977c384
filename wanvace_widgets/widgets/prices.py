"""The price line of a function widget, true for its model: the service's list price per
billed second (by output tier), what a billed second is, the most any job may cost, and
the most this form's job may cost when that is less.

VACE bills the output's seconds (at most 5 s at 720P); Wan 2.7's video edit bills the
source's seconds used plus the result's, by resolution (§17.7), so a 3 s source at 720P
costs at most 6 s × $0.10, not its 20 s × $0.15 worst case. The figures are the model
family's list prices in the client's region (``families.py``), whatever price a client is
configured with: the emulator's client counts $0, and its line still says what the
service would charge.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..contract.families import ModelFamily
from ..contract.request_models import VaceRequest

__all__ = ["Charge", "Price", "job_charge", "model_price", "price_text"]


@dataclass(frozen=True)
class Charge:
    """The most one job may be billed: ``seconds`` at ``tier``, ``usd_per_s`` each."""

    tier: str
    seconds: float
    usd_per_s: float

    @property
    def usd(self) -> float:
        return round(self.usd_per_s * self.seconds, 4)


@dataclass(frozen=True)
class Price:
    """One model's price: ``rates`` (tier, USD per billed second) for the tiers with a
    known price, ``billing`` (what a billed second is), ``worst`` (the most a job may
    cost; None when unknown)."""

    rates: tuple[tuple[str, float], ...]
    billing: str
    worst: Charge | None


def _charge(family: ModelFamily, region: str, tier: str, seconds: float) -> Charge | None:
    rate = family.price_per_second(region, tier)
    return None if rate is None else Charge(tier, seconds, rate)


def model_price(request_class: type[VaceRequest], region: str) -> Price:
    """The list price of ``request_class``'s model in ``region``."""
    family = request_class.family
    rates = tuple(
        (tier, rate)
        for tier in family.prices_usd["intl"]
        if (rate := family.price_per_second(region, tier)) is not None
    )
    return Price(rates, family.billing, _charge(family, region, *family.worst_billing()))


def job_charge(
    request: VaceRequest, region: str, source_seconds: float | None = None
) -> Charge | None:
    """The most ``request`` may cost at list price (``source_seconds``: its local source's
    length, when known), as its submit will record it (``max_billed``)."""
    return _charge(request.family, region, *request.max_billed(source_seconds))


def price_text(price: Price, job: Charge | None = None) -> str:
    """The price in words (plain text); ``job``: this form's job, said when it may cost
    less than the most any job may.

    >>> vace = Price((("720P", 0.1),), "each second of output", Charge("720P", 5.0, 0.1))
    >>> price_text(vace)
    '$0.10/s for each second of output: up to $0.50 a job (5 s), billed only if it succeeds'
    """
    if price.worst is None:
        return f"priced per second, for {price.billing}, billed only if it succeeds"
    tiers = len(price.rates) > 1
    rates = ", ".join(
        f"{_usd(rate)}/s" + (f" at {tier}" if tiers else "") for tier, rate in price.rates
    )
    if tiers:
        rates += ","
    text = f"{rates} for {price.billing}: up to {_charge_text(price.worst, tiers, ' a job')}"
    if job is not None and job.usd < price.worst.usd:
        text += f"; this one up to {_charge_text(job, tiers)};"
    else:
        text += ","
    return text + " billed only if it succeeds"


def _charge_text(charge: Charge, tiers: bool, each: str = "") -> str:
    """$0.60 (6 s at 720P): the amount in cents, and what it is."""
    at = f" at {charge.tier}" if tiers else ""
    return f"${charge.usd:.2f}{each} ({charge.seconds:g} s{at})"


def _usd(amount: float) -> str:
    """A price per second: $0.10, or the digits a finer price has ($0.086).

    >>> _usd(0.1), _usd(0.15), _usd(0.086012), _usd(0.100347)
    ('$0.10', '$0.15', '$0.086', '$0.1003')
    """
    digits = f"{amount:.4f}".rstrip("0")
    whole, _, cents = digits.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"
