"""All problems of a form at once, built on the table's checks and the request models'
rules (``widgets/form_check.py``), without a kernel."""

from __future__ import annotations

import wanvace_widgets as wv
from wanvace_widgets.contract.params import param
from wanvace_widgets.media.local_files import local_media_problems
from wanvace_widgets.widgets.form_check import check_form, noun, on_screen


def no_files(_request):
    return []


def test_every_field_problem_and_a_rule_between_fields_at_once():
    values = {
        "prompt": "",
        "seed": "abc",
        "ref_images": ("https://x.example/a.png", "notes.txt"),
        "obj_or_bg": ("bg", "bg"),
    }
    check = check_form(wv.ImageReference, values, no_files)
    assert check.request is None
    assert set(check.problems) == {"prompt", "seed", "ref_images", "obj_or_bg"}
    assert check.problems["seed"] == "must be a whole number"
    assert check.problems["ref_images"].startswith("entry 2 must be a")
    assert "at most one 'bg'" in check.problems["obj_or_bg"]  # despite the other problems


def test_a_rule_that_a_stand_in_cannot_settle_still_lets_the_files_be_checked(media):
    seen = []

    def files(request):
        seen.append(request)
        return local_media_problems(request)

    values = {
        "prompt": "x",
        "video": str(media["source"]),
        "mask_image": str(media["subject"]),  # a mask of the wrong size …
        "mask_video": str(media["source"]),  # … and a mask video too
    }
    check = check_form(wv.VideoEdit, values, files)
    assert "give exactly one of mask_image" in check.problems["mask_image"]
    assert seen and seen[-1].mask_image is None  # left out, so the rest could be checked


def test_local_file_problems_join_the_others(media):
    values = {"prompt": "", "video": str(media["source"]), "mask_image": str(media["subject"])}
    check = check_form(wv.VideoEdit, values, local_media_problems)
    assert "required" in check.problems["prompt"]
    assert "the mask must have the video's resolution" in check.problems["mask_image"]


def test_a_valid_form_gives_its_request():
    check = check_form(
        wv.VideoOutpainting, {"prompt": "wide", "video": "https://x.example/v.mp4"}, no_files
    )
    assert check.problems == {} and check.request == wv.VideoOutpainting(
        prompt="wide", video="https://x.example/v.mp4"
    )


def test_rules_are_shown_in_the_forms_words():
    assert noun(param("video_edit", "mask_video")) == "mask video"
    assert noun(param("video_extension", "video")) == "motion video"
    assert on_screen("is required for video_edit", "video_edit") == "Required"
    assert (
        on_screen(
            "give at least one of first_frame, last_frame, first_clip or last_clip",
            "video_extension",
        )
        == "Give at least one of first frame, last frame, first clip or last clip"
    )
    # plain words that are also field names stay as they are
    assert on_screen("must be an MP4 video", "video_edit") == "Must be an MP4 video"
    assert on_screen("first_clip_url and last_clip_url", "video_extension") == (
        "First clip and last clip"
    )
