"""The studio and its history as a user meets them, in JupyterLab and in Notebook 7
(Chromium): a new studio within its budget of widget models and saved state, a tab built
when it is first clicked, the history after a kernel restart (the job listed again and
played), and the static copy of the finished jobs in a reopened notebook (widget state
saving off) and in nbconvert's HTML export."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import nbformat

import wanvace_widgets as wv
from tests.browser.conftest import ARTIFACTS, browser_page
from tests.browser.notebook import KERNEL_READY, error_outputs, open_and_run, wait_for
from tests.browser.test_widgets_browser import (
    SETUP,
    click_generate_and_play,
    play_result,
    played_well,
)

#: issue #12: a new studio is at most this many widget models and bytes of saved state
MODEL_BUDGET = 300
STATE_BUDGET = 150_000
PROMPT = "Hills <wide> & far"
STUDIO = (
    f"print(wv.__file__)\n"
    "studio = wv.VaceStudio()\n"
    'studio.select("video_outpainting").set_request(wv.VideoOutpainting('
    f'prompt="{PROMPT}", video=media["source"], left_scale=1.4))\n'
    "studio"
)
OUTPAINTING = ".wanvace-video_outpainting"
DONE_ROW = ".wanvace-jobs .wj-row[data-status='SUCCEEDED']"


def widget_state_saving(server, on: bool) -> None:
    """Turn the widget manager's "save widget state" on or off, as the settings editor
    does (Notebook 7 keeps its settings apart from the folder the Lab is given); a page
    reads it when it opens."""
    answer = httpx.put(
        f"{server.base}/lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin",
        params={"token": server.token},
        json={"raw": json.dumps({"saveState": on})},
    )
    assert answer.status_code == 204, answer.text


def run_studio(page, server, name: str, cell: str = STUDIO) -> None:
    server.write_notebook(name, SETUP, cell)
    open_and_run(page, server, name)
    page.locator(".wanvace-studio .wanvace-jobs").wait_for()
    page.get_by_text(wv.__file__).wait_for()  # the kernel runs this checkout's code


def save(page, path: Path) -> dict:
    """Save as the user does (the front end's save command); the saved notebook."""
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    wait_for(
        page,
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
        "the notebook was not saved",
    )
    return nbformat.reads(path.read_text(), as_version=4)


def restart_kernel(page) -> None:
    """Restart through the front end (Kernel > Restart Kernel…, then Restart)."""
    page.evaluate(
        """() => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        window.__restarted = false;
        kernel.statusChanged.connect((_, status) => {
            if (status === "restarting" || status === "autorestarting") window.__restarted = true;
        });
        window.jupyterapp.commands.execute("kernelmenu:restart");
    }"""
    )
    page.locator(".jp-Dialog .jp-mod-accept").click()
    wait_for(page, f"() => window.__restarted && ({KERNEL_READY})()", "the kernel did not restart")


def test_a_new_studio_stays_within_its_budget_and_builds_a_tab_when_clicked(page, server):
    widget_state_saving(server, True)
    run_studio(page, server, "budget.ipynb", "print(wv.__file__)\nwv.VaceStudio()")
    saved = save(page, server.root / "budget.ipynb")
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    measured = {"models": len(state), "bytes": len(json.dumps(state))}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"studio-budget-{server.app}.json").write_text(json.dumps(measured))
    assert measured["models"] <= MODEL_BUDGET and measured["bytes"] <= STATE_BUDGET, measured
    page.locator(".wanvace-studio [role=tab]", has_text="Video edit").click()
    page.locator(".wanvace-video_edit .wanvace-generate").wait_for(state="visible")
    assert error_outputs(page) == []


def test_history_survives_a_kernel_restart(page, server):
    run_studio(page, server, "restart.ipynb")
    assert played_well(click_generate_and_play(page, OUTPAINTING))
    page.locator(DONE_ROW).wait_for()
    restart_kernel(page)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    row = page.locator(DONE_ROW, has_text=PROMPT)
    row.wait_for()
    row.locator("button[data-action='play']").click()  # answered by the new kernel
    played = play_result(page, ".wanvace-history")
    assert played_well(played), played
    assert page.locator(".wanvace-jobs .wj-row").count() == 1
    assert error_outputs(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".wanvace-studio").screenshot(path=str(ARTIFACTS / f"studio-{server.app}.png"))


def test_a_reopened_notebook_and_its_html_export_show_the_finished_job(
    page, server, browser, tmp_path
):
    widget_state_saving(server, False)  # JupyterLab's default
    run_studio(page, server, "export.ipynb")
    click_generate_and_play(page, OUTPAINTING)
    copy = ".wanvace-static-summary"
    wait_for(
        page,
        f'() => !!document.querySelector("{copy} img")',
        "the static copy did not get the finished job",
    )
    assert not page.locator(copy).is_visible()  # hidden while the live studio shows
    saved = save(page, server.root / "export.ipynb")
    assert "widgets" not in saved["metadata"]
    html_outputs = [
        o["data"]["text/html"]
        for o in saved["cells"][1]["outputs"]
        if "text/html" in o.get("data", {})
    ]
    assert len(html_outputs) == 1 and "SUCCEEDED" in html_outputs[0]

    shutil.copy(server.root / "export.ipynb", server.root / "reopened.ipynb")
    with browser_page(browser) as reopened:  # a new kernel: no widget models, no saved state
        reopened.goto(server.url("reopened.ipynb"))
        wait_for(reopened, KERNEL_READY, "the reopened notebook's kernel was not ready")
        shows_job(reopened)

    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "export.ipynb",
         "--output-dir", str(tmp_path)],
        cwd=server.root, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    exported = tmp_path / "export.html"
    text = exported.read_text()
    assert "Hills &lt;wide&gt; &amp; far" in text and PROMPT not in text
    with browser_page(browser) as offline:
        offline.route("http*://**", lambda route: route.abort())  # the export alone, offline
        offline.goto(exported.as_uri())
        shows_job(offline)
        ARTIFACTS.mkdir(exist_ok=True)
        offline.locator(copy).screenshot(path=str(ARTIFACTS / f"export-{server.app}.png"))


def shows_job(page) -> None:
    """The static copy is on screen: the finished job's poster, prompt, status and path
    (JupyterLab may also reopen the first notebook, whose live studio hides its copy)."""
    copy = page.locator(".wanvace-static-summary >> visible=true")
    copy.wait_for()
    text = copy.inner_text()
    assert PROMPT in text and "SUCCEEDED" in text and "wanvace-results/" in text
    poster = copy.locator("img")
    wait_for(
        page,
        "img => img.complete && img.naturalWidth > 0",
        "the poster did not load",
        arg=poster.element_handle(),
    )
