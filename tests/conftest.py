"""Shared fixtures: an in-process emulator on a manual or fast clock, sample media, clients."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import make_client
from wanvace_widgets import samples
from wanvace_widgets.emulator import EmulatorConfig, ManualClock, create_app


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    """The sample files, written once per test session."""
    return samples.write_samples(tmp_path_factory.mktemp("samples"))


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def emulator_app(clock):
    return create_app(EmulatorConfig(clock=clock))


@pytest.fixture
async def http(emulator_app):
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.local") as client:
        yield client


@pytest.fixture
def fast_app():
    """An emulator on the wall clock with tasks that take a fraction of a second."""
    return create_app(EmulatorConfig(pending_s=0.05, running_s=0.1))


@pytest.fixture
async def client(fast_app, tmp_path):
    client = make_client(fast_app, tmp_path)
    yield client
    await client.aclose()


@pytest.fixture
def closing():
    """``closing(widget)`` returns the widget and closes it after the test (a history
    follows tasks in the background until it is closed)."""
    made = []
    yield lambda widget: made.append(widget) or widget
    for widget in made:
        widget.close()
