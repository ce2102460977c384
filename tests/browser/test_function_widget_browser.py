"""One function widget as a user meets it, in JupyterLab and in Notebook 7 (Chromium),
against an emulator served over loopback by the test itself, so that its submits can be
counted: a double-click makes one job; prompt, Generate, status and result are on screen
together at 1,400×900; nothing is clipped at 1,100 px with the side panel open; every
problem is shown at once beside its control, with the price, valid or not; an HTML export
of the saved notebook shows the job; a view whose kernel restarted says how to resume,
and re-running the cell picks the job up with its true elapsed time."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.browser.conftest import ARTIFACTS, browser_page, require_chromium, running_jupyter
from tests.browser.notebook import KERNEL_READY, error_outputs, open_and_run, wait_for
from tests.browser.test_widgets_browser import click_generate_and_play, play_result, played_well
from wanvace_widgets.emulator import EmulatorConfig, EmulatorServer

SETUP = """import wanvace_widgets as wv
from wanvace_widgets.samples import write_samples
media = write_samples("media")
client = wv.VaceClient("browser-key", base_url={url!r}, backend_label="offline emulator: test",
                       results_dir="wanvace-results", poll=wv.PollPolicy(first_delay=0.2, max_delay=0.5))"""
EDIT = ".wanvace-video_edit"
EDIT_CELL = (
    "wv.VideoEditWidget(client=client, request=wv.VideoEdit(prompt='A knight.', "
    "video=media['source'], mask_image=media['mask']))"
)


@pytest.fixture
def emulator():
    with EmulatorServer(EmulatorConfig(pending_s=0.5, running_s=1.5)) as server:
        yield server


@pytest.fixture(params=["lab", "notebook"])
def app(request):
    return request.param


def status_text(page, widget: str) -> str:
    return page.locator(f"{widget} .wanvace-status").inner_text()


def test_a_double_click_makes_one_job(browser, tmp_path_factory, emulator, app):
    require_chromium()
    with running_jupyter(tmp_path_factory.mktemp(app), app) as jupyter:
        with browser_page(browser) as page:
            jupyter.write_notebook("double.ipynb", SETUP.format(url=emulator.base_url), EDIT_CELL)
            open_and_run(page, jupyter, "double.ipynb")
            generate = page.locator(f"{EDIT} .wanvace-generate")
            wait_for(
                page,
                f"!document.querySelector('{EDIT} .wanvace-generate')?.disabled",
                "no Generate",
            )
            # the button is off the moment it is clicked, before the kernel hears of it
            assert generate.evaluate("b => { b.click(); return b.disabled; }")
            generate.dblclick(force=True)  # and more clicks on it go nowhere
            generate.click(force=True)
            wait_for(
                page,
                f"document.querySelector('{EDIT} .wanvace-status')?.innerText.includes('SUCCEEDED')",
                "the job did not succeed",
            )
            assert played_well(play_result(page, EDIT)), status_text(page, EDIT)
            assert len(emulator.emulator.tasks.tasks) == 1  # what the server saw: one submit
            assert not generate.is_disabled()  # and Generate is back for a deliberate next job
            assert error_outputs(page) == []


#: where a user looks: the prompt, Generate, the status, the result
ON_SCREEN = {
    "prompt": f"{EDIT} textarea",
    "Generate": f"{EDIT} .wanvace-generate",
    "status": f"{EDIT} .wanvace-status .wanvace-stage",
    "result": f"{EDIT} video.wanvace-result",
}
#: true when the element is wholly inside the viewport and nothing covers its top, middle
#: and bottom (a status bar, a toast)
VISIBLE = """el => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth)
        return false;
    const x = r.left + r.width / 2;
    return [r.top + 2, r.top + r.height / 2, r.bottom - 2].every(
        y => el.contains(document.elementFromPoint(x, y)));
}"""


def test_prompt_generate_status_and_result_are_on_screen_together(
    browser, tmp_path_factory, emulator
):
    """At 1,400×900 (JupyterLab with its file browser open) the widget's two columns put
    the outcome beside the form: scrolled to the widget, all four are visible at once."""
    require_chromium()
    with running_jupyter(tmp_path_factory.mktemp("lab")) as lab:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(120_000)
        page = context.new_page()
        lab.write_notebook("screen.ipynb", SETUP.format(url=emulator.base_url), EDIT_CELL)
        open_and_run(page, lab, "screen.ipynb")
        assert page.evaluate("!window.jupyterapp.shell.leftCollapsed")  # the side panel is open
        played = click_generate_and_play(page, EDIT)
        assert played_well(played), played
        page.locator(EDIT).evaluate("el => el.scrollIntoView()")
        boxes = {name: page.locator(selector).first for name, selector in ON_SCREEN.items()}
        hidden = [name for name, box in boxes.items() if not box.evaluate(VISIBLE)]
        assert hidden == [], {n: b.bounding_box() for n, b in boxes.items()}
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "video_edit_1400x900.png"))
        context.close()


#: every element of the widget that is cut (a label ending in "…") or reaches past the
#: widget's right edge
OVERFLOWS = """root => {
    const edge = root.getBoundingClientRect().right + 1;
    const bad = [];
    for (const el of root.querySelectorAll("*")) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || el.closest("video, canvas, svg")) continue;
        const style = getComputedStyle(el);
        const cut = style.textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth + 1;
        if (cut || r.right > edge)
            bad.push(`${el.tagName}.${el.className}: ${(el.innerText || "").slice(0, 40)}`);
    }
    return bad;
}"""


@pytest.mark.parametrize("function", ["video_edit", "image_reference"])
def test_nothing_is_clipped_at_1100_px_with_the_side_panel_open(
    browser, tmp_path_factory, emulator, app, function
):
    require_chromium()
    widget = f".wanvace-{function}"
    cells = {
        "video_edit": EDIT_CELL,
        "image_reference": "wv.ImageReferenceWidget(client=client)",  # the empty form
    }
    with running_jupyter(tmp_path_factory.mktemp(app), app) as jupyter:
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        context.set_default_timeout(120_000)
        page = context.new_page()
        jupyter.write_notebook("narrow.ipynb", SETUP.format(url=emulator.base_url), cells[function])
        open_and_run(page, jupyter, "narrow.ipynb")
        if app == "lab":
            assert page.evaluate("!window.jupyterapp.shell.leftCollapsed")
        page.locator(f"{widget} .wanvace-generate").wait_for()
        wait_for(page, f"!!document.querySelector('{widget} .wanvace-price')", "no price line")
        columns = page.locator(f"{widget} .wanvace-columns")
        assert columns.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
        assert page.locator(widget).evaluate(OVERFLOWS) == []
        text = page.locator(widget).inner_text()
        assert "watermark (" not in text and "Uploa…" not in text
        assert not re.search(r"[\u4e00-\u9fff]", text)  # no CJK: boxes without CJK fonts
        context.close()


def test_every_problem_is_shown_at_once_beside_its_control_with_the_price(
    browser, tmp_path_factory, emulator, app
):
    require_chromium()
    refs = ".wanvace-image_reference"
    with running_jupyter(tmp_path_factory.mktemp(app), app) as jupyter:
        with browser_page(browser) as page:
            jupyter.write_notebook(
                "problems.ipynb",
                SETUP.format(url=emulator.base_url),
                "wv.ImageReferenceWidget(client=client, request=wv.ImageReference(prompt='A walk.', "
                "ref_images=[media['subject'], media['background']], obj_or_bg=['obj', 'bg']))",
            )
            open_and_run(page, jupyter, "problems.ipynb")
            wait_for(
                page,
                f"!document.querySelector('{refs} .wanvace-generate')?.disabled",
                "no Generate",
            )
            status = page.locator(f"{refs} .wanvace-status")
            assert "$0.50" in status.inner_text()  # the price of a valid form
            page.locator(f"{refs} textarea").fill("")
            page.locator(f"{refs} input[placeholder=random]").fill("abc")
            page.locator(f"{refs} select").first.select_option("bg")  # image 1 is: bg, like 2
            wait_for(
                page,
                f"document.querySelectorAll('{refs} .wanvace-error').length >= 3",
                "the three problems were not shown",
            )
            errors = page.locator(f"{refs} .wanvace-error")
            texts = errors.all_inner_texts()
            assert any("describe the video" in t for t in texts), texts
            assert any("whole number" in t for t in texts), texts
            assert any("at most one 'bg'" in t for t in texts), texts
            assert not any("obj_or_bg" in t or "ref_images" in t for t in texts), texts
            # each beside its control: just under the prompt, the seed, the first dropdown
            for control, words in (
                (f"{refs} textarea", "describe the video"),
                (f"{refs} input[placeholder=random]", "whole number"),
                (f"{refs} select", "at most one"),
            ):
                below = page.locator(control).first.bounding_box()
                error = page.locator(f"{refs} .wanvace-error", has_text=words).first.bounding_box()
                assert 0 <= error["y"] - (below["y"] + below["height"]) < 40, (words, below, error)
            assert page.locator(f"{refs} .wanvace-generate").is_disabled()
            assert "Not ready" in status.inner_text() and "Ready:" not in status.inner_text()
            assert "$0.50" in status.inner_text()  # the price of an invalid form
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator(refs).screenshot(path=str(ARTIFACTS / f"problems_{app}.png"))


def test_an_html_export_of_the_saved_notebook_shows_the_job(browser, tmp_path_factory, emulator):
    """With widget state saving off (the front ends' default) the saved notebook cannot
    show the widget; its static summary shows the job instead, reopened and exported."""
    require_chromium()
    base = tmp_path_factory.mktemp("lab")
    with running_jupyter(base, save_widget_state=False) as lab, browser_page(browser) as page:
        lab.write_notebook("export.ipynb", SETUP.format(url=emulator.base_url), EDIT_CELL)
        open_and_run(page, lab, "export.ipynb")
        page.locator(f"{EDIT} .wanvace-generate").wait_for()
        assert page.locator(".wanvace-summary").count() == 1
        assert not page.locator(".wanvace-summary").is_visible()  # the live widget is here
        click_generate_and_play(page, EDIT)
        path = page.locator(f"{EDIT} .wanvace-player code").inner_text()
        wait_for(
            page,
            "document.querySelector('.wanvace-summary')?.textContent.includes('SUCCEEDED')",
            "the summary was not updated",
        )
        page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
        wait_for(
            page,
            "() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
            "JupyterLab did not save the notebook",
        )
        saved = lab.root / "export.ipynb"
        assert '"widgets"' not in saved.read_text()  # no widget state: the default
        html = lab.root / "export.html"
        subprocess.run(
            [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(saved)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        page.goto(html.as_uri())
        summary = page.locator(".wanvace-summary")
        assert summary.is_visible()
        assert "SUCCEEDED" in summary.inner_text() and path in summary.inner_text()
        assert "A knight." in summary.inner_text()
        poster = summary.locator("img")
        assert poster.evaluate("img => img.complete && img.naturalWidth > 100")
        ARTIFACTS.mkdir(exist_ok=True)
        summary.screenshot(path=str(ARTIFACTS / "exported_summary.png"))
        page.goto(lab.url("export.ipynb"))  # reopened: the summary instead of the widget
        wait_for(page, KERNEL_READY, "the kernel was not connected and idle")
        page.locator(".wanvace-summary").wait_for(state="visible")
        assert path in page.locator(".wanvace-summary").inner_text()


def elapsed_seconds(status: str) -> int:
    """The elapsed time the status shows ("1 min 05 s since submit" → 65)."""
    match = re.search(r"(?:(\d+) min )?(\d+) s since submit", status)
    assert match, status
    return int(match[1] or 0) * 60 + int(match[2])


def test_a_restarted_kernels_view_says_how_to_resume_and_a_rerun_resumes(
    browser, tmp_path_factory, app
):
    require_chromium()
    with (
        EmulatorServer(EmulatorConfig(pending_s=0.5, running_s=120)) as emulator,
        running_jupyter(tmp_path_factory.mktemp(app), app) as jupyter,
        browser_page(browser) as page,
    ):
        jupyter.write_notebook("restart.ipynb", SETUP.format(url=emulator.base_url), EDIT_CELL)
        open_and_run(page, jupyter, "restart.ipynb")
        wait_for(
            page, f"!document.querySelector('{EDIT} .wanvace-generate')?.disabled", "no Generate"
        )
        page.locator(f"{EDIT} .wanvace-generate").click()
        wait_for(
            page,
            f"/RUNNING.*since submit/.test(document.querySelector('{EDIT} .wanvace-status')?.innerText)",
            "the job did not run",
        )
        (task_id,) = emulator.emulator.tasks.tasks
        gone = page.locator(f"{EDIT} .wanvace-kernel-gone")
        assert not gone.is_visible()
        page.evaluate(
            "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()"
        )
        gone.wait_for(state="visible")
        assert task_id in gone.inner_text() and "Re-run this cell" in gone.inner_text()
        shown = status_text(page, EDIT)
        before = elapsed_seconds(shown)
        request_id = re.search(r"request (\S+)", shown)[1]
        wait_for(page, KERNEL_READY, "the kernel did not come back")
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        wait_for(
            page,
            f"document.querySelector('{EDIT} .wanvace-status')?.innerText.includes({task_id!r})"
            f" && !document.querySelector('{EDIT} .jupyter-widgets-disconnected')",
            "the re-run cell did not pick the job up",
        )
        status = status_text(page, EDIT)
        assert "RUNNING" in status and elapsed_seconds(status) >= before  # not from 0
        assert request_id in status  # the submit's request id, from the journal
        assert len(emulator.emulator.tasks.tasks) == 1
        assert error_outputs(page) == []
