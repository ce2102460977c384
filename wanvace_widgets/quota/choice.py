"""Which quota store a kernel shares, and who its user is, from the environment.

=========================  ==================================================================
``WANVACE_QUOTA_URL``      unset or ``sqlite:``: the embedded store, ``quota.sqlite3`` in
                           ``WANVACE_HOME`` (every kernel of this user on this machine);
                           ``sqlite:///abs/path``: that file; ``redis://…``, ``rediss://…``,
                           ``unix://…``: a Redis server (a team on many machines);
                           ``memory:``: this kernel only
``WANVACE_QUOTA_ACCOUNT``  the name of the account whose quota is shared (default: a
                           fingerprint of the API key, so kernels using the same key share)
``WANVACE_USER``           the fair-share name; else ``JUPYTERHUB_USER``, else the login name
``WANVACE_DAILY_BUDGET_USD``  the most one user may spend a day (unset: no limit)
=========================  ==================================================================

Every bad value raises :class:`~wanvace_widgets.errors.ConfigurationError` saying which
variable to fix, when the client is made (:func:`choose_quota_store` checks the URL
without connecting). A password in the URL never appears in an error, its chain, a repr,
or the locals of a frame of its traceback: the checks return their findings, already
scrubbed, and the error is raised where no local holds the URL read from the environment.
"""

from __future__ import annotations

import getpass
import hashlib
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ..clock import Clock
from ..errors import ConfigurationError
from ..settings import default_home
from .base import QuotaLimits, QuotaStore
from .local import LocalQuota
from .sqlite import SqliteQuota

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing's own from Python 3.11

__all__ = [
    "ENV_ACCOUNT",
    "ENV_BUDGET",
    "ENV_URL",
    "ENV_USER",
    "QUOTA_FILE_NAME",
    "QuotaChoice",
    "check_user_name",
    "choose_quota_store",
    "daily_budget_usd",
    "quota_scope",
    "quota_store_from_environment",
    "quota_user",
    "redact_url",
]

ENV_URL = "WANVACE_QUOTA_URL"
ENV_ACCOUNT = "WANVACE_QUOTA_ACCOUNT"
ENV_USER = "WANVACE_USER"
ENV_BUDGET = "WANVACE_DAILY_BUDGET_USD"
QUOTA_FILE_NAME = "quota.sqlite3"
REDIS_SCHEMES = ("redis", "rediss", "unix")

#: user and account names: shown to other users, and part of store keys
_NAME = re.compile(r"[\w.@+-]{1,64}")


@dataclass(frozen=True, repr=False)
class QuotaChoice:
    """The quota store a client uses, read and checked when the client is made. The store
    itself is made at the first job, once the key is known (the account may be the key's
    fingerprint). Its repr hides the URL's password."""

    kind: str  # "memory", "sqlite" or "redis"
    account: str | None
    path: Path | None = None
    url: str = field(default="", compare=False)

    def __repr__(self) -> str:
        return f"QuotaChoice({self.kind}, {redact_url(self.url)!r})"

    def store(
        self,
        *,
        model: str,
        api_key: str,
        clock: Clock | None = None,
        **limits: Unpack[QuotaLimits],
    ) -> QuotaStore:
        """The store of ``model``'s quota (the key is only fingerprinted); it connects on
        first use."""
        if self.kind == "memory":
            return LocalQuota(clock=clock, **limits)
        scope = f"{self.account or _key_account(api_key)}/{model}"
        if self.kind == "sqlite" and self.path is not None:
            return SqliteQuota(self.path, scope=scope, clock=clock, **limits)
        from .redis import RedisQuota  # importable: choose_quota_store checked it

        return RedisQuota.from_url(self.url, scope=scope, **limits)


def choose_quota_store(url: str | None = None) -> QuotaChoice:
    """The store ``url`` names, else ``WANVACE_QUOTA_URL`` (see the module doc), with the
    account (``WANVACE_QUOTA_ACCOUNT``): checked, without connecting to anything."""
    found = _read_url(os.environ.get(ENV_URL, "") if url is None else url, _account())
    if isinstance(found, str):
        raise ConfigurationError(found)  # no local here holds the environment's URL
    return found


def quota_store_from_environment(
    *,
    model: str,
    api_key: str,
    url: str | None = None,
    clock: Clock | None = None,
    **limits: Unpack[QuotaLimits],
) -> QuotaStore:
    """The store for ``model``'s quota under ``api_key``'s account: ``url`` if given,
    else ``WANVACE_QUOTA_URL`` (see the module doc). The key is only fingerprinted.

    ``clock`` is the client's, for the stores of one machine; Redis keeps time by its
    server's clock, which every machine of a team shares."""
    return choose_quota_store(url).store(model=model, api_key=api_key, clock=clock, **limits)


def quota_scope(model: str, api_key: str) -> str:
    """``account/model``: what every kernel sharing one quota has in common."""
    return f"{_account() or _key_account(api_key)}/{model}"


def quota_user() -> str:
    """The fair-share name: ``WANVACE_USER``, else ``JUPYTERHUB_USER``, else the login."""
    for variable in (ENV_USER, "JUPYTERHUB_USER"):
        name = os.environ.get(variable, "").strip()
        if name:
            return check_user_name(name, variable)
    try:
        login: str | None = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        login = None
    if login is None:
        raise ConfigurationError(f"no user name for the shared quota: set {ENV_USER}=your-name")
    return check_user_name(login, "the login name")


def check_user_name(name: str, source: str = "user") -> str:
    """``name`` when it can name a user in the shared quota (others see it), else a
    ConfigurationError naming ``source``, the variable or argument it came from."""
    if not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"{source}={name[:80]!r} cannot name you in the shared quota: use 1-64 letters, "
            f"digits or . _ @ + - (set {ENV_USER})."
        )
    return name


def daily_budget_usd() -> float | None:
    """``WANVACE_DAILY_BUDGET_USD`` as a number of dollars ≥ 0, or None when unset."""
    text = os.environ.get(ENV_BUDGET, "").strip()
    if not text:
        return None
    try:
        budget = float(text)
    except ValueError:
        budget = math.nan
    if not (math.isfinite(budget) and budget >= 0):
        raise ConfigurationError(
            f"{ENV_BUDGET}={text[:40]!r} is not an amount of US dollars: use a number ≥ 0 "
            "such as 5 or 2.50, or unset it for no daily limit."
        )
    return budget


def redact_url(url: str) -> str:
    """``url`` with any password (in the user part or a ``password=`` query) as ``***``;
    only the scheme when it cannot be parsed."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return url.partition(":")[0] + ":…"
    if password:
        url = url.replace(f":{password}@", ":***@", 1)
    return re.sub(r"(?i)(password=)[^&#]*", r"\1***", url)


def _scrub(text: str, url: str) -> str:
    """``text`` (an error about ``url``) without the URL's password, raw or decoded."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    for secret in {password or "", unquote(password or "")} - {""}:
        text = text.replace(secret, "***")
    return redact_url(text)


def _account() -> str | None:
    """``WANVACE_QUOTA_ACCOUNT``, checked; None when unset (the key's fingerprint then)."""
    account = os.environ.get(ENV_ACCOUNT, "").strip()
    if account and not _NAME.fullmatch(account):
        raise ConfigurationError(
            f"{ENV_ACCOUNT}={account[:80]!r} cannot name an account in the shared quota: use "
            "1-64 letters, digits or . _ @ + -, or unset it to share by API key."
        )
    return account or None


def _key_account(api_key: str) -> str:
    digest = hashlib.sha256(b"wanvace-quota-account\0" + api_key.encode()).hexdigest()
    return "key-" + digest[:16]


def _read_url(url: str, account: str | None) -> QuotaChoice | str:
    """The choice ``url`` makes, or what is wrong with it (scrubbed of its password)."""
    url = url.strip()
    scheme = url.partition(":")[0].lower() if ":" in url else url.lower()
    if scheme == "memory":
        return QuotaChoice("memory", account, url=url)
    if scheme in ("", "sqlite"):
        return _sqlite_choice(url, account)
    if scheme in REDIS_SCHEMES:
        problem = _redis_problem(url)
        return problem or QuotaChoice("redis", account, url=url)
    return (
        f"{ENV_URL}={redact_url(url)!r} is not a quota store: use redis://host:port/db "
        "(a team), sqlite:///path/to/file (this machine), memory: (this kernel), or leave "
        "it unset for the embedded store in WANVACE_HOME."
    )


def _sqlite_choice(url: str, account: str | None) -> QuotaChoice | str:
    if url.lower() in ("", "sqlite:", "sqlite://"):
        return QuotaChoice("sqlite", account, default_home() / QUOTA_FILE_NAME, url)
    parts = urlsplit(url)
    if parts.netloc or not parts.path.startswith("/") or parts.query:
        return (
            f"{ENV_URL}={redact_url(url)!r}: write an SQLite file as "
            "sqlite:///absolute/path/quota.sqlite3."
        )
    return QuotaChoice("sqlite", account, Path(parts.path), url)


def _redis_problem(url: str) -> str | None:
    """What redis-py would refuse in ``url`` (it parses without connecting), or None."""
    try:
        from .redis import RedisQuota
    except ImportError:
        return (
            f"{ENV_URL}={redact_url(url)!r} needs the redis package: "
            'pip install "wanvace-widgets[team]"'
        )
    try:
        RedisQuota.check_url(url)
    except (ValueError, TypeError) as exc:
        return f"{ENV_URL}={redact_url(url)!r} is not a usable Redis URL: {_scrub(str(exc), url)}"
    return None
