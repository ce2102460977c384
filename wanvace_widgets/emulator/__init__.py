"""A local DashScope: the VACE HTTP contract on loopback or in-process, with real MP4s.

In-process (tests, the offline demo)::

    app = create_app(EmulatorConfig())
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator.local")

Over loopback (browser and notebook tests, Binder)::

    with EmulatorServer(EmulatorConfig.profile("fast")) as server:
        VaceClient(base_url=server.base_url, api_key="any")
"""

from ..clock import ManualClock, SystemClock
from .faults import Fault, Faults
from .profiles import PROFILES, EmulatorConfig
from .routes import Emulator, create_app
from .server import EmulatorServer

__all__ = [
    "PROFILES",
    "Emulator",
    "EmulatorConfig",
    "EmulatorServer",
    "Fault",
    "Faults",
    "ManualClock",
    "SystemClock",
    "create_app",
]
