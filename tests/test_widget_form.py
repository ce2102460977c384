"""The function widget's form without a kernel: every problem at once beside its control,
in the form's words; a fresh form not red; readiness that agrees with Generate; the
character count; the price for valid and invalid forms and the bill after the job."""

from __future__ import annotations

import re

import pytest

import wanvace_widgets as wv
from tests.helpers import make_client
from wanvace_widgets.contract import constants as c

#: API and attribute names a user never typed: on screen they must not appear
API_NAMES = re.compile(r"\b(obj_or_bg|ref_images|mask_image|mask_video|first_frame|_url)\b")


async def test_all_problems_are_shown_at_once_each_beside_its_control(emulated, media, tmp_path):
    widget = wv.ImageReferenceWidget(client=emulated)
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    widget.controls["prompt"].write("x")
    widget.controls["prompt"].write("")  # typed, then deleted
    widget.controls["seed"].write("abc")
    widget.controls["ref_image_1"].write(str(media["subject"]))
    widget.controls["ref_image_2"].write(str(notes))
    widget.controls["tag_1"].write("bg")  # image 2 is the background too: two backgrounds
    shown = widget.shown_problems
    assert "Required: describe the video you want" in shown["prompt"]
    assert "Must be a whole number" in shown["seed"]
    assert "Must be a jpg" in shown["ref_image_2"]  # "entry 2" of the list, beside image 2
    # the background rule beside the "image 1 is" dropdown the user changed (the untouched
    # "image 2 is" stays plain: only what was touched turns red)
    assert "at most one 'bg'" in shown["tag_1"]
    assert set(shown) == {"prompt", "seed", "ref_image_2", "tag_1"}
    assert not API_NAMES.search(" ".join(shown.values()))
    assert not widget.ready and not widget.buttons.generate_enabled
    assert "4 problems marked in red" in widget.status_html


async def test_rules_between_fields_are_in_the_forms_words(emulated, media):
    edit = wv.VideoEditWidget(client=emulated)
    edit.set_request(wv.VideoEdit(prompt="x", video=media["source"], mask_image=media["mask"]))
    edit.controls["mask_video"].write(str(media["source"]))  # both masks
    text = edit.shown_problems["mask_image"]
    assert "Give exactly one of mask image (recommended) or mask video" in text
    extension = wv.VideoExtensionWidget(client=emulated)
    extension.set_request(wv.VideoExtension(prompt="x", first_frame=media["last_frame"]))
    extension.controls["video"].write(str(media["source"]))  # a motion video, no 'keep'
    assert "Required with a motion video" in extension.shown_problems["control_condition"]
    assert not API_NAMES.search(extension.status_html + edit.status_html)


async def test_a_fresh_form_is_not_red_and_the_status_says_what_is_missing(emulated):
    widget = wv.VideoEditWidget(client=emulated)
    assert widget.shown_problems == {}
    assert "wanvace-error" not in widget.status_html
    status = widget.status_html
    assert "Not ready: Prompt — required: describe the video you want" in status
    assert "Source video — required" in status and "Ready:" not in status


async def test_the_status_says_ready_exactly_when_generate_is_on(emulated, requests_by_function):
    widget = wv.VideoOutpaintingWidget(client=emulated)
    seen = []

    def look() -> None:
        seen.append(("Ready:" in widget.status_html, widget.buttons.generate_enabled))

    look()  # fresh: neither
    widget.set_request(requests_by_function["video_outpainting"])
    look()  # valid: both
    widget.submit()
    look()  # a job is live: neither
    await widget.wait(30)
    look()  # done, form still valid: both
    widget.controls["prompt"].write("")
    look()  # invalid again: neither
    assert seen == [(False, False), (True, True), (False, False), (True, True), (False, False)]


async def test_the_prompt_counts_its_characters_live(emulated):
    widget = wv.VideoOutpaintingWidget(client=emulated)
    widget.controls["prompt"].write("hills")
    prompt = widget.controls["prompt"]
    assert "5 / 800 characters" in prompt.count_html and "wanvace-over" not in prompt.count_html
    widget.controls["prompt"].write("h" * (c.PROMPT_MAX_CHARS + 1))
    assert "801 / 800 characters" in prompt.count_html
    assert "wanvace-over" in prompt.count_html  # over the limit: marked (red, bold)
    assert "Has 801 characters" in widget.shown_problems["prompt"]


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
        assert words in widget.status_html
    await service.aclose()


async def test_the_bill_is_shown_after_the_job(widget_app, tmp_path, media):
    client = make_client(widget_app, tmp_path)
    widget = wv.VideoOutpaintingWidget(
        client=client, request=wv.VideoOutpainting(prompt="wide", video=media["source"])
    )
    widget.submit()
    await widget.wait(30)
    billed = widget.task.billed_usd
    assert billed and f"Billed: ${billed:.2f}" in widget.status_html
    assert "up to $0.50 a job" in widget.status_html  # the price stays
    await client.aclose()


async def test_advanced_opens_when_something_in_it_changes_or_is_wrong(emulated, media):
    widget = wv.VideoOutpaintingWidget(client=emulated)
    toggle = widget.advanced.toggle
    assert not widget.advanced.expanded and toggle.summary == ""  # a new form: folded
    assert widget.advanced.body.layout.display == "none"
    widget.controls["seed"].write("42")
    assert widget.advanced.expanded and widget.advanced.body.layout.display is None
    assert toggle.summary == "seed 42"
    toggle.expanded = False  # the user folds it: a changed value may stay folded, named
    widget.controls["watermark"].write(True)
    assert not widget.advanced.expanded
    assert toggle.summary == "seed 42, add an 'AI-generated' mark on"
    widget.controls["seed"].write("abc")  # wrong: shown, whatever the user chose
    assert widget.advanced.expanded and "whole number" in widget.shown_problems["seed"]
    loaded = wv.VideoOutpaintingWidget(
        client=emulated,
        request=wv.VideoOutpainting(prompt="x", video=media["source"], prompt_extend=False),
    )
    assert not loaded.advanced.expanded  # prompt_extend off is what this form starts with
    loaded.set_request(wv.VideoOutpainting(prompt="x", video=media["source"], seed=7))
    assert loaded.advanced.expanded and "seed 7" in loaded.advanced.toggle.summary


# -- Wan 2.7's instruction edit ---------------------------------------------------------------


async def test_the_instruction_is_optional_and_counts_to_its_own_5000(emulated, media):
    widget = wv.InstructionEditWidget(client=emulated)
    prompt = widget.controls["prompt"]
    assert prompt.control.description == "Instruction"  # no "*": it may be left out
    status = widget.status_html
    assert "Not ready: Source video — required" in status and "Instruction" not in status
    assert "0 / 5000 characters" in prompt.count_html
    prompt.write("h" * (c.PROMPT_MAX_CHARS + 1))  # too long for VACE, fine here
    assert "801 / 5000 characters" in prompt.count_html and "wanvace-over" not in prompt.count_html
    widget.controls["video"].write(str(media["source"]))
    assert widget.ready and "prompt" not in widget.shown_problems
    prompt.write("h" * (c.EDIT27_PROMPT_MAX_CHARS + 1))
    assert "5001 / 5000 characters" in prompt.count_html and "wanvace-over" in prompt.count_html
    assert "Has 5001 characters" in widget.shown_problems["prompt"] and not widget.ready
    prompt.write("")
    assert widget.ready and widget.request.prompt is None  # a style transfer of its choice


async def test_reference_images_are_slots_filled_in_any_order(emulated, media, tmp_path):
    widget = wv.InstructionEditWidget(client=emulated)
    widget.controls["video"].write(str(media["source"]))
    assert widget.request.ref_images is None  # no image: the field left out
    widget.controls["ref_image_3"].write(str(media["subject"]))
    assert widget.request.ref_images == (str(media["subject"]),)  # gaps close up
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    widget.controls["ref_image_4"].write(str(notes))
    shown = widget.shown_problems
    assert set(shown) == {"ref_image_4"} and "Must be a jpg" in shown["ref_image_4"]
    assert not API_NAMES.search(" ".join(shown.values()) + widget.status_html)
    request = wv.InstructionEdit(
        prompt="dress him in the coat",
        video=media["source"],
        ref_images=[media["subject"], media["background"]],
    )
    widget.set_request(request)
    assert [widget.controls[f"ref_image_{i}"].read() for i in (1, 2, 3, 4)] == [
        str(media["subject"]),
        str(media["background"]),
        None,
        None,
    ]
    assert widget.request.summary() == request.summary() and widget.shown_problems == {}


async def test_the_price_follows_the_source_resolution_and_duration(widget_app, tmp_path, media):
    service = make_client(widget_app, tmp_path / "service")  # no emulator label: a price
    widget = wv.InstructionEditWidget(client=service)
    assert "up to $3.00 a job (20 s at 1080P)" in widget.status_html
    assert "this one" not in widget.status_html  # no valid form: no job to price
    widget.set_request(wv.InstructionEdit(video=media["source"], resolution="720P"))
    assert "this one up to $0.60 (6 s at 720P)" in widget.status_html  # 3 s in, 3 s out
    widget.controls["duration"].write(2)
    assert "this one up to $0.40 (4 s at 720P)" in widget.status_html
    widget.controls["duration"].write(5)  # longer than the 3 s source: checked again
    assert "longer than the source video" in widget.shown_problems["duration"]
    assert "this one" not in widget.status_html and not widget.ready
    widget.controls["duration"].write(0)
    widget.controls["resolution"].write("1080P")
    assert "this one up to $0.90 (6 s at 1080P)" in widget.status_html
    assert "model <code>wan2.7-videoedit</code>" in widget.status_html
    await service.aclose()
