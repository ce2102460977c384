"""Shared fixtures: an in-process emulator on a manual or fast clock, sample media, clients,
a valid request of each function."""

from __future__ import annotations

import httpx
import pytest

import wanvace_widgets as wv
from tests.helpers import make_client
from wanvace_widgets.emulator import EmulatorConfig, ManualClock, create_app
from wanvace_widgets.media import samples


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


#: the key of the ``emulated`` client, which no widget state, repr or file may hold
WIDGET_SECRET = "sk-widget-secret-9876543210"


@pytest.fixture
def requests_by_function(media):
    """A valid request of each function, on the sample media."""
    return {
        "image_reference": wv.ImageReference(
            prompt="a walk",
            ref_images=[media["subject"], media["background"]],
            obj_or_bg=["obj", "bg"],
        ),
        "video_repainting": wv.VideoRepainting(
            prompt="paint", video=media["source"], control_condition="scribble"
        ),
        "video_edit": wv.VideoEdit(
            prompt="knight", video=media["source"], mask_image=media["mask"]
        ),
        "video_extension": wv.VideoExtension(
            prompt="go on", first_clip=media["first_clip"], last_frame=media["last_frame"]
        ),
        "video_outpainting": wv.VideoOutpainting(
            prompt="wide", video=media["source"], right_scale=1.4
        ),
        "instruction_edit": wv.InstructionEdit(
            prompt="make it a pencil sketch",
            video=media["source"],
            ref_images=[media["subject"]],
            resolution="720P",
        ),
    }


@pytest.fixture
def widget_app():
    return create_app(EmulatorConfig(pending_s=0.05, running_s=0.1))


@pytest.fixture
async def emulated(widget_app, tmp_path):
    """A client of ``widget_app`` that says it is the emulator (the widgets' price line)."""
    client = make_client(
        widget_app, tmp_path, api_key=WIDGET_SECRET, backend_label="offline emulator: test"
    )
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
