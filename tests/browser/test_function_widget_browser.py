"""One function widget as a user meets it, in JupyterLab and in Notebook 7 (Chromium),
against an emulator served over loopback by the test itself, so that its submits can be
counted: a double-click makes one job; prompt, Generate, status and result are on screen
together at 1,400×900; nothing is clipped at 1,100 px with the side panel open; every
problem is shown at once beside its control, with the price, valid or not; an HTML export
of the saved notebook shows the job; a view whose kernel restarted says how to resume,
and re-running the cell picks the job up with its true elapsed time.

To stay cheap, each front end starts once for the module and one notebook (a video edit
and an image reference widget) serves every check but the restart, which needs a kernel
of its own. Each check stands alone: one that needs a result makes it if none is there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.browser.conftest import ARTIFACTS, require_chromium, running_jupyter
from tests.browser.notebook import KERNEL_READY, error_outputs, open_and_run, wait_for
from tests.browser.on_screen import why_hidden
from tests.browser.test_widgets_browser import (
    click_generate,
    play_result,
    played_well,
    wait_for_success,
)
from wanvace_widgets.emulator import EmulatorConfig, EmulatorServer

SETUP = """import wanvace_widgets as wv
from wanvace_widgets.media.samples import write_samples
media = write_samples("media")
client = wv.VaceClient("browser-key", base_url={url!r}, backend_label="offline emulator: test",
                       results_dir="wanvace-results", poll=wv.PollPolicy(first_delay=0.2, max_delay=0.5))"""
EDIT, REFS = ".wanvace-video_edit", ".wanvace-image_reference"
EDIT_CELL = (
    "wv.VideoEditWidget(client=client, request=wv.VideoEdit(prompt='A knight.', "
    "video=media['source'], mask_image=media['mask']))"
)
REFS_CELL = (
    "wv.ImageReferenceWidget(client=client, request=wv.ImageReference(prompt='A walk.', "
    "ref_images=[media['subject'], media['background']], obj_or_bg=['obj', 'bg']))"
)
#: the restart's own widget: JupyterLab reopens the module's notebook beside it, so the
#: restart notebook holds a widget of another kind
WIDE = ".wanvace-video_outpainting"
WIDE_CELL = (
    "wv.VideoOutpaintingWidget(client=client, request=wv.VideoOutpainting(prompt='Wide.', "
    "video=media['source'], right_scale=1.4))"
)
NOTEBOOK = "widgets.ipynb"
#: the page's usual size: narrow, and tall enough for both widgets
NARROW = {"width": 1100, "height": 2400}


@pytest.fixture(scope="module")
def emulator():
    with EmulatorServer(EmulatorConfig(pending_s=0.5, running_s=1.5)) as server:
        yield server


@pytest.fixture(scope="module", params=["lab", "notebook"])
def front(request, tmp_path_factory, emulator):
    """JupyterLab, then Notebook 7, with widget state saving off (their default), holding
    the module's notebook."""
    require_chromium()
    app = request.param
    with running_jupyter(tmp_path_factory.mktemp(app), app, save_widget_state=False) as jupyter:
        jupyter.write_notebook(NOTEBOOK, SETUP.format(url=emulator.base_url), EDIT_CELL, REFS_CELL)
        yield jupyter


@pytest.fixture(scope="module")
def page(browser, front):
    """The module's notebook, opened and run once; both forms ready to generate."""
    context = browser.new_context(viewport=NARROW)
    context.set_default_timeout(60_000)
    page = context.new_page()
    open_and_run(page, front, NOTEBOOK)
    for widget in (EDIT, REFS):
        wait_for(page, generate_enabled(widget), f"{widget}: Generate never became enabled")
    yield page
    context.close()


@pytest.fixture
def viewport(page):
    """Set the page's viewport for one test; the usual size is back afterwards."""
    yield page.set_viewport_size
    page.set_viewport_size(NARROW)


def generate_enabled(widget: str) -> str:
    return f"document.querySelector('{widget} .wanvace-generate')?.disabled === false"


def status_includes(widget: str, text: str) -> str:
    return f"document.querySelector('{widget} .wanvace-status')?.innerText.includes({text!r})"


def status_text(page, widget: str) -> str:
    return page.locator(f"{widget} .wanvace-status").inner_text()


def ensure_result(page, widget: str) -> None:
    """A played result in ``widget``: the one there, else a new job's."""
    if not page.locator(f"{widget} video.wanvace-result").count():
        click_generate(page, widget)
        wait_for_success(page, widget)
    played = play_result(page, widget)
    assert played_well(played), (played, status_text(page, widget))


def test_a_double_click_makes_one_job(page, emulator):
    """The button is off the moment it is clicked, before the kernel hears of it; the
    emulator (what the server saw) counts one submit."""
    before = len(emulator.emulator.tasks.tasks)
    generate = page.locator(f"{EDIT} .wanvace-generate")
    wait_for(page, generate_enabled(EDIT), "Generate is not enabled")
    assert generate.evaluate("b => { b.click(); return b.disabled; }")
    generate.dblclick(force=True)  # and more clicks on it go nowhere
    generate.click(force=True)
    wait_for(page, status_includes(EDIT, "SUCCEEDED"), "the job did not succeed")
    assert len(emulator.emulator.tasks.tasks) == before + 1
    wait_for(page, generate_enabled(EDIT), "Generate did not come back for a deliberate next job")
    assert error_outputs(page) == []


#: what a Notebook 7 user does for a tall output: Cell ▸ "Disable Scrolling for Outputs"
#: on the widget's cell; the number of outputs still scrolled
NO_OUTPUT_SCROLLING = """async () => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    notebook.activeCellIndex = 1;
    await window.jupyterapp.commands.execute("notebook:disable-output-scrolling");
    return document.querySelectorAll(".jp-mod-outputsScrolled").length;
}"""
#: where a user looks: the prompt, Generate, the status, the result
ON_SCREEN = {
    "prompt": f"{EDIT} textarea",
    "Generate": f"{EDIT} .wanvace-generate",
    "status": f"{EDIT} .wanvace-status .wanvace-stage",
    "result": f"{EDIT} video.wanvace-result",
}


#: an element's notebook scroll box: its nearest ancestor that scrolls vertically
SCROLLER = """el => {
    const scrolls = node => /auto|scroll/.test(getComputedStyle(node).overflowY)
        && node.scrollHeight > node.clientHeight;
    let node = el.parentElement;
    while (node && !scrolls(node)) node = node.parentElement;
    return node;
}"""


def show_widget_at_1400x900(page, front, viewport) -> None:
    """The video edit widget scrolled into view at 1,400×900, JupyterLab's side panel open,
    Notebook 7's output scrolling off for its cell."""
    viewport({"width": 1400, "height": 900})
    if front.app == "notebook":
        scrolled = page.evaluate(NO_OUTPUT_SCROLLING)
        assert scrolled == 0, "the widget's output is still in a scroll box"
    wait_for(  # the front end lays itself out again on the next frames
        page,
        f"el => innerHeight === 900 && ({SCROLLER})(el).getBoundingClientRect().bottom > 800",
        "the notebook did not take the window's height",
        arg=page.locator(EDIT).element_handle(),
    )
    if front.app == "lab":
        assert page.evaluate("!window.jupyterapp.shell.leftCollapsed")  # the side panel is open
    page.locator(EDIT).evaluate("el => el.scrollIntoView()")


def test_prompt_generate_status_and_result_are_on_screen_together(page, front, viewport):
    """At 1,400×900 (JupyterLab with its file browser open) the outcome is beside the form:
    scrolled to the widget, all four are visible at once. Notebook 7 puts a tall output in
    a scroll box of its own; a user turns that off for the cell (as docs/widgets.md says)."""
    ensure_result(page, EDIT)
    show_widget_at_1400x900(page, front, viewport)
    widget = page.locator(EDIT)
    boxes = {name: page.locator(selector).first for name, selector in ON_SCREEN.items()}
    hidden = {name: why for name, box in boxes.items() if (why := why_hidden(box))}
    measured = {"widget": widget.bounding_box()} | {n: b.bounding_box() for n, b in boxes.items()}
    scrolled = page.locator(".jp-mod-outputsScrolled").count()
    assert hidden == {}, (json.dumps(measured), f"{scrolled} outputs scrolled")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"bboxes_1400x900_{front.app}.json").write_text(json.dumps(measured, indent=1))
    page.screenshot(path=str(ARTIFACTS / f"video_edit_1400x900_{front.app}.png"))
    widget.screenshot(path=str(ARTIFACTS / f"video_edit_{front.app}.png"))


def shorter_window(page, viewport, past: float) -> Callable[[], None]:
    """Make the window shorter, so that the notebook's visible area ends ``past`` px above
    the result's bottom edge (what is below it: JupyterLab's status bar, or the window's
    edge)."""
    result = page.locator(ON_SCREEN["result"]).first.element_handle()
    room = result.evaluate(
        f"el => ({SCROLLER})(el).getBoundingClientRect().bottom - el.getBoundingClientRect().bottom"
    )
    viewport({"width": 1400, "height": round(900 - room - past)})
    wait_for(  # the front end lays itself out again on the next frames
        page,
        f"""el => {{ const box = ({SCROLLER})(el).getBoundingClientRect();
        return box.bottom <= el.getBoundingClientRect().bottom - {past} + 1; }}""",
        "the notebook did not shrink with the window",
        arg=result,
    )
    return lambda: None  # the next check sets the window's size again


def under_the_toolbar(page, viewport) -> Callable[[], None]:
    """Scroll the notebook so that the result's top 12 px are under the toolbar above it."""
    page.locator(ON_SCREEN["result"]).first.evaluate(
        f"""el => {{ const scroller = ({SCROLLER})(el);
        scroller.scrollTop += el.getBoundingClientRect().top
            - scroller.getBoundingClientRect().top + 12; }}"""
    )
    return lambda: None  # the next check scrolls the widget into view again


def toast_over_it(page, viewport) -> Callable[[], None]:
    """A real notification of the front end, its toast moved over the result's middle."""
    notification = page.evaluate(
        """() => window.jupyterapp.commands.execute("apputils:notify", {
            message: "Covering the result on purpose", type: "info",
            options: {autoClose: false}})"""
    )
    toast = page.locator(".jp-toastContainer")
    toast.wait_for(state="visible", timeout=30_000)
    style = toast.evaluate(
        """(el, r) => { const before = el.style.cssText;
        Object.assign(el.style, {position: "fixed", top: `${r.y + r.height / 3}px`,
            left: `${r.x + r.width / 3}px`, bottom: "auto", right: "auto", transform: "none"});
        return before; }""",
        page.locator(ON_SCREEN["result"]).first.bounding_box(),
    )

    def undo() -> None:
        page.evaluate(
            """id => window.jupyterapp.commands.execute("apputils:dismiss-notification", {id})""",
            notification,
        )
        toast.evaluate("(el, style) => { el.style.cssText = style; }", style)
        wait_for(page, "!document.querySelector('.Toastify__toast')", "the toast stayed")

    return undo


def next_cell_over_it(page, viewport) -> Callable[[], None]:
    """The cell after the widget's drawn over the result (moved up, on top)."""
    result = page.locator(ON_SCREEN["result"]).first
    style = result.evaluate(
        """el => { const next = el.closest(".jp-Cell").nextElementSibling;
        const before = next.style.cssText;
        Object.assign(next.style, {position: "relative", zIndex: 10,
            background: "var(--jp-layout-color0)",
            transform: `translateY(${el.getBoundingClientRect().top
                - next.getBoundingClientRect().top}px)`});
        return before; }"""
    )
    return lambda: result.evaluate(
        """(el, style) => { el.closest(".jp-Cell").nextElementSibling.style.cssText = style; }""",
        style,
    )


#: each way a user loses sight of the result, and how the check must say so
COVERS = {
    "a toast over it": (toast_over_it, ("covered by",)),
    "the next cell drawn over it": (next_cell_over_it, ("covered by",)),
    "under the toolbar": (under_the_toolbar, ("clipped by",)),
    "its lower edge under the status bar": (
        lambda page, viewport: shorter_window(page, viewport, past=12),
        ("clipped by", "outside the"),
    ),
    "below the fold": (
        lambda page, viewport: shorter_window(page, viewport, past=300),
        ("clipped by", "outside the"),
    ),
}


def test_the_on_screen_check_fails_when_the_result_is_covered_or_below_the_fold(
    page, front, viewport
):
    """The check above, on the same notebook: it passes, then fails for each cover made on
    purpose, and passes again once the cover is gone. So it cannot pass for a result a user
    cannot see, whatever the browser's hit testing of media does."""
    ensure_result(page, EDIT)
    result = page.locator(ON_SCREEN["result"]).first
    reasons = {}
    for cover, (make, _) in COVERS.items():
        show_widget_at_1400x900(page, front, viewport)
        assert why_hidden(result) == "", f"before {cover}"
        undo = make(page, viewport)
        reasons[cover] = why_hidden(result)
        undo()
    assert all(reasons[c].startswith(COVERS[c][1]) for c in COVERS), json.dumps(reasons, indent=1)
    show_widget_at_1400x900(page, front, viewport)
    assert why_hidden(result) == "", "after the covers"


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


def test_nothing_is_clipped_at_1100_px_with_the_side_panel_open(page, front, viewport):
    viewport({"width": 1100, "height": 900})
    if front.app == "lab":
        assert page.evaluate("!window.jupyterapp.shell.leftCollapsed")
    widths = {}
    for widget in (EDIT, REFS):
        wait_for(page, f"!!document.querySelector('{widget} .wanvace-price')", "no price line")
        columns = page.locator(f"{widget} .wanvace-columns")
        assert columns.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), widget
        assert page.locator(widget).evaluate(OVERFLOWS) == [], widget
        text = page.locator(widget).inner_text()
        assert "watermark (" not in text and "Uploa…" not in text
        assert not re.search(r"[\u4e00-\u9fff]", text)  # no CJK: boxes without CJK fonts
        widths[widget] = page.locator(widget).bounding_box()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"bboxes_1100_{front.app}.json").write_text(json.dumps(widths, indent=1))


def test_every_problem_is_shown_at_once_beside_its_control_with_the_price(page, front):
    wait_for(page, generate_enabled(REFS), "no Generate")
    status = page.locator(f"{REFS} .wanvace-status")
    # the status line is its own widget: its update may reach the page after the button's
    wait_for(page, status_includes(REFS, "$0.50"), "no price for a valid form")
    assert page.locator(f"{REFS} .wanvace-error").all_inner_texts() == []  # none yet
    advanced = page.locator(f"{REFS} .wanvace-disclosure")
    if advanced.get_attribute("aria-expanded") == "false":
        advanced.click()  # the seed is folded under Advanced
    prompt, seed = (
        page.locator(f"{REFS} textarea"),
        page.locator(REFS).get_by_label("seed", exact=True),
    )
    tags = page.locator(f"{REFS} select").first
    prompt.fill("")
    seed.fill("abc")
    tags.select_option("bg")  # image 1 is: bg, like image 2
    wait_for(
        page,
        f"document.querySelectorAll('{REFS} .wanvace-error').length >= 3",
        "the three problems were not shown",
    )
    texts = page.locator(f"{REFS} .wanvace-error").all_inner_texts()
    assert any("describe the video" in t for t in texts), texts
    assert any("whole number" in t for t in texts), texts
    assert any("at most one 'bg'" in t for t in texts), texts
    assert not any("obj_or_bg" in t or "ref_images" in t for t in texts), texts
    # each beside its control: just under the prompt, the seed, the first dropdown
    for control, words in (
        (prompt, "describe the video"),
        (seed, "whole number"),
        (tags, "at most one"),
    ):
        above = control.bounding_box()
        error = page.locator(f"{REFS} .wanvace-error", has_text=words).first.bounding_box()
        assert 0 <= error["y"] - (above["y"] + above["height"]) < 40, (words, above, error)
    wait_for(page, status_includes(REFS, "Not ready"), "the status did not say 'Not ready'")
    wait_for(
        page,
        f"document.querySelector('{REFS} .wanvace-generate')?.disabled === true",
        "Generate stayed enabled on an invalid form",
    )
    assert "Ready:" not in status.inner_text()
    assert "$0.50" in status.inner_text()  # the price of an invalid form
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(REFS).screenshot(path=str(ARTIFACTS / f"problems_{front.app}.png"))
    prompt.fill("A walk.")  # the form as it was, for the checks after this one
    seed.fill("")
    tags.select_option("obj")
    wait_for(page, generate_enabled(REFS), "the mended form was not ready")


def test_an_html_export_of_the_saved_notebook_shows_the_job(page, browser, front):
    """With widget state saving off the saved notebook cannot show the widget; its static
    summary shows the job instead (hidden beside the live widget), exported by nbconvert."""
    ensure_result(page, EDIT)
    path = page.locator(f"{EDIT} .wanvace-player code").inner_text()
    summary = page.locator(f".jp-OutputArea:has({EDIT}) .wanvace-static-summary")
    wait_for(
        page,
        f"document.querySelector('.jp-OutputArea:has({EDIT}) .wanvace-static-summary')"
        "?.textContent.includes('SUCCEEDED')",
        "the summary was not updated",
    )
    assert not summary.is_visible()  # the live widget is here
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    wait_for(
        page,
        "!window.jupyterapp.shell.currentWidget.context.model.dirty",
        "the notebook was not saved",
    )
    saved = front.root / NOTEBOOK
    assert '"application/vnd.jupyter.widget-state+json"' not in saved.read_text()
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(saved)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    context = browser.new_context(viewport=NARROW)
    exported = context.new_page()
    exported.goto(saved.with_suffix(".html").as_uri())
    shown = exported.locator(".wanvace-static-summary", has_text="Video edit")
    assert shown.is_visible()
    text = shown.inner_text()
    assert "SUCCEEDED" in text and path in text and "A knight." in text
    assert shown.locator("img").first.evaluate("img => img.complete && img.naturalWidth > 50")
    ARTIFACTS.mkdir(exist_ok=True)
    shown.screenshot(path=str(ARTIFACTS / f"exported_summary_{front.app}.png"))
    context.close()


def elapsed_seconds(status: str) -> int:
    """The elapsed time the status shows ("1 min 05 s since submit" → 65)."""
    match = re.search(r"(?:(\d+) min )?(\d+) s since submit", status)
    assert match, status
    return int(match[1] or 0) * 60 + int(match[2])


def test_a_restarted_kernels_view_says_how_to_resume_and_a_rerun_resumes(browser, front):
    """A job that runs for minutes; the kernel restarts under it. The view says the job
    goes on and how to pick it up; re-running the cells does, with the true elapsed time
    and the submit's request id (from the journal), and no second submit."""
    with EmulatorServer(EmulatorConfig(pending_s=0.5, running_s=120)) as emulator:
        front.write_notebook("restart.ipynb", SETUP.format(url=emulator.base_url), WIDE_CELL)
        context = browser.new_context(viewport=NARROW)
        page = context.new_page()
        # "reset": JupyterLab opens this notebook alone, not the module's one beside it
        page.goto(front.url("restart.ipynb") + ("&reset" if front.app == "lab" else ""))
        wait_for(page, KERNEL_READY, "the kernel was not connected and idle")
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        wait_for(page, generate_enabled(WIDE), "no Generate")
        page.locator(f"{WIDE} .wanvace-generate").click()
        wait_for(
            page,
            f"/RUNNING.*since submit/s.test(document.querySelector('{WIDE} .wanvace-status')"
            "?.innerText)",
            "the job did not run",
        )
        (task_id,) = emulator.emulator.tasks.tasks
        gone = page.locator(f"{WIDE} .wanvace-kernel-gone")
        assert not gone.is_visible()
        page.evaluate(
            "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()"
        )
        gone.wait_for(state="visible", timeout=30_000)
        assert task_id in gone.inner_text() and "Re-run this cell" in gone.inner_text()
        shown = status_text(page, WIDE)
        before = elapsed_seconds(shown)
        request_id = re.search(r"request (\S+)", shown)[1]
        wait_for(page, KERNEL_READY, "the kernel did not come back")
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        wait_for(
            page,
            f"{status_includes(WIDE, task_id)}"
            f" && !document.querySelector('{WIDE} .jupyter-widgets-disconnected')",
            "the re-run cell did not pick the job up",
        )
        status = status_text(page, WIDE)
        assert "RUNNING" in status and elapsed_seconds(status) >= before  # not from 0
        assert request_id in status
        assert len(emulator.emulator.tasks.tasks) == 1
        assert error_outputs(page) == []
        context.close()
