"""Which service the widgets talk to when no client is given.

One shared client per kernel, chosen from the environment at first use:

1. ``WANVACE_BASE_URL`` set: that server (the emulator Binder's ``start`` runs, or a
   workspace domain), with ``DASHSCOPE_API_KEY`` or a placeholder key for the emulator;
2. else an API key found (``DASHSCOPE_API_KEY`` or a key file): the real DashScope in
   ``WANVACE_REGION`` (default ``intl``);
3. else the offline emulator, in-process: no port, no network, real MP4s.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..contract.regions import endpoint_problem
from ..errors import ConfigurationError
from ..jobs.client import VaceClient
from ..settings import ENV_API_KEY, ENV_BASE_URL, ENV_REGION, ENV_RESULTS, find_api_key

__all__ = ["default_client", "emulator_client", "reset_default_client"]

EMULATOR_LABEL = "offline emulator: synthesized locally, not Wan output"
_EMULATOR_KEY = "emulator-key"
_shared: VaceClient | None = None


def default_client() -> VaceClient:
    """The kernel's shared client (made on first call, from the environment).

    Its results go to ``./wanvace-results`` beside the notebook, where the Jupyter server
    can serve them to the inline player (``WANVACE_RESULTS`` overrides the folder).
    """
    global _shared
    if _shared is None:
        _shared = _client_from_environment()
    return _shared


def reset_default_client() -> None:
    """Forget the shared client, e.g. after changing the environment in a notebook."""
    global _shared
    _shared = None


def emulator_client(**client_options: Any) -> VaceClient:
    """A client backed by an in-process emulator with demo-speed tasks."""
    import httpx

    from ..emulator import EmulatorConfig, create_app

    app = create_app(EmulatorConfig())
    return VaceClient(
        base_url="http://emulator.local",
        api_key=_EMULATOR_KEY,
        transport=httpx.ASGITransport(app=app),
        backend_label=EMULATOR_LABEL,
        price_per_second=0.0,
        quota_store="memory:",  # the in-process emulator's quota is its own
        **client_options,
    )


def _client_from_environment() -> VaceClient:
    _check_endpoint_variables()
    results = Path(os.environ.get(ENV_RESULTS) or Path.cwd() / "wanvace-results")
    base_url = os.environ.get(ENV_BASE_URL, "").strip() or None
    region = os.environ.get(ENV_REGION, "").strip() or "intl"
    if base_url:
        key = os.environ.get(ENV_API_KEY) or _EMULATOR_KEY
        emulated = key == _EMULATOR_KEY
        return VaceClient(
            base_url=base_url,
            api_key=key,
            backend_label=EMULATOR_LABEL if emulated else None,
            price_per_second=0.0 if emulated else None,
            results_dir=results,
        )
    if find_api_key():
        return VaceClient(region=region, results_dir=results)
    return emulator_client(results_dir=results)


def _check_endpoint_variables() -> None:
    """WANVACE_REGION and WANVACE_BASE_URL, checked before a client is made so that a bad
    one is named by its variable; raised from here, where no local holds the URL."""
    problem = endpoint_problem(
        os.environ.get(ENV_REGION, "").strip() or None,
        os.environ.get(ENV_BASE_URL, "").strip() or None,
        names=(ENV_REGION, ENV_BASE_URL),
    )
    if problem:
        raise ConfigurationError(problem)
