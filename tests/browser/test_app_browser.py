"""`wanvace app` as its user meets it: the studio in Voilà, in Chromium, with no code on
the page; a click on Generate runs a job on the emulator and the result plays, served by
Voilà itself."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import unquote, urlsplit

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT
from tests.browser.test_widgets_browser import click_generate_and_play, played_well
from wanvace_widgets.emulator.server import free_port


@pytest.fixture
def app(tmp_path):
    """``wanvace app --no-browser`` on a free port; yields the URL it prints."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DASHSCOPE_API_KEY", "WANVACE_BASE_URL")
    }
    env |= {
        "PYTHONPATH": str(ROOT),  # the app's kernel imports this checkout's package
        "WANVACE_HOME": str(tmp_path / "home"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "app.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "wanvace_widgets.cli", "app", "studio", "--no-browser"]
            + [f"--port={free_port()}"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"^Open (http://\S+)", log.read_text(), re.MULTILINE)
            url = found and found.group(1)
            time.sleep(0.2)
        assert url, "wanvace app printed no URL:\n" + log.read_text()[-3000:]
        yield url, tmp_path / "studio"
    finally:
        process.send_signal(signal.SIGTERM)  # wanvace stops Voilà, which stops its kernels
        try:
            process.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def test_app_shows_the_studio_without_code_and_plays_a_generated_video(browser, app):
    url, folder = app
    page = browser.new_context(viewport={"width": 1100, "height": 1600}).new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    page.locator(".wanvace-studio").wait_for()
    assert page.locator(".jp-CodeMirrorEditor, .cm-editor, .jp-InputPrompt").count() == 0
    assert "studio_app" not in page.inner_text("body")  # the code is not shown
    page.locator(".wanvace-studio .lm-TabBar-tab", has_text="Video outpainting").click()
    played = click_generate_and_play(page, ".wanvace-video_outpainting")
    assert played_well(played), played
    src = urlsplit(played["src"])
    assert src.netloc == urlsplit(url).netloc  # served by the app itself, no other origin
    assert src.path.startswith("/voila/files/wanvace-results/")
    assert (folder / unquote(src.path.removeprefix("/voila/files/"))).is_file()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app.png"))
