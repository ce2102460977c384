"""Where requests go: region → base URL and model names.

Keys, endpoints and model names are bound to a region (``docs/api-contract.md`` §13.1): a
Singapore key on the Beijing host answers 401. An :class:`Endpoint` is made once per client
and carries all three, with the model name of every family (VACE, wan2.7-videoedit), so
two clients for two regions live side by side in one kernel, and one client sends each
request to its own family's model. A workspace id builds the region's workspace-specific
host (§17.9); the old hosts stay the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..errors import ConfigurationError
from . import constants as c
from .families import FAMILIES, VACE, family_of_model

__all__ = ["REGIONS", "Endpoint", "resolve_endpoint", "workspace_base_url"]

#: region name → (base URL, VACE model name), §13.1
REGIONS: dict[str, tuple[str, str]] = {
    "intl": ("https://dashscope-intl.aliyuncs.com", VACE.model_names["intl"]),
    "cn": ("https://dashscope.aliyuncs.com", VACE.model_names["cn"]),
}
_ALIASES = {"singapore": "intl", "ap-southeast-1": "intl", "beijing": "cn", "cn-beijing": "cn"}


@dataclass(frozen=True)
class Endpoint:
    """A resolved destination: ``base_url`` has no trailing slash and no ``/api/v1``.

    ``models`` maps each family's key to its model name here; ``model`` is VACE's (the
    name this package has always shown), :meth:`model_for` any family's.
    """

    region: str
    base_url: str
    model: str
    models: Mapping[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def url(self, path: str) -> str:
        return self.base_url + path

    def model_for(self, family: str) -> str:
        """The model name of the family called ``family`` (``"vace"``, ``"videoedit27"``)."""
        if family == VACE.key:
            return self.model
        return self.models.get(family) or FAMILIES[family].model_name(self.region)


def workspace_base_url(workspace_id: str, region: str) -> str:
    """The workspace-specific base URL of ``region`` (§17.9). The id must be one DNS label
    (letters, digits, ``_`` and ``-``, at most 64, as the official SDK checks it), so it can
    never point the client, and its key, at another host."""
    if not isinstance(workspace_id, str) or not c.WORKSPACE_ID_PATTERN.fullmatch(workspace_id):
        raise ConfigurationError(
            f"workspace id {str(workspace_id)[:80]!r} is not one: use the ID shown on the "
            "Workspace Details page of the Model Studio console (letters, digits, _ and -)"
        )
    if region not in c.WORKSPACE_REGIONS:
        raise ConfigurationError(
            f"a workspace id needs the region it belongs to: 'intl' (Singapore) or 'cn' "
            f"(Beijing), not {region!r}"
        )
    return c.WORKSPACE_HOST.format(workspace_id=workspace_id, region=c.WORKSPACE_REGIONS[region])


def resolve_endpoint(
    region: str | None = "intl",
    base_url: str | None = None,
    model: str | None = None,
    workspace_id: str | None = None,
) -> Endpoint:
    """Resolve a region name, a workspace id or a custom base URL into an :class:`Endpoint`.

    ``workspace_id`` builds the region's workspace host (not with ``base_url``). A custom
    ``base_url`` (a gateway, or the local emulator) keeps the region's model names when a
    region is named too, and Singapore's otherwise. A trailing ``/api/v1`` (as the official
    SDK's base URL has) is accepted and dropped. ``model`` renames one family's model: the
    family whose name it is, else VACE's (a dated snapshot, say). A bad value is a
    ConfigurationError (:func:`endpoint_problem`).
    """
    problem = endpoint_problem(region, base_url)
    if problem:
        raise ConfigurationError(problem)
    name = _region_name(region)
    if workspace_id is not None:
        if base_url is not None:
            raise ConfigurationError("give either workspace_id or base_url, not both")
        base_url = workspace_base_url(workspace_id, name or "intl")
    if base_url is None:
        return _endpoint(name or "intl", REGIONS[name or "intl"][0], model)
    cleaned = base_url.rstrip("/")
    if cleaned.endswith("/api/v1"):
        cleaned = cleaned[: -len("/api/v1")]
    return _endpoint(name if name in REGIONS else "custom", cleaned, model)


def _endpoint(region: str, base_url: str, model: str | None) -> Endpoint:
    models = {key: family.model_name(region) for key, family in FAMILIES.items()}
    if model:
        renamed = family_of_model(model) or VACE
        models[renamed.key] = model
    return Endpoint(region, base_url, models[VACE.key], models)


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
