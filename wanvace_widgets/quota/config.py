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
variable to fix. A password in the URL never appears in an error or a repr.
"""

from __future__ import annotations

import getpass
import hashlib
import math
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..clock import Clock
from ..config import default_home
from ..errors import ConfigurationError
from .base import QuotaStore
from .local import LocalQuota
from .sqlite import SqliteQuota

__all__ = [
    "ENV_ACCOUNT",
    "ENV_BUDGET",
    "ENV_URL",
    "ENV_USER",
    "QUOTA_FILE_NAME",
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


def quota_store_from_environment(
    *,
    model: str,
    api_key: str,
    url: str | None = None,
    clock: Clock | None = None,
    **limits: float,
) -> QuotaStore:
    """The store for ``model``'s quota under ``api_key``'s account: ``url`` if given,
    else ``WANVACE_QUOTA_URL`` (see the module doc). The key is only fingerprinted.

    ``clock`` is the client's, for the stores of one machine; Redis keeps time by its
    server's clock, which every machine of a team shares."""
    url = (os.environ.get(ENV_URL, "") if url is None else url).strip()
    scheme = url.partition(":")[0].lower() if ":" in url else url.lower()
    if scheme == "memory":
        return LocalQuota(clock=clock, **limits)
    scope = quota_scope(model, api_key)
    if scheme in ("", "sqlite"):
        return SqliteQuota(_sqlite_path(url), scope=scope, clock=clock, **limits)
    if scheme in REDIS_SCHEMES:
        return _redis_store(url, scope=scope, **limits)
    raise ConfigurationError(
        f"{ENV_URL}={redact_url(url)!r} is not a quota store: use redis://host:port/db "
        "(a team), sqlite:///path/to/file (this machine), memory: (this kernel), or leave "
        "it unset for the embedded store in WANVACE_HOME."
    )


def quota_scope(model: str, api_key: str) -> str:
    """``account/model``: what every kernel sharing one quota has in common."""
    account = os.environ.get(ENV_ACCOUNT, "").strip()
    if account:
        _check_name(ENV_ACCOUNT, account)
    else:
        digest = hashlib.sha256(b"wanvace-quota-account\0" + api_key.encode()).hexdigest()
        account = "key-" + digest[:16]
    return f"{account}/{model}"


def quota_user() -> str:
    """The fair-share name: ``WANVACE_USER``, else ``JUPYTERHUB_USER``, else the login."""
    for variable in (ENV_USER, "JUPYTERHUB_USER"):
        name = os.environ.get(variable, "").strip()
        if name:
            return _check_name(variable, name)
    try:
        return _check_name("the login name", getpass.getuser())
    except (KeyError, OSError):  # no passwd entry (some containers)
        raise ConfigurationError(
            f"no user name for the shared quota: set {ENV_USER}=your-name"
        ) from None


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
    for secret in {password, unquote(password or "")} - {None, ""}:
        text = text.replace(secret, "***")
    return redact_url(text)


def _check_name(source: str, name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"{source}={name[:80]!r} cannot name you in the shared quota: use 1-64 letters, "
            f"digits or . _ @ + - (set {ENV_USER})."
        )
    return name


def _sqlite_path(url: str) -> Path:
    if url.lower() in ("", "sqlite:", "sqlite://"):
        return default_home() / QUOTA_FILE_NAME
    parts = urlsplit(url)
    if parts.netloc or not parts.path.startswith("/") or parts.query:
        raise ConfigurationError(
            f"{ENV_URL}={redact_url(url)!r}: write an SQLite file as "
            "sqlite:///absolute/path/quota.sqlite3."
        )
    return Path(parts.path)


def _redis_store(url: str, **options: object) -> QuotaStore:
    try:
        from .redis import RedisQuota
    except ImportError:
        raise ConfigurationError(
            f"{ENV_URL}={redact_url(url)!r} needs the redis package: "
            'pip install "wanvace-widgets[team]"'
        ) from None
    try:
        return RedisQuota.from_url(url, **options)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        reason = _scrub(str(exc), url)
    raise ConfigurationError(f"{ENV_URL}={redact_url(url)!r} is not a usable Redis URL: {reason}")
