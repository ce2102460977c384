"""Is an element on screen for a user: wholly inside the viewport, not clipped by a scroll
box, and with nothing else drawn over it?

The hit test asks `elementsFromPoint` what is topmost at nine points of the element (a
3×3 grid, 2 px inside its edges). The point is the element's when that topmost element is
the element, one of its descendants, or one of its ancestors. An ancestor on top means
nothing foreign is drawn there: only the element's own wrappers, which paint beneath it.
That last case is what keeps the check about what a user sees rather than about how the
browser hit-tests media: a `<video>` with native controls can be left out of hit testing
(Chromium 150 returned the column around the video, never the video, while the video was
fully drawn and played on a click; issue #25). A toast, a status bar, a toolbar or another
cell is no ancestor of the element, so any of them on top still fails the check.

Clipping is checked separately, on every ancestor whose `overflow` clips (the root's, or
the body's, belongs to the viewport, checked first): an element
scrolled under the edge of a notebook's scroll box is not on screen, even where the
scroll box's own parent (an ancestor) is what the hit test finds there.

Known limits: an overlay with `pointer-events: none` is invisible to hit tests, and so is
one drawn as an ancestor's `::before`/`::after`; neither occurs in JupyterLab's or
Notebook 7's own chrome.
"""

from __future__ import annotations

#: "" when the element is on screen, else why not (for the failure message)
WHY_HIDDEN = """el => {
    const name = node => !node ? "nothing" : node.tagName.toLowerCase()
        + (node.id ? "#" + node.id : "")
        + [...node.classList].slice(0, 3).map(c => "." + c).join("");
    const round = r => [r.left, r.top, r.right, r.bottom].map(Math.round).join(",");
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return "not rendered (an empty box)";
    if (r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight)
        return `outside the ${innerWidth}x${innerHeight} viewport (at ${round(r)})`;
    const style = getComputedStyle(el);
    if (style.visibility !== "visible") return `visibility: ${style.visibility}`;
    const parentOf = node => node.parentElement ?? node.getRootNode().host ?? null;
    // the root's overflow, or the body's when the root's is visible, is the viewport's
    const html = getComputedStyle(document.documentElement);
    const viewportOverflow = node => node === document.documentElement
        || (node === document.body && html.overflowX === "visible" && html.overflowY === "visible");
    for (let node = el; node; node = parentOf(node)) {
        const css = getComputedStyle(node);
        if (Number(css.opacity) === 0) return `transparent (${name(node)} has opacity 0)`;
        if (node === el || viewportOverflow(node) || css.display === "inline"
            || css.display === "contents") continue;
        const box = node.getBoundingClientRect();
        const left = box.left + node.clientLeft, top = box.top + node.clientTop;
        const clipsX = css.overflowX !== "visible", clipsY = css.overflowY !== "visible";
        if ((clipsX && (r.left < left - 1 || r.right > left + node.clientWidth + 1))
            || (clipsY && (r.top < top - 1 || r.bottom > top + node.clientHeight + 1)))
            return `clipped by ${name(node)} (the element at ${round(r)})`;
    }
    const root = el.getRootNode();
    const inset = 2;
    for (const y of [r.top + inset, (r.top + r.bottom) / 2, r.bottom - inset]) {
        for (const x of [r.left + inset, (r.left + r.right) / 2, r.right - inset]) {
            const top = root.elementsFromPoint(x, y)[0];
            if (!top || !(top === el || el.contains(top) || top.contains(el)))
                return `covered by ${name(top)} at (${Math.round(x)}, ${Math.round(y)})`;
        }
    }
    return "";
}"""


def why_hidden(locator) -> str:
    """An empty string when the Playwright ``locator``'s element is on screen, else why not."""
    return locator.evaluate(WHY_HIDDEN)
