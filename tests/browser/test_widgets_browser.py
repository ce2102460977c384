"""The product as a user meets it: JupyterLab in Chromium, a real click on Generate,
the result video loading and playing inline, with no further cell run."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from tests.browser.conftest import ARTIFACTS
from tests.browser.notebook import error_outputs, open_and_run, wait_for

SETUP = """import wanvace_widgets as wv
from wanvace_widgets.media.samples import write_samples
media = write_samples("media")"""

REQUESTS = {
    "image_reference": 'wv.ImageReferenceWidget(request=wv.ImageReference(prompt="A walk on the hills.", '
    'ref_images=[media["subject"], media["background"]], obj_or_bg=["obj", "bg"], size="960*960"))',
    "video_repainting": 'wv.VideoRepaintingWidget(request=wv.VideoRepainting(prompt="Line art.", '
    'video=media["source"], control_condition="scribble"))',
    "video_edit": 'wv.VideoEditWidget(request=wv.VideoEdit(prompt="A knight.", video=media["source"], '
    'mask_image=media["mask"]))',
    "video_extension": 'wv.VideoExtensionWidget(request=wv.VideoExtension(prompt="Walking on.", '
    'first_clip=media["first_clip"], last_clip=media["last_clip"]))',
    "video_outpainting": 'wv.VideoOutpaintingWidget(request=wv.VideoOutpainting(prompt="Wide hills.", '
    'video=media["source"], left_scale=1.5, right_scale=1.5))',
}


def click_generate_and_play(page, widget_selector: str, timeout_ms: int = 120_000) -> dict:
    click_generate(page, widget_selector, timeout_ms)
    wait_for_success(page, widget_selector, timeout_ms)
    return play_result(page, widget_selector, timeout_ms)


def click_generate(page, widget_selector: str, timeout_ms: int = 120_000) -> None:
    """A real click on Generate once it is enabled; no further cell is run from here on."""
    generate = f"document.querySelector('{widget_selector} .wanvace-generate')"
    wait_for(
        page,
        f"{generate}?.disabled === false",
        f"{widget_selector}: no enabled Generate",
        timeout_ms,
    )
    page.locator(f"{widget_selector} .wanvace-generate").click()


def wait_for_success(page, widget_selector: str, timeout_ms: int = 180_000) -> None:
    status = f"document.querySelector('{widget_selector} .wanvace-status')"
    wait_for(
        page,
        # textContent: JupyterLab leaves a cell scrolled out of view unrendered, where
        # innerText is empty
        f"{status}?.textContent.includes('SUCCEEDED')",
        f"{widget_selector}: no SUCCEEDED",
        timeout_ms,
    )


def play_result(page, widget_selector: str, timeout_ms: int = 120_000) -> dict:
    """What a user does: wait for the result's player, press play (muted), let it run.
    Waits only for the metadata first: with preload='metadata' Chromium may hold back the
    first frame (readyState 2) until playback starts."""
    video = page.locator(f"{widget_selector} video.wanvace-result")
    video.wait_for(timeout=timeout_ms)
    page.wait_for_function(
        f"(v => v && v.readyState >= 1 && v.duration > 0)"
        f"(document.querySelector('{widget_selector} video.wanvace-result'))",
        timeout=timeout_ms,
    )
    return video.evaluate(
        """async v => {
            v.muted = true; const start = v.currentTime;
            const wait = ms => new Promise(r => setTimeout(r, ms));
            await Promise.race([v.play(), wait(5000)]); await wait(700); v.pause();
            return {readyState: v.readyState, duration: v.duration, width: v.videoWidth,
                    start, end: v.currentTime, error: v.error && v.error.code, src: v.currentSrc};
        }"""
    )


def played_well(played: dict) -> bool:
    return (
        played["error"] is None
        and played["readyState"] >= 2
        and played["duration"] > 0
        and played["end"] > played["start"]
    )


def test_each_widget_plays_its_result_inline(page, lab):
    """All five widgets in one notebook (one kernel start): five real clicks, five jobs
    running at once, five results playing from the Jupyter server itself."""
    lab.write_notebook("widgets.ipynb", SETUP, *REQUESTS.values())
    open_and_run(page, lab, "widgets.ipynb")
    for function in REQUESTS:
        click_generate(page, f".wanvace-{function}")
    ARTIFACTS.mkdir(exist_ok=True)
    for function in REQUESTS:
        widget = f".wanvace-{function}"
        wait_for_success(page, widget)
        played = play_result(page, widget)
        assert played_well(played), (function, played)
        assert urlsplit(played["src"]).netloc == f"127.0.0.1:{lab.port}"  # served by Jupyter
        page.locator(widget).screenshot(path=str(ARTIFACTS / f"{function}.png"))
    assert error_outputs(page) == []


def test_studio_plays_with_every_other_origin_blocked(page, lab):
    blocked = []

    def only_jupyter(route):
        if urlsplit(route.request.url).netloc == f"127.0.0.1:{lab.port}":
            return route.continue_()
        blocked.append(route.request.url)
        return route.abort()

    page.route("**/*", only_jupyter)
    lab.write_notebook(
        "studio.ipynb",
        SETUP,
        "studio = wv.VaceStudio()\n"
        'studio.select("video_outpainting").set_request(wv.VideoOutpainting('
        'prompt="Wide.", video=media["source"], left_scale=1.4))\nstudio',
    )
    open_and_run(page, lab, "studio.ipynb")
    played = click_generate_and_play(page, ".wanvace-video_outpainting")
    assert played_well(played), played
    assert error_outputs(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "studio.png"))


def test_saved_notebook_holds_no_key_and_stays_small(page, lab):
    secret = "sk-browser-secret-5550123456789"
    (lab.root / "key.txt").write_text(secret)  # as a user keeps a key: outside the notebook
    lab.write_notebook(
        "secret.ipynb",
        SETUP,
        "import httpx\nfrom wanvace_widgets.emulator import create_app\n"
        "client = wv.VaceClient(open('key.txt').read(), base_url='http://emulator.local', "
        "transport=httpx.ASGITransport(app=create_app()), results_dir='wanvace-results', "
        "poll=wv.PollPolicy(first_delay=0.2, max_delay=0.5))\n"
        "wv.VideoEditWidget(client=client, request=wv.VideoEdit(prompt='A knight.', "
        "video=media['source'], mask_image=media['mask']))",
    )
    open_and_run(page, lab, "secret.ipynb")
    click_generate_and_play(page, ".wanvace-video_edit")
    before = (lab.root / "secret.ipynb").stat().st_mtime_ns
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    wait_for(
        page,
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
        "JupyterLab did not save the notebook",
    )
    assert (lab.root / "secret.ipynb").stat().st_mtime_ns != before
    saved = (lab.root / "secret.ipynb").read_text()
    assert json.loads(saved)["metadata"].get("widgets"), "widget state was not saved"
    assert secret not in saved
    assert len(saved.encode()) < 300_000


def test_quickstart_shows_the_studio_and_plays_a_generated_video(page, lab):
    import shutil

    from tests.browser.conftest import ROOT

    shutil.copy(ROOT / "notebooks" / "quickstart.ipynb", lab.root / "quickstart.ipynb")
    open_and_run(page, lab, "quickstart.ipynb")
    page.locator(".wanvace-studio").wait_for()
    played = play_result(page, ".wanvace-video_outpainting", timeout_ms=180_000)
    assert played_well(played), played
    assert error_outputs(page) == []
    page.screenshot(path=str(ARTIFACTS / "quickstart.png"))
