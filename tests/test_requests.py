"""The request models: every documented rule, the payload shape, and the seed example."""

import dataclasses
import json
import re
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wanvace_widgets as wv
from tests.vace_schema import SCHEMAS, cross_field_problems

SEED_FILE = Path(__file__).parent / "data" / "seed-wan2.1-vace-plus-request.sh"
IMG = "https://example.com/a.png"
IMG2 = "https://example.com/b.png"
VID = "https://example.com/v.mp4"


def _seed_body() -> dict:
    text = SEED_FILE.read_text()
    return json.loads(re.search(r"--data '(\{.*?\})'", text, re.S).group(1))


def test_seed_example_round_trips_exactly():
    seed = _seed_body()
    request = wv.ImageReference(
        prompt=seed["input"]["prompt"],
        ref_images=seed["input"]["ref_images_url"],
        obj_or_bg=["obj", "bg"],
        size="1280*720",
        prompt_extend=True,
    )
    assert request.to_payload("wan2.1-vace-plus") == seed
    assert wv.VaceRequest.from_payload(seed) == request


# -- shared fields -----------------------------------------------------------------------


@pytest.mark.parametrize("prompt", ["", "   ", None, "x" * 801])
def test_bad_prompt_is_rejected(prompt):
    with pytest.raises(wv.ValidationError) as err:
        wv.VideoOutpainting(prompt=prompt, video=VID)
    assert err.value.field == "prompt" and err.value.api_field == "prompt"


def test_prompt_of_800_characters_is_accepted_and_over_says_it_would_be_cut():
    assert wv.VideoOutpainting(prompt="字" * 800, video=VID).prompt == "字" * 800
    with pytest.raises(wv.ValidationError, match="801 characters.*first 800"):
        wv.VideoOutpainting(prompt="a" * 801, video=VID)


@pytest.mark.parametrize("seed", [-1, 2147483648, 1.5, True, "7"])
def test_bad_seed_is_rejected(seed):
    with pytest.raises(wv.ValidationError, match="seed"):
        wv.VideoOutpainting(prompt="p", video=VID, seed=seed)


@pytest.mark.parametrize("seed", [0, 2147483647])
def test_seed_edges_are_accepted(seed):
    body = wv.VideoOutpainting(prompt="p", video=VID, seed=seed).to_payload("wan2.1-vace-plus")
    assert body["parameters"]["seed"] == seed


@pytest.mark.parametrize("attr", ["prompt_extend", "watermark"])
def test_flags_must_be_booleans(attr):
    with pytest.raises(wv.ValidationError, match=attr):
        wv.VideoOutpainting(prompt="p", video=VID, **{attr: "yes"})


def test_unset_fields_are_left_out_so_api_defaults_apply():
    body = wv.VideoOutpainting(prompt="p", video=VID).to_payload("wan2.1-vace-plus")
    assert body == {
        "model": "wan2.1-vace-plus",
        "input": {"function": "video_outpainting", "prompt": "p", "video_url": VID},
    }


@pytest.mark.parametrize(
    "url, rule",
    [
        ("https://example.com/图片.png", "Chinese"),
        ("ftp://example.com/a.png", "ftp"),
        ("https://", "complete"),
        ("picture.gif", "jpg/jpeg/png"),
        ("", "URL"),
    ],
)
def test_bad_media_values_are_rejected(url, rule):
    with pytest.raises(wv.ValidationError, match=rule):
        wv.ImageReference(prompt="p", ref_images=[url])


def test_local_paths_and_bytes_are_kept_for_the_client_to_upload(tmp_path):
    local = tmp_path / "subject.png"
    request = wv.ImageReference(
        prompt="p", ref_images=[local, b"\x89PNG", IMG], obj_or_bg=["obj", "obj", "bg"]
    )
    items = request.media_inputs()
    assert [(m.field, m.api_field, m.index, m.is_local) for m in items] == [
        ("ref_images", "ref_images_url", 0, True),
        ("ref_images", "ref_images_url", 1, True),
        ("ref_images", "ref_images_url", 2, False),
    ]
    uploaded = request.with_media(
        {("ref_images", 0): "oss://x/a.png", ("ref_images", 1): "oss://x/b.png"}
    )
    assert uploaded.to_payload("m")["input"]["ref_images_url"] == [
        "oss://x/a.png",
        "oss://x/b.png",
        IMG,
    ]
    assert request.summary()["ref_images"] == [str(local), "<4 bytes>", IMG]
    with pytest.raises(wv.ValidationError, match="bytes"):
        request.to_payload("m")


def test_local_video_needs_mp4():
    with pytest.raises(wv.ValidationError, match="mp4"):
        wv.VideoOutpainting(prompt="p", video="clip.mov")


# -- image_reference ---------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 4])
def test_reference_image_count_outside_1_to_3_is_rejected(count):
    with pytest.raises(wv.ValidationError, match="1 to 3"):
        wv.ImageReference(prompt="p", ref_images=[IMG] * count, obj_or_bg=["obj"] * count)


def test_one_image_needs_no_tags_three_images_do():
    assert wv.ImageReference(prompt="p", ref_images=[IMG]).obj_or_bg is None
    with pytest.raises(wv.ValidationError, match="obj_or_bg.*required with 3"):
        wv.ImageReference(prompt="p", ref_images=[IMG] * 3)
    ok = wv.ImageReference(prompt="p", ref_images=[IMG] * 3, obj_or_bg=["obj", "obj", "bg"])
    assert ok.to_payload("m")["parameters"]["obj_or_bg"] == ["obj", "obj", "bg"]


@pytest.mark.parametrize(
    "tags, rule",
    [(["obj"], "2 entries"), (["bg", "bg"], "at most one 'bg'"), (["obj", "fg"], "'fg'")],
)
def test_obj_or_bg_rules(tags, rule):
    with pytest.raises(wv.ValidationError, match=rule) as err:
        wv.ImageReference(prompt="p", ref_images=[IMG, IMG2], obj_or_bg=tags)
    assert err.value.api_field == "obj_or_bg"


@pytest.mark.parametrize("size", ["1280x720", "1920*1080", "", 720])
def test_sizes_outside_the_five_are_rejected(size):
    with pytest.raises(wv.ValidationError, match="size"):
        wv.ImageReference(prompt="p", ref_images=[IMG], size=size)


def test_duration_is_fixed_at_5():
    assert wv.ImageReference(prompt="p", ref_images=[IMG], duration=5).duration == 5
    with pytest.raises(wv.ValidationError, match="fixed at 5"):
        wv.ImageReference(prompt="p", ref_images=[IMG], duration=4)


# -- video_repainting --------------------------------------------------------------------


def test_repainting_requires_video_and_control_condition():
    with pytest.raises(wv.ValidationError, match="video.*required"):
        wv.VideoRepainting(prompt="p", control_condition="depth")
    with pytest.raises(wv.ValidationError, match="control_condition.*required"):
        wv.VideoRepainting(prompt="p", video=VID)


@pytest.mark.parametrize("cond", ["posebodyface", "posebody", "depth", "scribble"])
def test_repainting_accepts_its_four_conditions(cond):
    body = wv.VideoRepainting(
        prompt="p", video=VID, control_condition=cond, ref_image=IMG
    ).to_payload("m")
    assert body["parameters"]["control_condition"] == cond
    assert body["input"]["ref_images_url"] == [IMG]


@pytest.mark.parametrize(
    "strength, ok", [(0.0, True), (1.0, True), (-0.01, False), (1.01, False), (float("nan"), False)]
)
def test_repainting_strength_range(strength, ok):
    def make():
        return wv.VideoRepainting(
            prompt="p", video=VID, control_condition="depth", strength=strength
        )

    if ok:
        assert make().strength == strength
    else:
        with pytest.raises(wv.ValidationError, match="strength"):
            make()


# -- video_edit --------------------------------------------------------------------------


def test_edit_needs_exactly_one_mask():
    with pytest.raises(wv.ValidationError, match="exactly one"):
        wv.VideoEdit(prompt="p", video=VID)
    with pytest.raises(wv.ValidationError, match="exactly one"):
        wv.VideoEdit(prompt="p", video=VID, mask_image=IMG, mask_video=VID)
    assert wv.VideoEdit(prompt="p", video=VID, mask_video=VID).mask_video == VID


def test_edit_mask_fields_go_where_the_reference_puts_them():
    body = wv.VideoEdit(
        prompt="p",
        video=VID,
        mask_image=IMG,
        mask_frame_id=3,
        mask_type="tracking",
        expand_ratio=0.1,
        expand_mode="bbox",
        control_condition="depth",
        size="960*960",
    ).to_payload("m")
    assert body["input"]["mask_frame_id"] == 3 and body["input"]["mask_image_url"] == IMG
    assert body["parameters"] == {
        "control_condition": "depth",
        "mask_type": "tracking",
        "expand_ratio": 0.1,
        "expand_mode": "bbox",
        "size": "960*960",
    }


@pytest.mark.parametrize(
    "frame, ok", [(1, True), (81, True), (0, False), (-1, False), (1.0, False)]
)
def test_edit_mask_frame_id_counts_from_1(frame, ok):
    def make():
        return wv.VideoEdit(prompt="p", video=VID, mask_image=IMG, mask_frame_id=frame)

    if ok:
        assert make().mask_frame_id == frame
    else:
        with pytest.raises(wv.ValidationError, match="mask_frame_id"):
            make()


def test_edit_control_condition_allows_only_two():
    with pytest.raises(wv.ValidationError, match="'posebodyface' or 'depth'"):
        wv.VideoEdit(prompt="p", video=VID, mask_image=IMG, control_condition="scribble")


@pytest.mark.parametrize(
    "attr, value, place",
    [
        ("mask_frame_id", 2, "input"),
        ("mask_type", "fixed", "parameters"),
        ("expand_ratio", 0.1, "parameters"),
        ("expand_mode", "bbox", "parameters"),
    ],
)
def test_image_mask_options_with_a_mask_video_are_sent_as_the_reference_allows(attr, value, place):
    """Contract §7: "used only when mask_image_url is set" says when they act, not a refusal."""
    body = wv.VideoEdit(prompt="p", video=VID, mask_video=VID, **{attr: value}).to_payload("m")
    assert body[place][attr] == value


def test_expand_options_with_a_fixed_mask_are_sent_and_still_bounded():
    body = wv.VideoEdit(
        prompt="p", video=VID, mask_image=IMG, mask_type="fixed", expand_ratio=0.2
    ).to_payload("m")
    assert body["parameters"] == {"mask_type": "fixed", "expand_ratio": 0.2}
    with pytest.raises(wv.ValidationError, match="expand_ratio"):
        wv.VideoEdit(prompt="p", video=VID, mask_image=IMG, expand_ratio=1.5)
    with pytest.raises(wv.ValidationError, match="expand_mode"):
        wv.VideoEdit(prompt="p", video=VID, mask_image=IMG, expand_mode="circle")


# -- video_extension ---------------------------------------------------------------------


def test_extension_needs_a_frame_or_clip():
    with pytest.raises(wv.ValidationError, match="at least one"):
        wv.VideoExtension(prompt="p")
    body = wv.VideoExtension(prompt="p", first_clip=VID, last_clip=VID).to_payload("m")
    assert body["input"]["first_clip_url"] == VID and body["input"]["last_clip_url"] == VID


@pytest.mark.parametrize("condition", [None, ""])
def test_extension_motion_video_needs_a_control_condition(condition):
    with pytest.raises(wv.ValidationError, match="control_condition.*required") as err:
        wv.VideoExtension(prompt="p", first_frame=IMG, video=VID, control_condition=condition)
    assert err.value.api_field == "control_condition"
    ok = wv.VideoExtension(prompt="p", first_frame=IMG, video=VID, control_condition="posebodyface")
    assert ok.to_payload("m")["parameters"] == {"control_condition": "posebodyface"}


def test_extension_control_condition_without_a_motion_video_is_sent():
    """Contract §8: the reference requires it with a video and forbids it nowhere."""
    body = wv.VideoExtension(prompt="p", first_frame=IMG, control_condition="depth").to_payload("m")
    assert body["parameters"] == {"control_condition": "depth"}


# -- video_outpainting -------------------------------------------------------------------


@pytest.mark.parametrize("side", ["top_scale", "bottom_scale", "left_scale", "right_scale"])
@pytest.mark.parametrize("value, ok", [(1.0, True), (2.0, True), (0.99, False), (2.01, False)])
def test_outpainting_scales_range(side, value, ok):
    def make():
        return wv.VideoOutpainting(prompt="p", video=VID, **{side: value})

    if ok:
        assert make().to_payload("m")["parameters"][side] == value
    else:
        with pytest.raises(wv.ValidationError, match=side):
            make()


def test_from_payload_rejects_unknown_function():
    with pytest.raises(wv.ValidationError, match="function"):
        wv.VaceRequest.from_payload(
            {"model": "m", "input": {"function": "text2video", "prompt": "p"}}
        )


def test_validation_error_names_field_value_and_rule():
    with pytest.raises(wv.ValidationError) as err:
        wv.VideoRepainting(prompt="p", video=VID, control_condition="canny")
    e = err.value
    assert (e.field, e.value) == ("control_condition", "canny")
    assert "must be one of 'posebodyface', 'posebody', 'depth' or 'scribble'" in str(e)
    assert isinstance(e, ValueError) and isinstance(e, wv.VaceError)


# -- property tests ------------------------------------------------------------------------

urls = st.builds(
    lambda host, name, ext: f"https://{host}.example.com/{name}{ext}",
    st.sampled_from(["cdn", "media"]),
    st.text("abcdef0123", min_size=1, max_size=8),
    st.sampled_from([".png", ".jpg"]),
)
videos = st.builds(
    lambda n: f"oss://dashscope-instant/x/{n}.mp4", st.text("abc123", min_size=1, max_size=6)
)
prompts = st.text(min_size=1, max_size=800).filter(lambda s: s.strip())
common = {
    "prompt": prompts,
    "seed": st.none() | st.integers(0, 2147483647),
    "prompt_extend": st.none() | st.booleans(),
    "watermark": st.none() | st.booleans(),
}
sizes = st.none() | st.sampled_from(["1280*720", "720*1280", "960*960", "832*1088", "1088*832"])
unit = st.none() | st.floats(0, 1)
scale = st.none() | st.floats(1, 2)


@st.composite
def image_references(draw):
    refs = draw(st.lists(urls, min_size=1, max_size=3))
    tags = draw(st.lists(st.just("obj"), min_size=len(refs), max_size=len(refs)))
    if draw(st.booleans()):
        tags[draw(st.integers(0, len(refs) - 1))] = "bg"
    omit = len(refs) == 1 and draw(st.booleans())
    return wv.ImageReference(
        ref_images=refs,
        obj_or_bg=None if omit else tags,
        size=draw(sizes),
        duration=draw(st.sampled_from([None, 5])),
        **{k: draw(v) for k, v in common.items()},
    )


@st.composite
def video_edits(draw):
    use_image = draw(st.booleans())
    tracking = draw(st.sampled_from([None, "tracking", "fixed"]))
    image_opts = {}
    if use_image:
        image_opts = {
            "mask_image": draw(urls),
            "mask_frame_id": draw(st.none() | st.integers(1, 200)),
            "mask_type": tracking,
        }
        if tracking != "fixed":
            image_opts |= {
                "expand_ratio": draw(unit),
                "expand_mode": draw(st.none() | st.sampled_from(["hull", "bbox", "original"])),
            }
    return wv.VideoEdit(
        video=draw(videos),
        ref_image=draw(st.none() | urls),
        mask_video=None if use_image else draw(videos),
        control_condition=draw(st.none() | st.sampled_from(["posebodyface", "depth", ""])),
        size=draw(sizes),
        **image_opts,
        **{k: draw(v) for k, v in common.items()},
    )


@st.composite
def video_extensions(draw):
    anchors = {
        "first_frame": draw(st.none() | urls),
        "last_frame": draw(st.none() | urls),
        "first_clip": draw(st.none() | videos),
        "last_clip": draw(st.none() | videos),
    }
    if not any(anchors.values()):
        anchors["first_frame"] = draw(urls)
    motion = draw(st.none() | videos)
    cond = draw(st.sampled_from(["posebodyface", "depth"])) if motion else None
    return wv.VideoExtension(
        video=motion, control_condition=cond, **anchors, **{k: draw(v) for k, v in common.items()}
    )


instruction_edits = st.builds(
    wv.InstructionEdit,
    prompt=st.none() | st.text(min_size=1, max_size=5000).filter(str.strip),
    negative_prompt=st.none() | st.text(min_size=1, max_size=500).filter(str.strip),
    video=videos,
    ref_images=st.none() | st.lists(urls, max_size=4).map(tuple),
    resolution=st.none() | st.sampled_from(["720P", "1080P"]),
    ratio=st.none() | st.sampled_from(["16:9", "9:16", "1:1", "4:3", "3:4"]),
    duration=st.none() | st.just(0) | st.integers(2, 10),
    audio_setting=st.none() | st.sampled_from(["auto", "origin"]),
    seed=common["seed"],
    prompt_extend=common["prompt_extend"],
    watermark=common["watermark"],
)

valid_requests = st.one_of(
    instruction_edits,
    image_references(),
    st.builds(
        wv.VideoRepainting,
        video=videos,
        ref_image=st.none() | urls,
        control_condition=st.sampled_from(["posebodyface", "posebody", "depth", "scribble"]),
        strength=unit,
        **common,
    ),
    video_edits(),
    video_extensions(),
    st.builds(
        wv.VideoOutpainting,
        video=videos,
        top_scale=scale,
        bottom_scale=scale,
        left_scale=scale,
        right_scale=scale,
        **common,
    ),
)


@settings(max_examples=300, deadline=None)
@given(valid_requests, st.sampled_from(["wan2.1-vace-plus", "wanx2.1-vace-plus"]))
def test_every_valid_request_yields_a_payload_the_reference_accepts(request, model):
    if request.function == "instruction_edit":
        model = "wan2.7-videoedit"  # one name in both regions
    body = request.to_payload(model)
    jsonschema.validate(body, SCHEMAS[request.function])
    assert cross_field_problems(body) == []
    assert wv.VaceRequest.from_payload(json.loads(json.dumps(body))) == request


_ALWAYS_INVALID = [
    ("seed", -5),
    ("seed", 2**31),
    ("prompt", "x" * 801),
    ("prompt", " "),
    ("watermark", 1),
]
#: per function, values that break one documented rule of that function
INVALID_OVERRIDES = {
    "image_reference": _ALWAYS_INVALID
    + [
        ("ref_images", ()),
        ("ref_images", (IMG,) * 4),
        ("obj_or_bg", ("bg", "bg", "bg")),
        ("size", "1920*1080"),
        ("duration", 10),
        ("ref_images", ("https://例子.com/a.png",)),
    ],
    "video_repainting": _ALWAYS_INVALID
    + [
        ("strength", 1.5),
        ("strength", -0.1),
        ("control_condition", "canny"),
        ("control_condition", None),
        ("video", None),
        ("ref_image", "file.gif"),
    ],
    "video_edit": _ALWAYS_INVALID
    + [
        ("control_condition", "scribble"),
        ("video", None),
        ("mask_image", None),
        ("mask_frame_id", 0),
        ("size", "1*1"),
        ("video", "https://例子.com/v.mp4"),
    ],
    "video_extension": _ALWAYS_INVALID
    + [
        ("control_condition", "posebody"),
        ("duration", 3),
        ("first_frame", "frame.mp4"),
    ],
    "instruction_edit": [
        ("seed", -5),
        ("watermark", 1),
        ("prompt", "x" * 5001),
        ("prompt", " "),
        ("negative_prompt", "n" * 501),
        ("video", None),
        ("video", "clip.avi"),
        ("ref_images", (IMG,) * 5),
        ("ref_images", ("https://例子.com/a.png",)),
        ("resolution", "480P"),
        ("ratio", "2:1"),
        ("duration", 1),
        ("duration", 11),
        ("audio_setting", "mute"),
    ],
    "video_outpainting": _ALWAYS_INVALID
    + [
        ("top_scale", 2.5),
        ("left_scale", 0.5),
        ("video", None),
        ("duration", 6),
    ],
}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_generated_invalid_values_are_always_rejected(data):
    base = data.draw(valid_requests)
    field, value = data.draw(st.sampled_from(INVALID_OVERRIDES[base.function]))
    kwargs = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    if field == "mask_image" and base.mask_image is None:
        kwargs["mask_image"] = IMG  # both masks given: also invalid
    else:
        kwargs[field] = value
    with pytest.raises(wv.ValidationError):
        type(base)(**kwargs)


def test_a_single_image_or_tag_is_taken_as_a_list_of_one():
    request = wv.ImageReference(prompt="p", ref_images=IMG, obj_or_bg="obj")
    assert request.ref_images == (IMG,) and request.obj_or_bg == ("obj",)
    assert request.to_payload("m")["input"]["ref_images_url"] == [IMG]


# -- findings of issue #11: each of these passed or crashed before the parameter table --------


NOT_A_LIST, REQUIRED = "one file, not a list", "is required"


@pytest.mark.parametrize(
    "make, field, rule",
    [
        (
            lambda: wv.VideoRepainting(prompt="p", video=[VID, VID], control_condition="depth"),
            "video",
            NOT_A_LIST,
        ),
        (
            lambda: wv.VideoRepainting(
                prompt="p", video=VID, ref_image=[IMG, IMG2], control_condition="depth"
            ),
            "ref_image",
            NOT_A_LIST,
        ),
        (
            lambda: wv.VideoRepainting(
                prompt="p", video=VID, ref_image=[IMG], control_condition="depth"
            ),
            "ref_image",
            NOT_A_LIST,
        ),
        (lambda: wv.VideoEdit(prompt="p", video=VID, mask_image=[]), "mask_image", NOT_A_LIST),
        (
            lambda: wv.VideoEdit(prompt="p", video=VID, mask_image=IMG, mask_video=()),
            "mask_video",
            NOT_A_LIST,
        ),
        (lambda: wv.VideoExtension(prompt="p", first_frame=[]), "first_frame", NOT_A_LIST),
        (lambda: wv.VideoOutpainting(prompt="p", video=(VID,)), "video", NOT_A_LIST),
        (lambda: wv.ImageReference(prompt="p", ref_images=None), "ref_images", REQUIRED),
        (lambda: wv.ImageReference(prompt="p"), "ref_images", REQUIRED),
        (lambda: wv.ImageReference(ref_images=[IMG]), "prompt", REQUIRED),
        (lambda: wv.VideoOutpainting(video=VID), "prompt", REQUIRED),
        (
            lambda: wv.VideoRepainting(prompt=None, video=VID, control_condition="depth"),
            "prompt",
            REQUIRED,
        ),
    ],
)
def test_lists_for_one_file_and_missing_values_are_validation_errors_naming_the_field(
    make, field, rule
):
    """Before: a list was sent as it was, an empty one counted as given, and a missing value
    raised TypeError."""
    with pytest.raises(wv.ValidationError, match=rule) as err:
        make()
    assert err.value.field == field


@pytest.mark.parametrize(
    "url",
    ["http://[::1/a.png", "https://[fe80::1%eth0/x.png", "oss://[/key.mp4", "https://]/a.png"],
)
def test_malformed_urls_are_validation_errors_not_bare_value_errors(url):
    with pytest.raises(wv.ValidationError) as err:
        wv.ImageReference(prompt="p", ref_images=[url])
    assert type(err.value) is wv.ValidationError and err.value.field == "ref_images"


@pytest.mark.parametrize("entry", [None, "", 5, b"", ["nested"]])
def test_every_entry_of_a_media_list_is_checked(entry):
    with pytest.raises(wv.ValidationError, match="entry 2") as err:
        wv.ImageReference(prompt="p", ref_images=[IMG, entry], obj_or_bg=["obj", "bg"])
    assert err.value.api_field == "ref_images_url"


def test_numpy_numbers_are_accepted_and_sent_as_plain_json_numbers():
    np = pytest.importorskip("numpy")
    request = wv.VideoEdit(
        prompt="p",
        video=VID,
        mask_image=IMG,
        mask_frame_id=np.int32(3),
        expand_ratio=np.float32(0.25),
        seed=np.int64(7),
        duration=np.uint8(5),
    )
    body = request.to_payload("m")
    assert (body["input"]["mask_frame_id"], body["parameters"]["seed"]) == (3, 7)
    assert type(body["parameters"]["seed"]) is int and type(body["parameters"]["duration"]) is int
    assert type(body["parameters"]["expand_ratio"]) is float
    assert json.loads(json.dumps(body))["parameters"]["expand_ratio"] == 0.25
    with pytest.raises(wv.ValidationError, match="seed"):
        wv.VideoOutpainting(prompt="p", video=VID, seed=np.bool_(True))
    with pytest.raises(wv.ValidationError, match="strength"):
        wv.VideoRepainting(
            prompt="p", video=VID, control_condition="depth", strength=np.float64("nan")
        )


@pytest.mark.parametrize("duration", [5.0, "5", True])
def test_duration_must_be_the_whole_number_5(duration):
    with pytest.raises(wv.ValidationError, match="duration"):
        wv.VideoOutpainting(prompt="p", video=VID, duration=duration)
    body = wv.VideoOutpainting(prompt="p", video=VID, duration=5).to_payload("m")
    assert json.dumps(body["parameters"]) == '{"duration": 5}'


@pytest.mark.parametrize(
    "char",
    [
        "\U00020000",  # CJK Extension B
        "\U0002a700",  # Extension C
        "\U00030000",  # Extension G
        "\u2f00",  # Kangxi radical "one"
        "\u2e80",  # CJK radicals supplement
        "\u3400",  # Extension A
        "\u4e2d",  # 中
        "\uff21",  # a full-width form
    ],
)
def test_urls_with_any_chinese_character_are_refused(char):
    with pytest.raises(wv.ValidationError, match="Chinese"):
        wv.ImageReference(prompt="p", ref_images=[f"https://example.com/{char}.png"])


def test_video_edit_takes_the_documented_default_control_condition():
    body = wv.VideoEdit(prompt="p", video=VID, mask_image=IMG, control_condition="").to_payload("m")
    assert body["parameters"] == {"control_condition": ""}
    with pytest.raises(wv.ValidationError, match="control_condition"):
        wv.VideoRepainting(prompt="p", video=VID, control_condition="")


def _body(function: str, params: object = None, **inp: object) -> dict:
    body: dict = {"input": {"function": function, "prompt": "p", **inp}}
    if params is not None:
        body["parameters"] = params
    return body


EDIT = {"video_url": VID, "mask_image_url": IMG}


@pytest.mark.parametrize(
    "body, field",
    [
        ([], "body"),
        ({"input": ["video_outpainting"]}, "input"),
        (_body("video_outpainting", "x"), "parameters"),
        (_body("video_outpainting", [1]), "parameters"),
        (_body(["video_edit"]), "function"),
        (_body("image_reference", ref_images_url=IMG), "ref_images"),
        (_body("image_reference", {"obj_or_bg": "obj"}, ref_images_url=[IMG]), "obj_or_bg"),
        (_body("video_edit", **EDIT, ref_images_url=[None]), "ref_image"),
        (_body("video_edit", **EDIT, ref_images_url=IMG), "ref_image"),
        (_body("video_edit", {"size": ["1280*720"]}, **EDIT), "size"),
        ({"input": {"function": "video_outpainting", "video_url": VID}}, "prompt"),
    ],
)
def test_from_payload_refuses_malformed_bodies_naming_the_field(body, field):
    with pytest.raises(wv.ValidationError) as err:
        wv.VaceRequest.from_payload(body)
    assert err.value.field == field


def test_from_payload_reads_null_as_left_out_and_ignores_unknown_fields():
    body = {
        "model": "m",
        "input": {
            "function": "video_outpainting",
            "prompt": "p",
            "video_url": VID,
            "extend_prompt": True,
        },
        "parameters": {"seed": None, "mask_type": "fixed"},
    }
    assert wv.VaceRequest.from_payload(body) == wv.VideoOutpainting(prompt="p", video=VID)


def test_to_payload_is_the_body_before_uploads(tmp_path):
    """Local paths stay local in to_payload: the client uploads them and swaps in oss:// URLs."""
    local = tmp_path / "clip.mp4"
    request = wv.VideoOutpainting(prompt="p", video=local)
    assert request.to_payload("m")["input"]["video_url"] == str(local)
    assert "before uploads" in wv.VaceRequest.to_payload.__doc__
    swapped = request.with_media({("video", None): "oss://dashscope-instant/x/clip.mp4"})
    assert swapped.to_payload("m")["input"]["video_url"] == "oss://dashscope-instant/x/clip.mp4"


def test_a_request_class_must_match_its_rows_of_the_table():
    from wanvace_widgets.contract.request_models import _from_table

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Drifted(wv.VideoOutpainting):
        zoom: float | None = None  # an attribute the table does not have

    with pytest.raises(TypeError, match="differ from the table"):
        _from_table(Drifted)


def test_docstrings_list_every_field_with_its_api_field():
    assert "``ref_image`` → input.ref_images_url (a list of one)" in wv.VideoEdit.__doc__
    assert "``video`` → input.video_url (required)" in wv.VideoOutpainting.__doc__


# -- local files: the checks the server makes after download, made before upload ---------------


def test_mask_frame_past_the_local_video_is_refused_before_upload(media):
    from wanvace_widgets.media.local_files import check_local_media

    # source.mp4: 3 s at 30 fps, so frames 1 … 91 (fps × seconds + 1, contract §7)
    ok = wv.VideoEdit(prompt="p", video=media["source"], mask_image=media["mask"], mask_frame_id=91)
    assert check_local_media(ok)
    for frame in (92, 500):
        request = dataclasses.replace(ok, mask_frame_id=frame)
        with pytest.raises(wv.ValidationError, match="past the video's last frame, 91") as err:
            check_local_media(request)
        assert err.value.field == "mask_frame_id"
    # with a mask video the frame is ignored by the server, so it is not checked
    assert check_local_media(
        wv.VideoEdit(
            prompt="p", video=media["source"], mask_video=media["source"], mask_frame_id=500
        )
    )


def test_a_small_mask_of_a_small_video_passes_the_local_check(tmp_path):
    """A mask image follows its video's resolution, not the 360–2000 px rule (contract §4.3)."""
    from wanvace_widgets.media.codec import encode_image, encode_mp4
    from wanvace_widgets.media.local_files import check_local_media

    np = pytest.importorskip("numpy")
    video, mask = tmp_path / "small.mp4", tmp_path / "small-mask.png"
    video.write_bytes(encode_mp4([np.zeros((240, 320, 3), np.uint8)] * 20, 20))
    mask.write_bytes(encode_image(np.full((240, 320, 3), 255, np.uint8)))
    assert check_local_media(wv.VideoEdit(prompt="p", video=video, mask_image=mask))
    with pytest.raises(wv.ValidationError, match="320x240.*360–2000"):
        check_local_media(
            wv.VideoRepainting(prompt="p", video=video, ref_image=mask, control_condition="depth")
        )


# -- wan2.7-videoedit: InstructionEdit (contract §17) ------------------------------------------

EDIT27_GUIDE = {
    "model": "wan2.7-videoedit",
    "input": {
        "prompt": "Convert the entire scene to a claymation style",
        "media": [{"type": "video", "url": VID}],
    },
    "parameters": {"resolution": "720P", "prompt_extend": True, "watermark": True},
}


def test_the_guide_s_body_round_trips_exactly():
    request = wv.InstructionEdit(
        prompt="Convert the entire scene to a claymation style",
        video=VID,
        resolution="720P",
        prompt_extend=True,
        watermark=True,
    )
    assert request.to_payload("wan2.7-videoedit") == EDIT27_GUIDE
    assert wv.VaceRequest.from_payload(EDIT27_GUIDE) == request
    assert request.family.key == "videoedit27" and request.function == "instruction_edit"


def test_every_field_goes_where_the_reference_puts_it():
    request = wv.InstructionEdit(
        prompt="dress her in the coat of image 1",
        negative_prompt="blurry",
        video=VID,
        ref_images=[IMG, IMG2],
        resolution="1080P",
        ratio="9:16",
        duration=0,
        audio_setting="origin",
        seed=3,
    )
    body = request.to_payload("wan2.7-videoedit")
    assert body["input"] == {
        "prompt": "dress her in the coat of image 1",
        "negative_prompt": "blurry",
        "media": [
            {"type": "video", "url": VID},
            {"type": "reference_image", "url": IMG},
            {"type": "reference_image", "url": IMG2},
        ],
    }
    assert body["parameters"] == {
        "resolution": "1080P",
        "ratio": "9:16",
        "duration": 0,
        "audio_setting": "origin",
        "seed": 3,
    }


def test_an_instruction_edit_needs_only_its_video():
    assert wv.InstructionEdit(video=VID).to_payload("m") == {
        "model": "m",
        "input": {"media": [{"type": "video", "url": VID}]},
    }
    with pytest.raises(wv.ValidationError, match="is required") as info:
        wv.InstructionEdit(prompt="p")
    assert (info.value.field, info.value.api_field) == ("video", "video")


@pytest.mark.parametrize(
    "fields, field, rule",
    [
        ({"prompt": "x" * 5001}, "prompt", "keeps only the first 5000"),
        ({"prompt": ""}, "prompt", "is blank"),
        ({"negative_prompt": "x" * 501}, "negative_prompt", "first 500"),
        ({"ref_images": [IMG] * 5}, "ref_images", "takes at most 4 images, got 5"),
        ({"ref_images": [IMG, "ftp://e.com/a.png"]}, "ref_images", "entry 2"),
        ({"ref_images": ["r.gif"]}, "ref_images", "jpg/jpeg/png/bmp/webp"),
        ({"video": [VID]}, "video", "takes one file, not a list"),
        ({"video": "clip.mkv"}, "video", "mp4/mov"),
        ({"resolution": "4K"}, "resolution", "'720P' or '1080P'"),
        ({"ratio": "adaptive"}, "ratio", "must be one of '16:9'"),
        ({"duration": 1}, "duration", "0 (the source's length) or between 2 and 10"),
        ({"duration": 12}, "duration", "between 2 and 10"),
        ({"duration": 2.5}, "duration", "whole number"),
        ({"audio_setting": "mute"}, "audio_setting", "'auto' or 'origin'"),
        ({"seed": 2**31}, "seed", "between 0 and 2147483647"),
    ],
)
def test_every_documented_rule_of_an_instruction_edit(fields, field, rule):
    with pytest.raises(wv.ValidationError, match=re.escape(rule)) as info:
        wv.InstructionEdit(**{"video": VID, **fields})
    assert info.value.field == field


def test_local_sources_and_a_single_reference_are_taken(tmp_path):
    request = wv.InstructionEdit(video=tmp_path / "clip.MOV", ref_images=IMG, duration=10)
    assert request.ref_images == (IMG,) and request.video == tmp_path / "clip.MOV"
    assert request.summary() == {
        "function": "instruction_edit",
        "video": str(tmp_path / "clip.MOV"),
        "ref_images": [IMG],
        "duration": 10,
    }
    assert [(m.field, m.api_field, m.index, m.kind) for m in request.media_inputs()] == [
        ("video", "video", None, "edit_video"),
        ("ref_images", "reference_image", 0, "edit_reference"),
    ]


@pytest.mark.parametrize(
    "fields, source, billed",
    [
        ({}, None, ("1080P", 20.0)),  # a remote source of unknown length: the longest
        ({}, 3.0, ("1080P", 6.0)),
        ({"duration": 2, "resolution": "720P"}, 3.0, ("720P", 4.0)),
        ({"duration": 4}, None, ("1080P", 8.0)),
        ({}, 12.0, ("1080P", 20.0)),
    ],
)
def test_the_most_a_job_may_bill_is_the_source_used_and_as_much_output(fields, source, billed):
    assert wv.InstructionEdit(video=VID, **fields).max_billed(source) == billed
    assert wv.VideoEdit(prompt="p", video=VID, mask_image=IMG).max_billed(3.0) == ("720P", 5.0)


@pytest.mark.parametrize(
    "body, field",
    [
        ({**EDIT27_GUIDE, "input": {"media": "v.mp4"}}, "media"),
        ({**EDIT27_GUIDE, "input": {"media": [{"type": "clip", "url": VID}]}}, "media"),
        (
            {**EDIT27_GUIDE, "input": {"media": [{"type": "video", "url": VID}] * 2}},
            "video",
        ),
        ({**EDIT27_GUIDE, "input": {"media": [{"url": VID}]}}, "media"),
        ({**EDIT27_GUIDE, "input": {"prompt": "p"}}, "video"),
    ],
)
def test_from_payload_reads_the_media_list_as_the_server_does(body, field):
    with pytest.raises(wv.ValidationError) as info:
        wv.VaceRequest.from_payload(body)
    assert info.value.field == field


def test_a_body_is_read_by_its_model_s_family():
    body = {**EDIT27_GUIDE, "input": {**EDIT27_GUIDE["input"], "function": "video_edit"}}
    assert isinstance(wv.VaceRequest.from_payload(body), wv.InstructionEdit)  # not read
    vace = {"input": {"function": "video_outpainting", "prompt": "p", "video_url": VID}}
    assert isinstance(wv.VaceRequest.from_payload(vace), wv.VideoOutpainting)
    assert isinstance(
        wv.VaceRequest.from_payload({**vace, "model": "wanx2.1-vace-plus"}), wv.VideoOutpainting
    )
