"""The parameter table: its rows are sound, the checks derived from a row behave, and the
request models, the emulator and the widget forms all follow it (VACE's five functions and
wan2.7-videoedit's instruction edit)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import replace

import ipywidgets as W
import pytest

import wanvace_widgets as wv
from tests.helpers import make_client, widget_tree
from wanvace_widgets.contract import constants as c
from wanvace_widgets.contract import params
from wanvace_widgets.contract.families import all_functions
from wanvace_widgets.contract.media_rules import file_problem
from wanvace_widgets.contract.param_checks import (
    ParamError,
    check_json,
    check_python,
    is_remote_url,
    media_by_type,
    media_value,
    url_problem,
)
from wanvace_widgets.contract.params import FUNCTION_PARAMS, Param, form_params, param, params_of
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.emulator.validation import ApiFailure, check_submit
from wanvace_widgets.media.codec import MediaInfo
from wanvace_widgets.widgets import functions
from wanvace_widgets.widgets.fields import FieldControl

REQUESTS = {
    "image_reference": wv.ImageReference,
    "video_repainting": wv.VideoRepainting,
    "video_edit": wv.VideoEdit,
    "video_extension": wv.VideoExtension,
    "video_outpainting": wv.VideoOutpainting,
    "instruction_edit": wv.InstructionEdit,
}
ALL_ROWS = [(f, row) for f in all_functions() for row in params_of(f)]
KINDS = ("media", "media_list", "choice", "choice_list", "range", "integer", "boolean", "text")


# -- the table --------------------------------------------------------------------------------


def test_the_table_covers_every_function_and_each_request_class_exactly():
    assert tuple(FUNCTION_PARAMS) == all_functions() == (*c.FUNCTIONS, c.INSTRUCTION_EDIT)
    for function, cls in REQUESTS.items():
        attrs = [f.name for f in dataclasses.fields(cls)]
        assert sorted(attrs) == sorted(r.attr for r in params_of(function)), function


@pytest.mark.parametrize("function", all_functions())
def test_attributes_and_api_fields_are_unique_within_a_function(function):
    rows = params_of(function)
    assert len({r.attr for r in rows}) == len(rows)
    assert len({(r.place, r.api_name) for r in rows}) == len(rows)


@pytest.mark.parametrize("function, row", ALL_ROWS, ids=lambda v: getattr(v, "attr", v))
def test_every_row_is_complete_for_its_kind(function, row):
    assert row.kind in KINDS and row.place in ("input", "parameters", "media")
    assert row.label and row.help
    assert (row.media is not None) == (row.kind in ("media", "media_list"))
    assert bool(row.choices) == (row.kind in ("choice", "choice_list"))
    if row.kind == "range":
        assert None not in row.bounds and row.bounds[0] < row.bounds[1]
    if row.one_as_list:
        assert row.kind == "media" and row.place == "input"
    if row.zero_means:  # 0 lies below the bounds, and is the documented default
        assert row.kind == "integer" and row.bounds[0] > 0 and row.default == 0
    if row.default is not None:  # a documented default passes its own row's checks
        assert check_python(row, row.default) == row.default
        assert check_json(row, row.default) == row.default
    if row.suggested is not None and row.kind == "choice_list":  # one per entry
        assert set(row.suggested) <= set(row.choices)
    elif row.suggested is not None:
        assert row.suggested in row.choices


def test_a_media_api_field_means_the_same_kind_of_file_in_every_function():
    for function, row in ALL_ROWS:
        if row.media:
            assert params.MEDIA_KIND_OF_API_FIELD[row.api_name] == row.media, (function, row)


def test_media_go_in_input_and_options_in_parameters_as_every_official_example_does():
    for function, row in ALL_ROWS:
        in_input = ("prompt", "mask_frame_id", "negative_prompt")
        expected = "input" if row.media or row.attr in in_input else "parameters"
        if row.media and function == c.INSTRUCTION_EDIT:
            expected = "media"  # input.media: [{"type": ..., "url": ...}] (§17.3)
        assert row.place == expected, row.attr


def test_the_documented_numbers_come_from_the_contract():
    assert param("video_repainting", "strength").bounds == c.STRENGTH_RANGE
    assert param("video_edit", "expand_ratio").default == c.DEFAULT_EXPAND_RATIO
    assert param("image_reference", "ref_images").length == (c.REF_IMAGES_MIN, c.REF_IMAGES_MAX)
    assert param("video_edit", "control_condition").allowed == ("posebodyface", "depth", "")
    assert param("video_repainting", "control_condition").allowed == c.REPAINT_CONTROL_CONDITIONS
    edit27 = c.INSTRUCTION_EDIT
    assert param(edit27, "prompt").length == (1, c.EDIT27_PROMPT_MAX_CHARS)
    assert not param(edit27, "prompt").required  # without it: a style transfer (§17.2)
    assert param(edit27, "ref_images").length == (0, c.EDIT27_REFERENCE_IMAGES_MAX)
    assert param(edit27, "resolution").choices == ("720P", "1080P")
    assert param(edit27, "resolution").default == "1080P"
    assert (
        param(edit27, "ratio").choices == c.EDIT27_RATIOS and param(edit27, "ratio").default is None
    )
    assert param(edit27, "duration").bounds == (2, 10)
    assert param(edit27, "audio_setting").allowed == ("auto", "origin")
    assert param(edit27, "video").path == "input.media[type=video]"
    assert params.MEDIA_PATH_OF_API_FIELD["reference_image"] == "input.media[type=reference_image]"


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
    from wanvace_widgets.contract.param_checks import server_keeps

    assert server_keeps(refs, four) == four[:3]
    assert server_keeps(param("video_edit", "prompt"), "x" * 900) == "x" * 800


DURATION = param(c.INSTRUCTION_EDIT, "duration")


@pytest.mark.parametrize("value", [0, 2, 7, 10])
def test_a_duration_takes_zero_for_the_source_or_two_to_ten(value):
    assert check_python(DURATION, value) == check_json(DURATION, value) == value


@pytest.mark.parametrize("value", [1, -1, 11, 0.0, 5.0, "0", True])
def test_a_duration_refuses_one_and_what_is_past_ten(value):
    for check in (check_python, check_json):
        with pytest.raises(ParamError, match=r"0 \(the source's length\) or between|whole|true or"):
            check(DURATION, value)


def test_an_optional_text_may_be_left_out_but_not_blank():
    negative = param(c.INSTRUCTION_EDIT, "negative_prompt")
    assert check_json(negative, None) is None and check_python(negative, None) is None
    for blank in ("", "  "):
        with pytest.raises(ParamError, match="is blank"):
            check_json(negative, blank)
    with pytest.raises(ParamError, match="keeps only the first 500"):
        check_python(negative, "x" * 501)
    assert check_json(negative, "x" * 501) == "x" * 501  # the server cuts it (§17.2)
    from wanvace_widgets.contract.param_checks import server_keeps

    assert server_keeps(negative, "x" * 501) == "x" * 500


def test_the_media_list_is_grouped_by_type_in_order():
    value = [
        {"type": "reference_image", "url": "https://e.com/1.png"},
        {"type": "video", "url": "https://e.com/v.mp4", "extra": 1},  # other keys ignored
        {"type": "reference_image", "url": "https://e.com/2.png"},
    ]
    grouped = media_by_type(c.INSTRUCTION_EDIT, value)
    assert grouped == {
        "reference_image": ["https://e.com/1.png", "https://e.com/2.png"],
        "video": ["https://e.com/v.mp4"],
    }
    assert media_value(param(c.INSTRUCTION_EDIT, "video"), grouped) == "https://e.com/v.mp4"
    assert (
        media_value(param(c.INSTRUCTION_EDIT, "ref_images"), grouped) == grouped["reference_image"]
    )
    assert media_by_type(c.INSTRUCTION_EDIT, None) == {}
    assert media_by_type("video_edit", value) == {}  # VACE has no input.media


@pytest.mark.parametrize(
    "value, rule",
    [
        ({"type": "video"}, "JSON list"),
        ("https://e.com/v.mp4", "JSON list"),
        (["https://e.com/v.mp4"], "entry 1 must be a JSON object"),
        ([{"type": "first_frame", "url": "u"}], "entry 1 has type 'first_frame'"),
        ([{"url": "u"}], "entry 1 has type None"),
        ([{"type": "video", "url": "u"}, {"type": "video"}], "entry 2 \\(video\\) has no url"),
    ],
)
def test_a_malformed_media_list_is_refused_naming_its_entry(value, rule):
    with pytest.raises(ParamError, match=rule):
        media_by_type(c.INSTRUCTION_EDIT, value)


def test_a_second_source_video_is_refused():
    grouped = {"video": ["https://e.com/a.mp4", "https://e.com/b.mp4"]}
    with pytest.raises(ParamError, match="takes one video, got 2"):
        media_value(param(c.INSTRUCTION_EDIT, "video"), grouped)


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


def _video27(w=640, h=360, fps=30, seconds=3.0, size=1000) -> MediaInfo:
    return MediaInfo("video", "mp4", "h264", w, h, fps, seconds, None, size)


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
        # wan2.7-videoedit (§17.3): MP4/MOV, 2–10 s, 240–4096 px, at most 8:1, ≤ 100 MB
        ("edit_video", _video27(), None),
        ("edit_video", _video27(fps=8), None),  # no frame rate limit is documented
        ("edit_video", _video27(seconds=1.9), "InvalidFile.Duration"),
        ("edit_video", _video27(seconds=10.2), "InvalidFile.Duration"),
        ("edit_video", _video27(seconds=10.04), None),  # containers round
        ("edit_video", _video27(w=239), "InvalidFile.Resolution"),
        ("edit_video", _video27(w=4097, h=1080), "InvalidFile.Resolution"),
        ("edit_video", _video27(w=2400, h=290), "InvalidFile.Resolution"),  # past 8:1
        ("edit_video", _video27(w=2320, h=290), None),  # 8:1 exactly
        ("edit_video", _video27(size=101 << 20), "InvalidFile.Size"),
        ("edit_video", _info(fmt="png"), "InvalidFile.Format"),
        ("edit_reference", _info(w=240, h=240), None),
        ("edit_reference", _info(w=239, h=400), "InvalidFile.Resolution"),
        ("edit_reference", _info(w=2000, h=200 + 40), "InvalidFile.Resolution"),  # past 8:1
        ("edit_reference", _info(fmt="tiff"), "InvalidFile.Format"),
        ("edit_reference", _info(size=21 << 20), "InvalidFile.Size"),
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


async def test_the_instruction_edit_form_shows_its_reference_images_as_four_slots(client):
    widget = wv.InstructionEditWidget(client=client)
    slots = [f"ref_image_{i}" for i in range(1, c.EDIT27_REFERENCE_IMAGES_MAX + 1)]
    assert list(widget.controls) == [
        "prompt",
        "prompt_extend",
        "seed",
        "watermark",
        "video",
        *slots,
        "negative_prompt",
        "resolution",
        "ratio",
        "duration",
        "audio_setting",
    ]
    refs = param(c.INSTRUCTION_EDIT, "ref_images")
    for i, key in enumerate(slots, 1):  # each an optional image of the row's kind
        spec = widget.controls[key].spec
        assert (spec.kind, spec.media, spec.required) == ("media", refs.media, False)
        assert spec.label == f"Reference image {i}" and spec.api_name == refs.api_name
    # the rows a user changes are in view; the rarely changed ones folded (the table says)
    folded = {k for k, ctrl in widget.controls.items() if ctrl.spec.advanced}
    assert folded == {
        "prompt_extend",
        "seed",
        "watermark",
        "negative_prompt",
        "ratio",
        "duration",
        "audio_setting",
    }


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


def test_a_text_row_is_a_text_area_that_reads_none_when_blank():
    control = FieldControl(param(c.INSTRUCTION_EDIT, "negative_prompt"))
    assert isinstance(control.control, W.Textarea) and control.read() is None
    control.write("  ")
    assert control.read() is None  # blank text leaves the field out
    control.write("blurry")
    assert control.read() == "blurry"


def test_a_duration_whose_zero_means_the_source_takes_zero_and_two_to_ten():
    control = FieldControl(param(c.INSTRUCTION_EDIT, "duration"))
    assert isinstance(control.control, W.BoundedIntText)
    assert (control.control.min, control.control.max) == (0, 10) and control.read() is None
    control.write(4)
    assert control.read() == 4
    ratio = FieldControl(param(c.INSTRUCTION_EDIT, "ratio"))
    assert ratio.control.options[0] == ("(default: the source's)", "(default)")
    assert ratio.read() is None
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


def test_every_instruction_edit_row_but_the_image_list_has_a_form_control():
    """What a form for wan2.7-videoedit builds from its rows (the list of reference
    images is laid out as slots, as image_reference's is)."""
    rows = form_params(c.INSTRUCTION_EDIT)
    assert [r.attr for r in rows] == [
        "prompt",
        "prompt_extend",
        "seed",
        "watermark",
        "video",
        "ref_images",
        "negative_prompt",
        "resolution",
        "ratio",
        "duration",
        "audio_setting",
    ]
    own = [r for r in rows if r.attr not in ("prompt", "prompt_extend", "seed", "watermark")]
    controls = {r.attr: FieldControl(r) for r in own if r.kind != "media_list"}
    assert "MP4/MOV video" in controls["video"].control._text.placeholder
    assert controls["video"].control._upload.accept == ".mp4,.mov"
    assert controls["resolution"].control.options == (
        ("720P", "720P"),
        ("1080P (default)", "1080P"),
    )
    assert all(control.read() is None for control in controls.values())  # API defaults
    slot = FieldControl(dataclasses.replace(param(c.INSTRUCTION_EDIT, "ref_images"), kind="media"))
    assert slot.control._upload.accept == ".jpg,.jpeg,.png,.bmp,.webp"
