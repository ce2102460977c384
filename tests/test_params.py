"""The parameter table: its rows are sound, the checks derived from a row behave, and the
request models, the emulator and the widget forms all follow it."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import replace

import ipywidgets as W
import pytest

import wanvace_widgets as wv
from tests.helpers import make_client, widget_tree
from wanvace_widgets import contract as c
from wanvace_widgets import params
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.emulator.validation import ApiFailure, check_submit
from wanvace_widgets.media import MediaInfo
from wanvace_widgets.media_rules import file_problem
from wanvace_widgets.param_checks import (
    ParamError,
    check_json,
    check_python,
    is_remote_url,
    url_problem,
)
from wanvace_widgets.params import FUNCTION_PARAMS, Param, form_params, param, params_of
from wanvace_widgets.widgets import functions
from wanvace_widgets.widgets.fields import FieldControl

REQUESTS = {
    "image_reference": wv.ImageReference,
    "video_repainting": wv.VideoRepainting,
    "video_edit": wv.VideoEdit,
    "video_extension": wv.VideoExtension,
    "video_outpainting": wv.VideoOutpainting,
}
ALL_ROWS = [(f, row) for f in c.FUNCTIONS for row in params_of(f)]
KINDS = ("media", "media_list", "choice", "choice_list", "range", "integer", "boolean", "text")


# -- the table --------------------------------------------------------------------------------


def test_the_table_covers_the_five_functions_and_each_request_class_exactly():
    assert tuple(FUNCTION_PARAMS) == c.FUNCTIONS
    for function, cls in REQUESTS.items():
        attrs = [f.name for f in dataclasses.fields(cls)]
        assert sorted(attrs) == sorted(r.attr for r in params_of(function)), function


@pytest.mark.parametrize("function", c.FUNCTIONS)
def test_attributes_and_api_fields_are_unique_within_a_function(function):
    rows = params_of(function)
    assert len({r.attr for r in rows}) == len(rows)
    assert len({(r.place, r.api_name) for r in rows}) == len(rows)


@pytest.mark.parametrize("function, row", ALL_ROWS, ids=lambda v: getattr(v, "attr", v))
def test_every_row_is_complete_for_its_kind(function, row):
    assert row.kind in KINDS and row.place in ("input", "parameters")
    assert row.label and row.help
    assert (row.media is not None) == (row.kind in ("media", "media_list"))
    assert bool(row.choices) == (row.kind in ("choice", "choice_list"))
    if row.kind == "range":
        assert None not in row.bounds and row.bounds[0] < row.bounds[1]
    if row.one_as_list:
        assert row.kind == "media" and row.place == "input"
    if row.default is not None:  # a documented default passes its own row's checks
        assert check_python(row, row.default) == row.default
        assert check_json(row, row.default) == row.default
    if row.suggested is not None:
        assert row.suggested in row.choices


def test_a_media_api_field_means_the_same_kind_of_file_in_every_function():
    for function, row in ALL_ROWS:
        if row.media:
            assert params.MEDIA_KIND_OF_API_FIELD[row.api_name] == row.media, (function, row)


def test_media_go_in_input_and_options_in_parameters_as_every_official_example_does():
    for _, row in ALL_ROWS:
        expected = "input" if row.media or row.attr in ("prompt", "mask_frame_id") else "parameters"
        assert row.place == expected, row.attr


def test_the_documented_numbers_come_from_the_contract():
    assert param("video_repainting", "strength").bounds == c.STRENGTH_RANGE
    assert param("video_edit", "expand_ratio").default == c.DEFAULT_EXPAND_RATIO
    assert param("image_reference", "ref_images").length == (c.REF_IMAGES_MIN, c.REF_IMAGES_MAX)
    assert param("video_edit", "control_condition").allowed == ("posebodyface", "depth", "")
    assert param("video_repainting", "control_condition").allowed == c.REPAINT_CONTROL_CONDITIONS


# -- a row as a check ------------------------------------------------------------------------

STRENGTH = param("video_repainting", "strength")
SEED = param("video_outpainting", "seed")
SIZE = param("video_edit", "size")


@pytest.mark.parametrize(
    "value, rule",
    [
        (10**400, "between 0 and 1"),  # too big for a float: no OverflowError
        (-(10**400), "between 0 and 1"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (True, "not true or false"),
        ("0.5", "must be a number"),
        ([0.5], "must be a number"),
    ],
)
def test_a_range_refuses_what_is_not_a_finite_number_within_bounds(value, rule):
    for check in (check_python, check_json):
        with pytest.raises(ParamError, match=rule):
            check(STRENGTH, value)


def test_integers_are_json_ints_and_python_integral_numbers():
    np = pytest.importorskip("numpy")
    assert check_python(SEED, np.int16(9)) == 9 and type(check_python(SEED, np.int16(9))) is int
    for value in (9.0, np.float64(9.0), "9", True, np.bool_(False)):
        with pytest.raises(ParamError, match="whole number|not true or false"):
            check_python(SEED, value)
    with pytest.raises(ParamError, match="whole number"):
        check_json(SEED, np.int16(9))  # JSON never holds numpy numbers
    with pytest.raises(ParamError, match="between 0 and 2147483647"):
        check_json(SEED, 2**31)


def test_choices_take_strings_only_and_name_the_documented_default():
    for bad in (["1280*720"], {"a": 1}, 1280, "1280x720"):
        with pytest.raises(ParamError, match="must be one of '1280\\*720'"):
            check_json(SIZE, bad)
    edit = param("video_edit", "control_condition")
    with pytest.raises(ParamError, match=r"or '' \(the API's default\)"):
        check_json(edit, "scribble")


def test_the_server_cuts_what_the_client_refuses():
    refs = param("image_reference", "ref_images")
    four = ["https://e.com/a.png"] * 4
    assert param("video_edit", "prompt").server_cuts
    assert check_json(refs, four) == four
    with pytest.raises(ParamError, match="silently keep only the first 3"):
        check_python(refs, four)
    from wanvace_widgets.param_checks import server_keeps

    assert server_keeps(refs, four) == four[:3]
    assert server_keeps(param("video_edit", "prompt"), "x" * 900) == "x" * 800


@pytest.mark.parametrize(
    "url, problem",
    [
        ("https://example.com/a.png", None),
        ("oss://dashscope-instant/x/a.png", None),
        ("HTTP://EXAMPLE.COM/A.PNG", None),
        ("https://", "names no host"),
        ("https:///a.png", "names no host"),
        ("oss://", "names no host"),
        ("http://user@/a.png", "names no host"),
        ("http://[::1/a.png", "not a well-formed URL"),
        ("ftp://example.com/a.png", "http, https or oss"),
        ("a.png", "http, https or oss"),
        ("https://例子.com/a.png", "Chinese"),
    ],
)
def test_url_problems(url, problem):
    found = url_problem(url)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize("value", ["http://[::1", "https://]", "oss:", "", "C:\\a.png", b"x", 5])
def test_is_remote_url_never_raises(value):
    assert is_remote_url(value) in (True, False)


def test_chinese_characters_cover_the_extensions_and_radicals():
    samples = "\u2e80\u2f00\u3001\u31c0\u3400\u4e2d\uf900\ufe30\uff01\U00020000\U0002b740\U0002f800\U00030000\U00031350"
    assert all(c.has_chinese_characters(ch) for ch in samples)
    assert not c.has_chinese_characters("https://example.com/ÀéßЖ/ア/%E4%B8%AD.png")


@pytest.mark.parametrize(
    "fps, seconds, last", [(16, 5, 81), (30, 3, 91), (30, 9, 151), (24, 0.5, 13)]
)
def test_the_last_mask_frame_follows_the_documented_formula(fps, seconds, last):
    assert c.max_mask_frame_id(fps, seconds) == last


def _info(kind="image", fmt="png", w=640, h=480, fps=None, size=1000) -> MediaInfo:
    return MediaInfo(kind, fmt, "x", w, h, fps, 1.0 if fps else None, None, size)


@pytest.mark.parametrize(
    "media, info, code",
    [
        ("image", _info(w=320, h=240), "InvalidFile.Resolution"),
        ("mask_image", _info(w=320, h=240), None),  # a mask follows its video (§4.3)
        ("mask_image", _info(w=4000, h=3000), None),
        ("image", _info(fmt="gif"), "InvalidFile.Format"),
        ("mask_image", _info(size=11 << 20), "InvalidFile.Size"),
        ("video", _info("video", "mp4", fps=15), "InvalidFile.FPS"),
        ("clip", _info("video", "mov", fps=30), "InvalidFile.Format"),
        ("mask_video", _info("video", "mp4", fps=30, size=51 << 20), "InvalidFile.Size"),
        ("video", _info("video", "mp4", fps=16), None),
    ],
)
def test_one_file_rules_are_shared_by_client_and_emulator(media, info, code):
    problem = file_problem(media, info)
    assert (problem is None) if code is None else problem[0] == code


# -- adding a parameter is one row -----------------------------------------------------------


def test_a_new_row_reaches_the_emulator_and_the_form_without_other_edits(monkeypatch):
    zoom = Param("zoom", "zoom", "parameters", "range", "zoom", "how far", bounds=(1.0, 3.0))
    monkeypatch.setitem(
        FUNCTION_PARAMS, "video_outpainting", (*FUNCTION_PARAMS["video_outpainting"], zoom)
    )
    body = {
        "model": "m",
        "input": {
            "function": "video_outpainting",
            "prompt": "p",
            "video_url": "https://e.com/v.mp4",
        },
        "parameters": {"zoom": 9},
    }
    with pytest.raises(ApiFailure, match="parameters.zoom must be between 1 and 3"):
        check_submit(body, model="m", oss_resolve=False)
    body["parameters"]["zoom"] = 2
    assert check_submit(body, model="m", oss_resolve=False)["parameters"] == {"zoom": 2.0}
    assert form_params("video_outpainting")[-1] is zoom
    control = FieldControl(zoom)
    assert isinstance(control.control, W.BoundedFloatText) and control.control.max == 3.0


# -- the forms --------------------------------------------------------------------------------

#: function → its widget class, as widgets/functions.py defines them
WIDGETS = {w.request_class.function: w for w in map(vars(functions).get, functions.__all__)}


@pytest.fixture
async def client(tmp_path):
    client = make_client(create_app(EmulatorConfig()), tmp_path)
    yield client
    await client.aclose()


@pytest.mark.parametrize("function", [f for f in c.FUNCTIONS if f != "image_reference"])
async def test_each_form_shows_its_table_rows_in_order(function, client):
    widget = WIDGETS[function](client=client)
    assert list(widget.controls) == [r.attr for r in form_params(function)]
    for attr, control in widget.controls.items():  # the row (with the form's suggestion)
        assert replace(control.spec, suggested=None) == replace(param(function, attr), suggested=None)


@pytest.mark.parametrize("function", list(WIDGETS))
async def test_every_row_of_the_table_has_a_control_where_the_table_says(function, client):
    """The common rows too: a row added to the table reaches the form, in the Advanced
    section when the row says so, or this fails."""
    widget = WIDGETS[function](client=client)
    shown = {ctrl.spec.api_name for ctrl in widget.controls.values()}
    assert shown == {row.api_name for row in params_of(function) if row.in_form}
    folded = set(widget_tree(widget.advanced.body))
    for ctrl in widget.controls.values():
        assert (ctrl.widget in folded) == ctrl.spec.advanced, ctrl.spec.attr


async def test_the_image_reference_form_splits_its_list_rows_into_slots(client):
    widget = wv.ImageReferenceWidget(client=client)
    assert list(widget.controls) == [
        "prompt",
        "prompt_extend",
        "seed",
        "watermark",
        "ref_image_1",
        "tag_1",
        "ref_image_2",
        "tag_2",
        "ref_image_3",
        "tag_3",
        "size",
    ]
    assert [widget.controls[f"tag_{i}"].read() for i in (1, 2, 3)] == ["obj", "bg", "obj"]


@pytest.mark.parametrize(
    "row, widget_type",
    [
        (param("video_edit", "mask_type"), W.Dropdown),
        (param("video_edit", "expand_ratio"), W.BoundedFloatText),
        (param("video_edit", "mask_frame_id"), W.IntText),
        (param("video_edit", "watermark"), W.Checkbox),
    ],
)
def test_a_control_reads_none_while_it_shows_the_api_default(row, widget_type):
    control = FieldControl(row)
    assert isinstance(control.control, widget_type)
    assert control.read() is None  # left out: the server's default applies
    other = {"choice": "fixed", "range": 0.5, "integer": 7, "boolean": True}[row.kind]
    control.write(other)
    assert control.read() == other
    control.write(None)
    assert control.read() is None


def test_a_choice_whose_default_is_empty_offers_it_as_default():
    control = FieldControl(param("video_edit", "control_condition"))
    assert control.control.options == (
        ("(default: none)", "(default)"),  # the entry says what the default is
        ("posebodyface", "posebodyface"),
        ("depth", "depth"),
    )
    control.write("")
    assert control.control.value == "(default)" and control.read() is None
    required = FieldControl(param("video_repainting", "control_condition"))
    assert [value for _, value in required.control.options] == list(c.REPAINT_CONTROL_CONDITIONS)
    assert required.read() == "depth"  # the suggestion, sent since the field is required
    mask_type = FieldControl(param("video_edit", "mask_type"))
    assert mask_type.control.label == "tracking (default)" and mask_type.read() is None


def test_the_prompt_is_a_labelled_box_with_a_count_and_lists_are_not_offered():
    prompt = FieldControl(param("video_edit", "prompt"))
    assert isinstance(prompt.control, W.Textarea) and prompt.control.description == "Prompt *"
    prompt.write("hills")
    assert prompt.read() == "hills" and "5 / 800 characters" in prompt.count_html
    with pytest.raises(ValueError, match="no form control for a choice_list row"):
        FieldControl(param("image_reference", "obj_or_bg"))  # a form splits it into slots


async def test_a_mask_frame_past_the_video_blocks_generate_next_to_the_field(client, media):
    widget = wv.VideoEditWidget(client=client)
    widget.set_request(wv.VideoEdit(prompt="x", video=media["source"], mask_image=media["mask"]))
    assert widget.ready
    widget.controls["mask_frame_id"].write(500)  # the sample has 90 frames (3 s at 30 fps)
    assert not widget.ready
    assert "last frame, 91" in widget.shown_problems["mask_frame_id"]
    widget.controls["mask_frame_id"].write(91)
    assert widget.ready and "mask_frame_id" not in widget.shown_problems


async def test_the_edit_form_sends_mask_options_with_a_mask_video(client, media):
    """The form and the request agree with the contract (§7): such options are accepted."""
    widget = wv.VideoEditWidget(client=client)
    widget.set_request(
        wv.VideoEdit(
            prompt="x", video=media["source"], mask_video=media["source"], mask_type="fixed"
        )
    )
    assert widget.request.mask_type == "fixed" and widget.ready


async def test_a_form_request_is_accepted_by_the_emulator(client, media):
    """What the edit form builds (through the table) is what the emulator's table takes."""
    widget = wv.VideoEditWidget(client=client)
    widget.set_request(
        wv.VideoEdit(prompt="x", video=media["source"], mask_image=media["mask"], expand_ratio=0.3)
    )
    request = widget.request.with_media(
        {("video", None): "https://e.com/v.mp4", ("mask_image", None): "https://e.com/m.png"}
    )
    body = request.to_payload(client.model)
    assert check_submit(body, model=client.model, oss_resolve=False)["parameters"] == {
        "expand_ratio": 0.3
    }
    assert math.isclose(widget.controls["expand_ratio"].read(), 0.3)
