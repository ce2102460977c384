"""Where requests go: region → base URL and model name.

Keys, endpoints and model names are bound to a region (reference §9): a Singapore key on
the Beijing host answers 401. An :class:`Endpoint` is made once per client and carries all
three, so two clients for two regions live side by side in one kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import ConfigurationError

__all__ = ["REGIONS", "Endpoint", "resolve_endpoint"]

#: region name → (base URL, VACE model name), reference §1 and §9.
REGIONS: dict[str, tuple[str, str]] = {
    "intl": ("https://dashscope-intl.aliyuncs.com", "wan2.1-vace-plus"),
    "cn": ("https://dashscope.aliyuncs.com", "wanx2.1-vace-plus"),
}
_ALIASES = {"singapore": "intl", "ap-southeast-1": "intl", "beijing": "cn", "cn-beijing": "cn"}


@dataclass(frozen=True)
class Endpoint:
    """A resolved destination: ``base_url`` has no trailing slash and no ``/api/v1``."""

    region: str
    base_url: str
    model: str

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def url(self, path: str) -> str:
        return self.base_url + path


def resolve_endpoint(
    region: str | None = "intl",
    base_url: str | None = None,
    model: str | None = None,
) -> Endpoint:
    """Resolve a region name or a custom base URL into an :class:`Endpoint`.

    A custom ``base_url`` (a workspace domain, or the local emulator) keeps the region's
    model name when a region is named too, and ``wan2.1-vace-plus`` otherwise. A trailing
    ``/api/v1`` (as the official SDK's base URL has) is accepted and dropped. A bad value
    is a ConfigurationError (:func:`endpoint_problem`).
    """
    problem = endpoint_problem(region, base_url)
    if problem:
        raise ConfigurationError(problem)
    name = _region_name(region)
    if base_url is None:
        default_url, default_model = REGIONS[name or "intl"]
        return Endpoint(name or "intl", default_url, model or default_model)
    cleaned = base_url.rstrip("/")
    if cleaned.endswith("/api/v1"):
        cleaned = cleaned[: -len("/api/v1")]
    default_model = REGIONS[name][1] if name in REGIONS else REGIONS["intl"][1]
    return Endpoint(name if name in REGIONS else "custom", cleaned, model or default_model)


def endpoint_problem(
    region: str | None, base_url: str | None, names: tuple[str, str] = ("region", "base_url")
) -> str | None:
    """What is wrong with a region and base URL, naming them by ``names`` (the arguments',
    or the environment variables' they came from), any password in the URL hidden; None
    when nothing is. A region is checked only when no base URL replaces it."""
    name = _region_name(region)
    if name is not None and name not in REGIONS and base_url is None:
        return (
            f"unknown region {names[0]}={str(region)[:40]!r}: use 'intl' (Singapore) or 'cn' "
            "(Beijing), or give a base URL for a workspace domain or the emulator"
        )
    problem = None if base_url is None else _base_url_problem(base_url)
    return f"{names[1]}={_shown(base_url or '')!r} {problem}" if problem else None


def _region_name(region: str | None) -> str | None:
    return _ALIASES.get((region or "").lower(), (region or "").lower()) or None


def _base_url_problem(base_url: str) -> str | None:
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "cannot be read as a URL: use an http(s) URL such as https://host"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http(s) URL such as https://host"
    if parts.username or parts.password:
        return "must not hold a user or password: the API key goes in DASHSCOPE_API_KEY"
    return None


def _shown(url: str) -> str:
    """``url`` as an error may show it: up to the host, never a user or password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.partition(":")[0] + ":…"
    if not parts.netloc:
        return url.rpartition("@")[2][:60]
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"[:120]
