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
    region: str | None = "intl", base_url: str | None = None, model: str | None = None
) -> Endpoint:
    """Resolve a region name or a custom base URL into an :class:`Endpoint`.

    A custom ``base_url`` (a workspace domain, or the local emulator) keeps the region's
    model name when a region is named too, and ``wan2.1-vace-plus`` otherwise. A trailing
    ``/api/v1`` (as the official SDK's base URL has) is accepted and dropped.
    """
    name = _ALIASES.get((region or "").lower(), (region or "").lower()) or None
    if name is not None and name not in REGIONS and base_url is None:
        raise ConfigurationError(
            f"unknown region {region!r}: use 'intl' (Singapore) or 'cn' (Beijing), "
            "or give base_url for a workspace domain or the emulator"
        )
    if base_url is None:
        default_url, default_model = REGIONS[name or "intl"]
        return Endpoint(name or "intl", default_url, model or default_model)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"base_url {base_url!r} must be an http(s) URL such as https://host"
        )
    cleaned = base_url.rstrip("/")
    if cleaned.endswith("/api/v1"):
        cleaned = cleaned[: -len("/api/v1")]
    default_model = REGIONS[name][1] if name in REGIONS else REGIONS["intl"][1]
    return Endpoint(name if name in REGIONS else "custom", cleaned, model or default_model)
