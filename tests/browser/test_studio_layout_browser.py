"""The studio on a laptop screen, in either theme, by keyboard alone (issue #21), in
JupyterLab 4 (light and dark) and Notebook 7 (Chromium):

- at 1,400×900 (JupyterLab with its file browser open) each of the six tabs (VACE's five,
  Wan 2.7's instruction edit) shows the prompt, Generate and the result video without
  scrolling, and Notebook 7 puts the studio in no scroll box;
- at 1,100 px nothing in any tab reaches past the widget's right edge;
- a whole job (fill, Generate, play) done with the keyboard alone;
- an instruction edit filled in the page (instruction, source video, one reference image)
  sent as such and its result played beside its source (issue #22);
- axe-core (``axe-playwright-python`` bundles it) finds no serious or critical violation
  in any tab.

To stay cheap, each front end and theme starts one server for the module and runs one
notebook (the quickstart's studio, against an emulator this module serves); each check
makes the results it needs if they are not there yet. Positions and screenshots land in
``tests/browser/artifacts/``.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from tests.browser.conftest import ARTIFACTS, require_chromium, running_jupyter
from tests.browser.notebook import error_outputs, open_and_run, wait_for
from tests.browser.test_function_widget_browser import OVERFLOWS
from tests.browser.test_widgets_browser import play_result, played_well
from wanvace_widgets.emulator import EmulatorConfig, EmulatorServer

SETUP = """import wanvace_widgets as wv
from wanvace_widgets.media.samples import write_samples
media = write_samples("media")
client = wv.VaceClient("browser-key", base_url={url!r}, backend_label="offline emulator: test",
                       results_dir="wanvace-results", poll=wv.PollPolicy(first_delay=0.2, max_delay=0.5))"""
#: the quickstart's studio: every form filled with the sample media
STUDIO = """studio = wv.VaceStudio(client=client)
studio["image_reference"].set_request(wv.ImageReference(prompt="A walk on the hills.",
    ref_images=[media["subject"], media["background"]], obj_or_bg=["obj", "bg"]))
studio["video_repainting"].set_request(wv.VideoRepainting(prompt="A watercolour walk.",
    video=media["source"], control_condition="depth", prompt_extend=False))
studio["video_edit"].set_request(wv.VideoEdit(prompt="A knight walks across the hills.",
    video=media["source"], mask_image=media["mask"], prompt_extend=False))
studio["video_extension"].set_request(wv.VideoExtension(prompt="The walk goes on.",
    first_clip=media["first_clip"], last_clip=media["last_clip"], prompt_extend=False))
studio["video_outpainting"].set_request(wv.VideoOutpainting(prompt="Wide hills.",
    video=media["source"], left_scale=1.5, right_scale=1.5, prompt_extend=False))
studio["instruction_edit"].set_request(wv.InstructionEdit(prompt="Make it a pencil sketch.",
    video=media["source"], resolution="720P"))
studio"""
NOTEBOOK = "studio.ipynb"
TABS = (
    "image_reference",
    "video_repainting",
    "video_edit",
    "video_extension",
    "video_outpainting",
    "instruction_edit",
)
LAPTOP = {"width": 1400, "height": 900}

#: the three pages: JupyterLab light and dark, Notebook 7 (light)
FRONTS = [("lab", "light"), ("lab", "dark"), ("notebook", "light")]


@pytest.fixture(scope="module")
def emulator():
    with EmulatorServer(EmulatorConfig(pending_s=0.2, running_s=0.6)) as server:
        yield server


@pytest.fixture(scope="module", params=FRONTS, ids=[f"{a}-{t}" for a, t in FRONTS])
def front(request, tmp_path_factory, emulator):
    require_chromium()
    app, theme = request.param
    base = tmp_path_factory.mktemp(f"{app}-{theme}")
    with running_jupyter(base, app, save_widget_state=False, theme=theme) as jupyter:
        jupyter.theme = theme
        jupyter.write_notebook(NOTEBOOK, SETUP.format(url=emulator.base_url), STUDIO)
        yield jupyter


@pytest.fixture(scope="module")
def page(browser, front):
    """The studio's notebook at 1,400×900, run once."""
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(60_000)
    page = context.new_page()
    open_and_run(page, front, NOTEBOOK)
    wait_for(page, "!!document.querySelector('.wanvace-studio .wanvace-jobs')", "no studio")
    wait_for(page, generate_enabled(TABS[0]), "the first tab's Generate never became enabled")
    if front.app == "lab":
        assert page.evaluate("!window.jupyterapp.shell.leftCollapsed")  # the file browser
    yield page
    context.close()


@pytest.fixture
def viewport(page):
    yield page.set_viewport_size
    page.set_viewport_size(LAPTOP)


def widget(function: str) -> str:
    return f".wanvace-studio .wanvace-{function}"


def generate_enabled(function: str) -> str:
    return f"document.querySelector('{widget(function)} .wanvace-generate')?.disabled === false"


def show_tab(page, function: str) -> None:
    """Click the function's tab and wait until its form is ready."""
    page.locator(".wanvace-studio [role=tab]").nth(TABS.index(function)).click()
    page.locator(widget(function)).wait_for(state="visible")
    wait_for(page, generate_enabled(function), f"{function}: Generate never became enabled")


def ensure_result(page, function: str) -> None:
    """A result in the function's tab: the one there, else a new job's (by a click)."""
    result = page.locator(f"{widget(function)} video.wanvace-result")
    if not result.count():
        page.locator(f"{widget(function)} .wanvace-generate").click()
        wait_for(
            page,
            f"document.querySelector('{widget(function)} video.wanvace-result')?.readyState >= 1",
            f"{function}: no result video",
        )


#: where the element is, and whether it is wholly on screen and not covered: the point in
#: its middle hits it (or, for a video, its own player: Chromium never reports a <video>
#: with native controls from elementsFromPoint)
PLACE = """el => {
    const r = el.getBoundingClientRect();
    const inside = r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight
        && r.right <= innerWidth;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    const own = el.closest(".wanvace-player") || el;
    return {x: Math.round(r.left), y: Math.round(r.top), width: Math.round(r.width),
            height: Math.round(r.height), visible: inside && !!hit && own.contains(hit)};
}"""
ON_SCREEN = {"prompt": "textarea", "Generate": ".wanvace-generate", "result": "video.wanvace-result"}


def test_each_tab_shows_prompt_generate_and_result_on_one_screen(page, front):
    measured = {}
    for function in TABS:
        show_tab(page, function)
        ensure_result(page, function)
        page.locator(".wanvace-studio").evaluate("el => el.scrollIntoView()")
        places = {
            name: page.locator(f"{widget(function)} {selector}").first.evaluate(PLACE)
            for name, selector in ON_SCREEN.items()
        }
        measured[function] = places
        page.screenshot(path=str(ARTIFACTS / f"studio_{front.app}_{front.theme}_{function}.png"))
        hidden = [name for name, place in places.items() if not place["visible"]]
        assert hidden == [], (function, places)
    if front.app == "notebook":  # no scroll box for the studio's output
        assert page.locator(".jp-mod-outputsScrolled").count() == 0
    assert error_outputs(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"studio_1400x900_{front.app}_{front.theme}.json"
    path.write_text(json.dumps(measured, indent=1))


#: the layout: whether the outcome column stands beside the inputs, and the widget's width
COLUMNS = """el => {
    const inputs = el.querySelector(".wanvace-inputs").getBoundingClientRect();
    const outcome = el.querySelector(".wanvace-outcome").getBoundingClientRect();
    return {width: Math.round(el.getBoundingClientRect().width),
            beside: outcome.left >= inputs.right - 1};
}"""

#: COLUMNS once the page has laid itself out again (two frames after a resize)
AFTER_LAYOUT = f"""async el => {{
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    return ({COLUMNS})(el);
}}"""


def test_nothing_overflows_sideways_at_1100_px(page, front, viewport):
    viewport({"width": 1100, "height": 900})
    layouts = {}
    for function in TABS:
        show_tab(page, function)
        root = page.locator(widget(function))
        assert root.evaluate(OVERFLOWS) == [], function
        columns = root.locator(".wanvace-columns")
        assert columns.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), function
        layouts[function] = root.evaluate(COLUMNS)
    page.screenshot(path=str(ARTIFACTS / f"studio_1100_{front.app}_{front.theme}.png"))
    # where the widget is 700 px or wider the result stands beside the form: just either
    # side of that width. The page around the widget may change with the window (a
    # scroll bar comes or goes), so the window is corrected until the widget is that wide.
    shown = TABS[-1]  # the tab still shown
    for width in (695, 705):
        window = 1100 - layouts[shown]["width"] + width
        for _ in range(4):
            viewport({"width": window, "height": 900})
            layout = page.locator(widget(shown)).evaluate(AFTER_LAYOUT)
            if abs(layout["width"] - width) <= 1:
                break
            window += width - layout["width"]
        assert abs(layout["width"] - width) <= 1, (width, layout)
        layouts[f"{shown} at {width}"] = layout
    for function, layout in layouts.items():
        assert layout["beside"] == (layout["width"] >= 700), (function, layout)
    assert layouts[f"{shown} at 705"]["beside"] and not layouts[f"{shown} at 695"]["beside"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"studio_1100_{front.app}_{front.theme}.json").write_text(json.dumps(layouts))


def press_until(page, key: str, script: str, what: str, most: int = 60) -> None:
    """Press ``key`` until ``script`` (about ``document.activeElement``) is true."""
    for _ in range(most):
        if page.evaluate(script):
            return
        page.keyboard.press(key)
    pytest.fail(f"{what}: not reached with {most} presses of {key}")


FOCUSED = "(sel) => !!document.activeElement?.matches(sel)"


def test_a_whole_job_by_keyboard_alone(page, front):
    """From the studio's tab strip: the outpainting tab by the arrow keys (in JupyterLab and
    Notebook 7 alike), a new prompt typed, Generate by Enter, the result played by Space;
    no mouse after the first focus."""
    function = "video_outpainting"
    first = page.locator(".wanvace-studio [role=tab]").first
    first.evaluate("el => el.focus()")  # arriving at the studio (e.g. Tab from the cell)
    page.keyboard.press("End")  # the last tab, then round to the first
    assert page.evaluate("document.activeElement.textContent") == "Instruction edit"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.textContent") == "Image reference"
    press_until(
        page,
        "ArrowRight",
        "() => document.activeElement?.textContent.includes('Video outpainting')",
        "the outpainting tab",
    )
    page.locator(widget(function)).wait_for(state="visible")  # shown as the arrow reached it
    tabs = page.locator(".wanvace-studio [role=tab]")
    assert tabs.evaluate_all("ts => ts.map(t => t.getAttribute('aria-selected'))") == [
        str(t == function).lower() for t in TABS
    ]
    prompt = f"{widget(function)} textarea"
    press_until(page, "Tab", f"() => ({FOCUSED})({prompt!r})", "the prompt")
    page.keyboard.press("Control+A")
    page.keyboard.type("Wide hills, typed.")
    generate = f"{widget(function)} .wanvace-generate"
    press_until(page, "Tab", f"() => ({FOCUSED})({generate!r})", "Generate")
    wait_for(page, generate_enabled(function), "Generate was not enabled for the typed prompt")
    page.keyboard.press("Enter")
    wait_for(  # the job of the typed prompt, done (the tab may show an earlier result)
        page,
        "[...document.querySelectorAll('.wanvace-jobs .wj-row[data-status=SUCCEEDED]')]"
        ".some(row => row.querySelector('.wj-prompt').textContent === 'Wide hills, typed.')",
        "the job of the typed prompt did not succeed",
    )
    wait_for(
        page,
        f"document.querySelector('{widget(function)} .wanvace-announcement')"
        "?.textContent.includes('SUCCEEDED')",
        "the live region never announced the result",
    )
    wait_for(
        page,
        f"document.querySelector('{widget(function)} video.wanvace-result')?.readyState >= 1",
        "no result video",
    )
    video = f"{widget(function)} video.wanvace-result"
    press_until(page, "Tab", f"() => ({FOCUSED})({video!r})", "the result video")
    page.keyboard.press("Space")
    wait_for(
        page,
        f"document.querySelector({video!r}).currentTime > 0.3",
        "the result did not play from the keyboard",
    )
    state = page.locator(video).evaluate("v => ({autoplay: v.autoplay, loop: v.loop})")
    assert state == {"autoplay": False, "loop": False}


#: what the user types into the instruction edit tab
INSTRUCTION = "Turn it into a pencil sketch; the walker wears the figure's orange."


def test_an_instruction_edit_with_a_reference_image_plays_its_result(page, front, emulator):
    """Issue #22: the Instruction edit tab filled in the page (the instruction typed, the
    source and one reference image given by path), Generate clicked; the emulator gets that
    instruction with one source and one reference image, and the result plays beside its
    source."""
    function = "instruction_edit"
    root = widget(function)
    show_tab(page, function)
    old = page.locator(f"{root} video.wanvace-result").evaluate_all(
        "videos => videos.map(v => v.getAttribute('src')).join()"
    )
    page.locator(f"{root} textarea").first.fill(INSTRUCTION)
    page.locator(root).get_by_label("Source video", exact=True).fill("media/source_sound.mp4")
    page.locator(root).get_by_label("Reference image 1", exact=True).fill("media/subject.png")
    wait_for(  # as a user sees it: the image's thumbnail, so the kernel has the path
        page,
        f"[...document.querySelectorAll('{root} .wanvace-media')]"
        ".some(m => m.innerText.includes('subject.png') && m.querySelector('img'))",
        "the reference image's thumbnail was not shown",
    )
    wait_for(
        page,
        f"document.querySelector('{root} .wanvace-status')?.innerText.includes('this one up to')",
        "the price of this job was not shown for the filled form",
    )
    sent = len(emulator.emulator.tasks.tasks)
    page.locator(f"{root} .wanvace-generate").click()
    wait_for(
        page,
        f"(v => !!v && v.getAttribute('src') !== {old!r} && v.readyState >= 1)"
        f"(document.querySelector('{root} video.wanvace-result'))",
        "the instruction edit's result never came",
    )
    played = play_result(page, root)
    assert played_well(played), played
    task = list(emulator.emulator.tasks.tasks.values())[-1]
    assert len(emulator.emulator.tasks.tasks) == sent + 1
    assert task.body["model"] == "wan2.7-videoedit" and task.body["input"]["prompt"] == INSTRUCTION
    media_types = sorted(entry["type"] for entry in task.body["input"]["media"])
    assert media_types == ["reference_image", "video"]
    source = page.locator(f"{root} video[aria-label='source video']").get_attribute("src")
    assert source and source.endswith("/media/source_sound.mp4")  # the typed source, beside it
    assert error_outputs(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".wanvace-studio").screenshot(
        path=str(ARTIFACTS / f"studio_{front.app}_{front.theme}_instruction_edit_played.png")
    )


def test_axe_finds_no_serious_or_critical_violation(page, front):
    axe = (resources.files("axe_playwright_python") / "axe.min.js").read_text()
    page.evaluate(axe)
    found = {}
    for function in TABS:
        show_tab(page, function)
        violations = page.evaluate(
            """async () => {
                const result = await axe.run(document.querySelector(".wanvace-studio"),
                                             {resultTypes: ["violations"]});
                return result.violations.map(v => ({id: v.id, impact: v.impact,
                    nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
            }"""
        )
        found[function] = violations
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe_{front.app}_{front.theme}.json").write_text(json.dumps(found, indent=1))
    serious = {
        function: [v for v in violations if v["impact"] in ("serious", "critical")]
        for function, violations in found.items()
    }
    assert all(not v for v in serious.values()), serious
