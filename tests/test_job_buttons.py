"""The job buttons' kernel side (``widgets/job_buttons.py``): a click from the page runs
its callback only while that button is enabled, and every click is answered, so the page
(which disabled the row at once, ``static/job_buttons.js``) comes back to life."""

from __future__ import annotations

from pathlib import Path

import pytest
import traitlets

from wanvace_widgets.widgets.job_buttons import ACTIONS, JobButtons


def page_clicks(buttons: JobButtons, name: str) -> None:
    buttons._on_page_message(buttons, {"click": name}, [])


def test_a_click_runs_its_callback_only_while_enabled_and_is_always_answered():
    buttons, clicks = JobButtons(), []
    buttons.on_click("generate", lambda: clicks.append("generate"))
    page_clicks(buttons, "generate")
    assert clicks == [] and buttons.answered == 1  # disabled: answered, nothing run
    buttons.generate_enabled = True
    page_clicks(buttons, "generate")
    assert clicks == ["generate"] and buttons.answered == 2


def test_what_a_callback_changes_reaches_the_page_with_the_answer():
    buttons = JobButtons(generate_enabled=True)
    sent = []
    buttons.comm.send = lambda data, *a, **kw: sent.append(data)  # what the page receives

    def submit():
        buttons.generate_enabled = False
        buttons.again_enabled = True

    buttons.on_click("generate", submit)
    page_clicks(buttons, "generate")
    states = [m["state"] for m in sent if m.get("method") == "update"]
    assert states == [{"generate_enabled": False, "again_enabled": True, "answered": 1}]


def test_unknown_messages_and_names_are_refused():
    buttons = JobButtons()
    buttons._on_page_message(buttons, {"click": "delete-everything"}, [])
    buttons._on_page_message(buttons, "generate", [])
    assert buttons.answered == 0
    with pytest.raises(ValueError):
        buttons.on_click("launch", lambda: None)
    with pytest.raises(traitlets.TraitError):
        buttons.action = "pay twice"
    for action in ACTIONS:
        buttons.action = action


def test_the_page_disables_the_row_before_sending_and_labels_every_action():
    """The front end is checked in a browser (tests/browser/test_one_click_browser.py);
    here, that it names every action the kernel can set."""
    source = (
        Path(__file__).parents[1] / "wanvace_widgets/widgets/static/job_buttons.js"
    ).read_text()
    for action in ACTIONS:
        assert f"{action}: [" in source
