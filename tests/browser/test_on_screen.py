"""The on-screen check (`on_screen.py`) on a plain page in Debian's Chromium: a playing
`<video>` with native controls in a column, in a scroll box above a status bar, like a
widget's result in a notebook. It passes as laid out, and when the video is left out of hit
testing (what Chromium 150 did in JupyterLab, issue #25, here made with
`pointer-events: none`); it fails for each way a user loses sight of the video."""

from __future__ import annotations

import pytest

from tests.browser.conftest import require_chromium
from tests.browser.on_screen import why_hidden
from wanvace_widgets.media.samples import write_samples

PAGE = """<!doctype html>
<style>
  body { margin: 0; font: 14px sans-serif; }
  #panel { position: absolute; inset: 0 0 24px 0; overflow: auto; }
  #bar { position: fixed; left: 0; right: 0; bottom: 0; height: 24px; background: #ddd; }
  .cell { padding: 8px; background: white; }
  .columns { display: flex; gap: 16px; }
  .column { display: flex; flex-direction: column; width: 420px; }
  video { width: 400px; height: 225px; }
  #toast { position: fixed; width: 300px; height: 80px; background: #333; color: white; }
</style>
<div id="panel">
  <div class="cell" id="widget-cell"><div class="columns">
    <div class="column"><textarea>A knight.</textarea><button>Generate</button></div>
    <div class="column"><span>result</span>
      <video class="result" controls muted preload="auto" src="source.mp4"></video></div>
  </div></div>
  <div class="cell" id="next-cell"><p>Another cell</p><div style="height: 240px"></div></div>
  <div style="height: 2000px"></div>
</div>
<div id="bar">status bar</div>
"""

#: how each case changes the page (``video`` and ``panel`` are in scope), and what a
#: failing check says
COVERS = {
    "a toast over its lower right": (
        """const r = video.getBoundingClientRect(), toast = document.createElement("div");
        toast.id = "toast"; toast.textContent = "Saved";
        toast.style.left = `${r.right - 150}px`; toast.style.top = `${r.bottom - 60}px`;
        document.body.append(toast);""",
        "covered by div#toast",
    ),
    "its lower edge under the status bar": (
        """const r = video.getBoundingClientRect(), edge = panel.getBoundingClientRect().bottom;
        document.querySelector("#widget-cell").style.marginTop = `${edge - r.bottom + 12}px`;""",
        "clipped by div#panel",
    ),
    "the next cell drawn over it": (
        """const next = document.querySelector("#next-cell");
        next.style.position = "relative";
        next.style.transform = `translateY(${video.getBoundingClientRect().top
            - next.getBoundingClientRect().top}px)`;""",
        "covered by div#next-cell",
    ),
    "below the fold": (
        """document.querySelector("#widget-cell").style.marginTop = `${innerHeight}px`;""",
        "outside the 1400x900 viewport",
    ),
    "scrolled out of its scroll box": (
        """// below the box: only the page (an ancestor) is hit there
        document.querySelector("#widget-cell").style.marginTop = "500px";
        panel.style.bottom = "300px";""",
        "clipped by div#panel",
    ),
}


@pytest.fixture
def plain_page(browser, tmp_path):
    """The page above at 1,400×900, its video loaded."""
    require_chromium()
    write_samples(tmp_path)
    (tmp_path / "page.html").write_text(PAGE)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto((tmp_path / "page.html").as_uri())
    page.wait_for_function("document.querySelector('video').readyState >= 2", timeout=30_000)
    yield page
    context.close()


def change(page, script: str) -> None:
    page.evaluate(
        f"""() => {{ const video = document.querySelector("video");
        const panel = document.querySelector("#panel"); {script} }}"""
    )


def test_a_video_laid_out_in_full_view_is_on_screen(plain_page):
    assert why_hidden(plain_page.locator("video")) == ""
    assert why_hidden(plain_page.locator("textarea")) == ""


def test_a_video_left_out_of_hit_testing_is_still_on_screen(plain_page):
    """Chromium 150's symptom: `elementsFromPoint` at the video's centre lists the column
    around it and its ancestors, never the video. What a user sees has not changed."""
    change(plain_page, 'video.style.pointerEvents = "none";')
    hits = plain_page.evaluate(
        """() => { const r = document.querySelector("video").getBoundingClientRect();
        return document.elementsFromPoint(r.left + r.width / 2, r.top + r.height / 2)
            .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")); }"""
    )
    assert "video.result" not in hits and hits[0] == "div.column", hits
    assert why_hidden(plain_page.locator("video")) == ""


@pytest.mark.parametrize("cover", COVERS)
def test_a_video_a_user_cannot_see_whole_is_not_on_screen(plain_page, cover):
    script, reason = COVERS[cover]
    change(plain_page, 'video.style.pointerEvents = "none";')  # even with Chromium 150's hit test
    change(plain_page, script)
    assert why_hidden(plain_page.locator("video")).startswith(reason)
