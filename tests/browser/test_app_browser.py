"""`wanvace app` as its user meets it: the studio in Voilà, in Chromium, with no code on
the page; a click on Generate runs a job on the emulator and the result plays, served by
Voilà itself."""

from __future__ import annotations

import signal
import sys
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS, ROOT
from tests.browser.test_widgets_browser import click_generate_and_play, played_well
from tests.commands import isolated_env, running, wait_for_url, whole_address
from wanvace_widgets.emulator.server import free_port


@pytest.fixture
def app(tmp_path):
    """``wanvace app --no-browser`` on a free port; yields the URL it prints."""
    env = isolated_env(tmp_path) | {"PYTHONPATH": str(ROOT)}  # the kernel imports this checkout
    command = [sys.executable, "-m", "wanvace_widgets.apps.cli", "app", "studio", "--no-browser"]
    log = tmp_path / "app.log"
    with running([*command, f"--port={free_port()}"], tmp_path, env, log) as process:
        folder = tmp_path / "studio"
        yield whole_address(wait_for_url(log, process), folder), folder
        process.send_signal(signal.SIGTERM)  # wanvace stops Voilà, which stops its kernels
        process.wait(timeout=30)


def test_app_shows_the_studio_without_code_and_plays_a_generated_video(browser, app):
    url, folder = app
    page = browser.new_context(viewport={"width": 1100, "height": 1600}).new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    page.locator(".wanvace-studio").wait_for()
    assert page.locator(".jp-CodeMirrorEditor, .cm-editor, .jp-InputPrompt").count() == 0
    assert "studio_app" not in page.inner_text("body")  # the code is not shown
    page.locator(".wanvace-studio [role=tab]", has_text="Video outpainting").click()
    played = click_generate_and_play(page, ".wanvace-video_outpainting")
    assert played_well(played), played
    src = urlsplit(played["src"])
    assert src.netloc == urlsplit(url).netloc  # served by the app itself, no other origin
    assert src.path.startswith("/voila/files/wanvace-results/")
    assert (folder / unquote(src.path.removeprefix("/voila/files/"))).is_file()
    (folder / "notes.txt").write_text("not for the page")
    files = f"{src.scheme}://{src.netloc}/voila/files/"
    token = {"token": parse_qs(urlsplit(url).query)["token"][0]}
    assert httpx.get(played["src"]).status_code in (302, 403)  # not without the token
    assert httpx.get(played["src"], params=token).status_code == 200
    for private in ("studio.ipynb", "notes.txt"):  # only media leave the app's folder
        assert httpx.get(files + private, params=token).status_code == 403, private
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app.png"))
