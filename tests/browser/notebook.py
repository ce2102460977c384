"""Driving a notebook like a user: open it, wait until its kernel is connected and idle
(never a fixed pause, which a busy machine outlasts), run it, read its error outputs."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

#: true once the notebook's kernel is connected and idle (JupyterLab and Notebook 7 alike)
KERNEL_READY = """() => {
    const context = window.jupyterapp?.shell?.currentWidget?.sessionContext;
    const kernel = context?.session?.kernel;
    return !!(context?.isReady && kernel?.connectionStatus === "connected"
              && kernel.status === "idle");
}"""


def wait_for(page, script: str, what: str, timeout_ms: int = 120_000, arg=None) -> None:
    """Wait until ``script`` is true in the page; fail saying ``what`` did not happen,
    with the notebook's error outputs if there are any."""
    try:
        page.wait_for_function(script, arg=arg, timeout=timeout_ms)
    except PlaywrightTimeout:
        errors = error_outputs(page)
        pytest.fail(f"{what} within {timeout_ms / 1000:g} s; error outputs: {errors}")


def open_and_run(page, server, name: str) -> None:
    """Open a notebook, wait until its kernel is ready, then run all its cells."""
    page.goto(server.url(name))
    wait_for(page, KERNEL_READY, "the kernel was not connected and idle")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def error_outputs(page) -> list[str]:
    """The notebook's error and stderr outputs, as a user would read them."""
    return page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
        ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
    ).all_inner_texts()
