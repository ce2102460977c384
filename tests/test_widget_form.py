"""The function widget's form without a kernel: every problem at once beside its control,
in the form's words; a fresh form not red; readiness that agrees with Generate; the
character count; the price for valid and invalid forms and the bill after the job."""

from __future__ import annotations

import re

import pytest

import wanvace_widgets as wv
from tests.helpers import make_client
from wanvace_widgets import contract as c

#: API and attribute names a user never typed: on screen they must not appear
API_NAMES = re.compile(r"\b(obj_or_bg|ref_images|mask_image|mask_video|first_frame|_url)\b")


def shown_problems(widget) -> dict[str, str]:
    """Every error text on screen, by where it is."""
    shown = {"prompt": widget._prompt_error.value, "options": widget._options_error.value}
    for attr, ctrl in widget._controls.items():
        shown[attr] = ctrl.control._message.value if ctrl.spec.kind == "media" else ctrl.error.value
    return {where: text for where, text in shown.items() if text}


async def test_all_problems_are_shown_at_once_each_beside_its_control(emulated, media, tmp_path):
    widget = wv.ImageReferenceWidget(client=emulated)
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    widget._prompt.value = "x"
    widget._prompt.value = ""  # typed, then deleted
    widget._seed.value = "abc"
    widget._controls["ref_image_1"].write(str(media["subject"]))
    widget._controls["ref_image_2"].write(str(notes))
    widget._controls["tag_1"].write("bg")  # image 2 is the background too: two backgrounds
    shown = shown_problems(widget)
    assert "Required: describe the video you want" in shown["prompt"]
    assert "Must be a whole number" in shown["options"]
    assert "Must be a jpg" in shown["ref_image_2"]  # "entry 2" of the list, beside image 2
    # the background rule beside the "image 1 is" dropdown the user changed (the untouched
    # "image 2 is" stays plain: only what was touched turns red)
    assert "at most one &#x27;bg&#x27;" in shown["tag_1"]
    assert set(shown) == {"prompt", "options", "ref_image_2", "tag_1"}
    assert not API_NAMES.search(" ".join(shown.values()))
    assert not widget.ready and not widget._buttons.generate_enabled
    assert "4 problems marked in red" in widget._status.value


async def test_rules_between_fields_are_in_the_forms_words(emulated, media):
    edit = wv.VideoEditWidget(client=emulated)
    edit.set_request(wv.VideoEdit(prompt="x", video=media["source"], mask_image=media["mask"]))
    edit._controls["mask_video"].write(str(media["source"]))  # both masks
    text = edit._controls["mask_image"].control._message.value
    assert "Give exactly one of mask image (recommended) or mask video" in text
    extension = wv.VideoExtensionWidget(client=emulated)
    extension.set_request(wv.VideoExtension(prompt="x", first_frame=media["last_frame"]))
    extension._controls["video"].write(str(media["source"]))  # a motion video, no 'keep'
    assert "Required with a motion video" in extension._controls["control_condition"].error.value
    assert not API_NAMES.search(extension._status.value + edit._status.value)


async def test_a_fresh_form_is_not_red_and_the_status_says_what_is_missing(emulated):
    widget = wv.VideoEditWidget(client=emulated)
    assert shown_problems(widget) == {}
    assert "wanvace-error" not in widget._status.value
    status = widget._status.value
    assert "Not ready: Prompt — required: describe the video you want" in status
    assert "Source video — required" in status and "Ready:" not in status


async def test_the_status_says_ready_exactly_when_generate_is_on(emulated, requests_by_function):
    widget = wv.VideoOutpaintingWidget(client=emulated)
    seen = []

    def look() -> None:
        seen.append(("Ready:" in widget._status.value, widget._buttons.generate_enabled))

    look()  # fresh: neither
    widget.set_request(requests_by_function["video_outpainting"])
    look()  # valid: both
    widget.submit()
    look()  # a job is live: neither
    await widget.wait(30)
    look()  # done, form still valid: both
    widget._prompt.value = ""
    look()  # invalid again: neither
    assert seen == [(False, False), (True, True), (False, False), (True, True), (False, False)]


async def test_the_prompt_counts_its_characters_live(emulated):
    widget = wv.VideoOutpaintingWidget(client=emulated)
    widget._prompt.value = "hills"
    assert "5 / 800 characters" in widget._prompt_count.value
    widget._prompt.value = "h" * (c.PROMPT_MAX_CHARS + 1)
    assert "801 / 800 characters" in widget._prompt_count.value
    assert "#b00020" in widget._prompt_count.value  # over the limit: red
    assert "Has 801 characters" in widget._prompt_error.value


@pytest.mark.parametrize("valid", [False, True])
async def test_the_price_is_shown_for_valid_and_invalid_forms(
    valid, emulated, widget_app, tmp_path
):
    service = make_client(widget_app, tmp_path / "service")  # no emulator label: a price
    for client, words in ((service, "up to $0.50 a job"), (emulated, "free on the emulator")):
        widget = wv.VideoOutpaintingWidget(client=client)
        if valid:
            widget.set_request(wv.VideoOutpainting(prompt="x", video="https://x.example/v.mp4"))
        assert widget.ready == valid
        assert words in widget._status.value
    await service.aclose()


async def test_the_bill_is_shown_after_the_job(widget_app, tmp_path, media):
    client = make_client(widget_app, tmp_path)
    widget = wv.VideoOutpaintingWidget(
        client=client, request=wv.VideoOutpainting(prompt="wide", video=media["source"])
    )
    widget.submit()
    await widget.wait(30)
    billed = widget.task.billed_usd
    assert billed and f"Billed: ${billed:.2f}" in widget._status.value
    assert "up to $0.50 a job" in widget._status.value  # the price stays
    await client.aclose()
