"""The client and the emulator read one contract (docs/api-contract.md).

A differential test: for generated bodies — valid ones, valid ones with one change, and
random ones, of VACE's five functions and of wan2.7-videoedit's instruction edit — the
client (``VaceRequest.from_payload`` and its validation) accepts exactly when the
emulator's validator (``check_submit``) accepts, except for the intended differences of
§14, written out below. And a fuzz of bad inputs: each is refused by the client with a
ValidationError and by the emulator with a JSON 400, both naming the field.

Each body names its family's model (the client reads a body by it, as the server does);
the emulator's answer to another region's model is tested apart.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import re
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wanvace_widgets as wv
from tests.helpers import HEADERS, SUBMIT
from wanvace_widgets.contract import constants as c
from wanvace_widgets.contract.families import all_functions, family_of, function_of_body
from wanvace_widgets.contract.param_checks import is_remote_url, url_problem
from wanvace_widgets.contract.params import FUNCTION_PARAMS, Param, param, params_of
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.emulator.validation import ApiFailure, check_submit

MODEL = "wan2.1-vace-plus"
EDIT27 = c.INSTRUCTION_EDIT
#: the models the emulator serves in Singapore
MODELS = (MODEL, c.EDIT27_MODEL)
ANCHORS = ("first_frame_url", "last_frame_url", "first_clip_url", "last_clip_url")

#: §14: where the client refuses what the server would silently change ...
CLIENT_STRICTER = {"a text over its length", "more than 3 reference images"}
#: ... and where it accepts what it changes itself before sending (it uploads the file)
CLIENT_LENIENT = {"a local path where a URL goes"}


def model_of(function: str) -> str:
    return family_of(function).model_name("intl")


def media_urls(body: dict, row: Param) -> object:
    """A media row's value(s) in a body: its field, or its entries of ``input.media``."""
    inp = body.get("input") or {}
    if row.place != "media":
        return inp.get(row.api_name)
    media = inp.get("media")
    entries = media if isinstance(media, list) else []
    return [e.get("url") for e in entries if isinstance(e, dict) and e.get("type") == row.api_name]


def intended_differences(body: dict) -> set[str]:
    """Which of the written differences a body holds."""
    inp = body.get("input") if isinstance(body, dict) else None
    function = function_of_body(body) if isinstance(body, dict) else None
    if not isinstance(inp, dict) or function is None:
        return set()
    found = set()
    for row in params_of(function):
        value = inp.get(row.api_name) if row.place == "input" else None
        if row.kind == "text" and isinstance(value, str) and len(value) > row.length[1]:
            found.add("a text over its length")
    refs = inp.get("ref_images_url")
    if function == "image_reference" and isinstance(refs, list) and len(refs) > 3:
        found.add("more than 3 reference images")
    for row in params_of(function):
        value = media_urls(body, row) if row.media else None
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip() and not is_remote_url(item):
                found.add("a local path where a URL goes")
    return found


@dataclass
class Verdict:
    ok: bool
    field: str | None = None  # the client's api_field, or the server's message
    text: str = ""


def client_verdict(body: object) -> Verdict:
    try:
        wv.VaceRequest.from_payload(copy.deepcopy(body))
    except wv.ValidationError as error:
        return Verdict(False, error.api_field, str(error))
    return Verdict(True)


def server_verdict(body: object) -> Verdict:
    try:
        check_submit(copy.deepcopy(body), model=MODELS, oss_resolve=True)
    except ApiFailure as failure:
        assert (failure.status, failure.code) == (400, "InvalidParameter"), failure.message
        return Verdict(False, None, failure.message)
    return Verdict(True)


NAMES_A_FIELD = re.compile(r"\b(input|parameters)\.\w+|\b(body|model|input|parameters)\b")


def compare(body: object) -> tuple[Verdict, Verdict]:
    client, server = client_verdict(body), server_verdict(body)
    if client.ok != server.ok:
        found = intended_differences(body)
        expected = CLIENT_STRICTER if server.ok else CLIENT_LENIENT
        assert found & expected, (
            f"client {'accepts' if client.ok else 'refuses'} and emulator "
            f"{'accepts' if server.ok else 'refuses'}: {body}\n{client.text}\n{server.text}"
        )
    if not client.ok and not server.ok:
        assert client.field, client.text
        assert NAMES_A_FIELD.search(server.text), server.text
    return client, server


# -- generated bodies -----------------------------------------------------------------------

hosts = st.builds(
    "{}{}".format,
    st.text("abcdefgh0123-", min_size=1, max_size=10),
    st.sampled_from(["", ".com", ".oss-cn.aliyuncs.com"]),
)
paths = st.text("abcXYZ019_.~%/-", max_size=24)
urls = st.builds(
    "{}://{}/{}".format, st.sampled_from(["http", "https", "oss", "HTTPS"]), hosts, paths
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def valid_value(row: Param) -> st.SearchStrategy:
    """A value the row's own rule takes, in JSON."""
    low, high = row.bounds
    if row.kind == "text":
        short = st.text(min_size=1, max_size=40).filter(str.strip)
        return short | st.integers(1, row.length[1]).map("字".__mul__)
    if row.kind == "boolean":
        return st.booleans()
    if row.kind == "integer" and row.zero_means:
        return st.just(0) | st.integers(int(low), int(high))
    if row.kind == "integer":
        return st.integers(int(low), int(high) if high is not None else int(low) + 10**6)
    if row.kind == "range":
        return st.floats(low, high) | st.integers(int(low), int(high))
    if row.kind == "choice":
        return st.sampled_from(row.allowed)
    if row.kind == "choice_list":
        return st.lists(st.sampled_from(row.choices), min_size=1, max_size=3)
    if row.kind == "media_list":
        return st.lists(urls, min_size=row.length[0], max_size=row.length[1])
    return st.lists(urls, min_size=1, max_size=1) if row.one_as_list else urls


def bad_values(row: Param) -> st.SearchStrategy:
    """Values the row's own rule refuses on both sides (never a local path: §14)."""
    low, high = row.bounds
    url = "https://e.com/a.png"
    if row.one_as_list:
        wrong = [[], [url, url], url, [5], [None], [""], ["ftp://x/a"], {}, 5]
    elif row.kind == "text":
        wrong = [123, True, [], {}, ["p"], "", "   ", "\n\t"]
    elif row.kind == "boolean":
        wrong = ["true", 1, 0, 1.0, [], {}, "no"]
    elif row.kind == "integer":
        wrong = [1.5, float(low), str(low), True, False, [], {}, [low], low - 1]
        wrong += [] if high is None else [high + 1, high * 10**6]
        wrong += [-1, 0.0] if row.zero_means else []
    elif row.kind == "range":
        wrong = [str(low), True, [], {}, [low], 10**400, -(10**400), low - 1, high + 1]
    elif row.kind == "choice":
        wrong = ["bogus", " depth", "DEPTH", 1, 0.5, [], {}, [row.choices[0]]]
    elif row.kind == "choice_list":
        wrong = ["obj", 1, {}, ["fg"], [1], [["obj"]], [None], [""]]
    elif row.kind == "media":
        wrong = [
            "",
            "  ",
            "ftp://e.com/a.png",
            "https://",
            "https:///a.png",
            "http://[::1/a",
            "https://例子.com/a.png",
            "https://e.com/\U00020000.png",
            "oss://",
            5,
            True,
            {},
            [url],
            [],
        ]
    elif row.place == "media":  # entries of input.media: one URL each (§17.3)
        wrong = [[5], [""], [url, "ftp://x/a.png"], {}, 5, [[url]], [url] * 5, ["https://"]]
    else:
        wrong = [url, [], [None], [5], [""], [url, "ftp://x/a.png"], {}, 5, [[url]]]
    out = [v for v in wrong if not (isinstance(v, str) and v in row.allowed)]
    if row.required:
        out.append(None)  # left out
    return st.sampled_from(out)


def _set(body: dict, row: Param, value: object) -> None:
    if row.place == "media":
        _set_media(body, row, value)
        return
    fields = body.setdefault(row.place, {})
    if value is None:
        fields.pop(row.api_name, None)
    else:
        fields[row.api_name] = value


def _set_media(body: dict, row: Param, value: object) -> None:
    """Replace a media row's entries of ``input.media``: one per URL of a list row's
    list, else one (whatever the value is)."""
    inp = body.setdefault("input", {})
    media = inp.get("media") if isinstance(inp.get("media"), list) else []
    kept = [e for e in media if not (isinstance(e, dict) and e.get("type") == row.api_name)]
    if value is not None:
        items = value if row.kind == "media_list" and isinstance(value, list) else [value]
        kept += [{"type": row.api_name, "url": item} for item in items]
    if kept:
        inp["media"] = kept
    else:
        inp.pop("media", None)


@st.composite
def valid_bodies(draw, function: str | None = None) -> dict:
    """A body both sides must accept: each row's own rule, then the rules between fields
    (§5–§9), written here a third time, by hand."""
    function = function or draw(st.sampled_from(all_functions()))
    inp = {"function": function} if function in c.FUNCTIONS else {}
    body: dict = {"model": model_of(function), "input": inp, "parameters": {}}
    for row in params_of(function):
        if row.kind != "choice_list" and (row.required or draw(st.booleans())):
            _set(body, row, draw(valid_value(row)))
    inp, params = body["input"], body["parameters"]
    if "media" in inp:  # the entries' order does not matter
        inp["media"] = draw(st.permutations(inp["media"]))
    if function == "image_reference":
        count = len(inp["ref_images_url"])
        if count > 1 or draw(st.booleans()):
            tags = ["obj"] * count
            if draw(st.booleans()):
                tags[draw(st.integers(0, count - 1))] = "bg"
            params["obj_or_bg"] = tags
    if function == "video_edit":
        keep, drop = draw(st.permutations(["mask_image_url", "mask_video_url"]))
        inp.pop(drop, None)
        inp.setdefault(keep, draw(urls))
    if function == "video_extension":
        if not any(a in inp for a in ANCHORS):
            inp[draw(st.sampled_from(ANCHORS))] = draw(urls)
        if "video_url" in inp and not params.get("control_condition"):
            params["control_condition"] = draw(st.sampled_from(c.EXTENSION_CONTROL_CONDITIONS))
    if not params and draw(st.booleans()):
        del body["parameters"]
    return body


@st.composite
def bad_field_cases(draw) -> tuple[dict, Param]:
    """A valid body with one field set to a value its own rule refuses."""
    body = draw(valid_bodies())
    row = draw(st.sampled_from(params_of(function_of_body(body))))
    _set(body, row, draw(bad_values(row)))
    return body, row


@st.composite
def one_change(draw) -> dict:
    """A valid body with one change: a field set to a bad, random or valid value, a field
    removed, another function's field added, a rule between fields broken, a long prompt,
    or a local path for a URL."""
    body = draw(valid_bodies())
    function = function_of_body(body)
    rows = params_of(function)
    changes = ["bad", "random", "valid", "drop", "foreign", "cross", "long", "local"]
    change = draw(st.sampled_from(changes))
    if change in ("bad", "random", "valid"):
        row = draw(st.sampled_from(rows))
        value = {"bad": bad_values, "random": lambda _: json_values, "valid": valid_value}[change](
            row
        )
        _set(body, row, draw(value))
    elif change == "drop":
        _set(body, draw(st.sampled_from(rows)), None)
    elif change == "foreign":
        others = [r for f in all_functions() if f != function for r in FUNCTION_PARAMS[f]]
        other = draw(st.sampled_from(others))
        if other.place == "media" or function == EDIT27 and other.attr in ("video", "ref_images"):
            other = param("video_edit", "mask_type")  # a foreign name, not one of its own
        _set(body, other, draw(valid_value(other) | json_values))
        if function == EDIT27 and draw(st.booleans()):
            body["input"]["function"] = draw(st.sampled_from(c.FUNCTIONS))  # not read (§17.1)
    elif change == "long":
        limit = param(function, "prompt").length[1]
        body["input"]["prompt"] = "a" * draw(st.integers(limit + 1, limit + 400))
    elif change == "local":
        row = draw(st.sampled_from([r for r in rows if r.media and media_urls(body, r)]))
        videos = ("video", "clip", "mask_video", "edit_video")
        path = "~/clip.mp4" if row.media in videos else "frame.png"
        _set(body, row, [path] if row.kind == "media_list" or row.one_as_list else path)
    else:
        _break_a_rule_between_fields(draw, body)
    return body


def _break_a_rule_between_fields(draw, body: dict) -> None:
    inp, params = body["input"], body.setdefault("parameters", {})
    function = function_of_body(body)
    if function == EDIT27:
        choice = draw(st.sampled_from(["no video", "two videos", "five images"]))
        video, refs = param(EDIT27, "video"), param(EDIT27, "ref_images")
        if choice == "no video":
            _set(body, video, None)
        elif choice == "two videos":
            inp["media"] = inp.get("media", []) + [{"type": "video", "url": draw(urls)}]
        else:
            _set(body, refs, draw(st.lists(urls, min_size=5, max_size=7)))
    elif function == "image_reference":
        refs = inp["ref_images_url"]
        choice = draw(st.sampled_from(["tags", "no tags", "two bg", "four"]))
        if choice == "tags":
            params["obj_or_bg"] = ["obj"] * draw(st.integers(0, 5))
        elif choice == "no tags":
            params.pop("obj_or_bg", None)
        elif choice == "two bg":
            params["obj_or_bg"] = ["bg"] * len(refs)
        else:
            inp["ref_images_url"] = refs + [draw(urls)] * (4 - len(refs) + draw(st.integers(0, 2)))
            params["obj_or_bg"] = ["obj"] * len(inp["ref_images_url"])
    elif function == "video_edit":
        if draw(st.booleans()):
            inp["mask_image_url"], inp["mask_video_url"] = draw(urls), draw(urls)
        else:
            inp.pop("mask_image_url", None), inp.pop("mask_video_url", None)
    elif function == "video_extension":
        if draw(st.booleans()):
            for anchor in ANCHORS:
                inp.pop(anchor, None)
        else:
            inp["video_url"] = draw(urls)
            params["control_condition"] = draw(st.sampled_from([None, "", "posebodyface"]))
    else:
        _set(body, param(function, "video"), None)  # the required video


@st.composite
def random_bodies(draw) -> object:
    """Anything: each field absent, valid, bad, random or a local path; sometimes a body
    whose envelope itself is broken."""
    if draw(st.integers(0, 9)) == 0:
        envelope = {
            "model": st.sampled_from(MODELS),
            "input": json_values,
            "parameters": json_values,
        }
        return draw(json_values | st.fixed_dictionaries(envelope))
    function = draw(st.sampled_from(all_functions()))
    inp = {"function": function} if function in c.FUNCTIONS else {}
    body: dict = {"model": model_of(function), "input": inp}
    if function == EDIT27 and draw(st.integers(0, 4)) == 0:
        body["input"]["media"] = draw(json_values)  # a malformed list, maybe
        return body
    for row in params_of(function):
        value = draw(
            st.none()
            | valid_value(row)
            | bad_values(row)
            | json_values
            | st.sampled_from(["clip.mp4", "frame.png", "~/a.jpg", "picture.gif"])
        )
        _set(body, row, value)
    return body


def test_valid_bodies_are_accepted_by_both_and_round_trip():
    @settings(max_examples=200, deadline=None)
    @given(valid_bodies())
    def check(body):
        client, server = compare(body)
        assert client.ok and server.ok, (client.text, server.text)
        again = wv.VaceRequest.from_payload(body).to_payload(body["model"])
        assert client_verdict(again).ok and server_verdict(again).ok

    check()


def test_client_and_emulator_agree_on_generated_bodies():
    outcomes = {(True, True): 0, (False, False): 0, (True, False): 0, (False, True): 0}
    edits = {(True, True): 0, (False, False): 0, (True, False): 0, (False, True): 0}

    @settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(valid_bodies(), one_change(), random_bodies()))
    def check(body):
        client, server = compare(body)
        outcomes[client.ok, server.ok] += 1
        if isinstance(body, dict) and body.get("model") == c.EDIT27_MODEL:
            edits[client.ok, server.ok] += 1

    check()
    # not vacuous: both sides accepted and refused many bodies, and each written
    # difference was met at least once; wan2.7-videoedit's bodies among them
    assert outcomes[True, True] >= 200 and outcomes[False, False] >= 200, outcomes
    assert outcomes[False, True] > 0 and outcomes[True, False] > 0, outcomes
    assert edits[True, True] >= 30 and edits[False, False] >= 30, edits


# -- the fuzz: bad inputs, each refused by both, naming the field --------------------------------


@pytest.fixture(scope="module")
def post_submit():
    """POST a body to an in-process emulator, from plain (non-async) code."""
    loop = asyncio.new_event_loop()
    app = create_app(EmulatorConfig())
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e")
    headers = {**HEADERS, "X-DashScope-OssResourceResolve": "enable"}
    yield lambda body: loop.run_until_complete(http.post(SUBMIT, json=body, headers=headers))
    loop.run_until_complete(http.aclose())
    loop.close()


def test_fuzz_bad_fields_are_refused_by_both_naming_the_field(post_submit):
    tried: list[tuple[str, str]] = []

    @settings(max_examples=1050, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(bad_field_cases())
    def check(case):
        body, row = case
        client = client_verdict(body)
        assert not client.ok and client.field == row.api_name, (row.path, body, client.text)
        answer = post_submit(body)
        assert answer.status_code == 400, (row.path, body, answer.text)
        error = answer.json()
        assert error["code"] == "InvalidParameter" and error["request_id"], error
        assert row.path in error["message"], (row.path, error["message"])
        tried.append((function_of_body(body), row.path))

    check()
    every_field = {(f, r.path) for f in all_functions() for r in params_of(f)}
    assert len(tried) >= 1000, len(tried)
    assert len(set(tried)) >= 0.9 * len(every_field), every_field - set(tried)


PYTHON_ONLY_BAD = [object(), {1, 2}, float("nan"), b"", ()]


def bad_python_values(row: Param) -> st.SearchStrategy:
    """What a Python user may pass that the row refuses: the JSON bad values (a list for a
    single media), and Python things JSON cannot hold."""
    is_list = row.kind in ("media_list", "choice_list")
    extra = [v for v in PYTHON_ONLY_BAD if not (is_list and v == ())]  # () is an empty list
    if row.kind in ("integer", "range", "boolean"):
        np = pytest.importorskip("numpy")
        extra += [np.bool_(True), np.str_("1"), np.float64("nan")]
        extra += [np.float32(0.5)] if row.kind == "integer" else []
    return bad_values(dataclasses.replace(row, one_as_list=False)) | st.sampled_from(extra)


@st.composite
def bad_python_cases(draw):
    body = draw(valid_bodies())
    request = wv.VaceRequest.from_payload(body)
    row = draw(st.sampled_from(params_of(request.function)))
    value = draw(bad_python_values(row))
    if row.kind == "choice_list" and isinstance(value, str) and value in row.choices:
        value = 5  # a single valid tag is a list of one in Python
    if row.kind == "media_list" and isinstance(value, str) and not url_problem(value):
        value = [value, 5]  # a single good URL is a list of one in Python
    return request, row, value


def test_fuzz_bad_python_values_are_refused_naming_the_field():
    tried = []

    @settings(max_examples=1050, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(bad_python_cases())
    def check(case):
        request, row, value = case
        kwargs = {f.name: getattr(request, f.name) for f in dataclasses.fields(request)}
        kwargs[row.attr] = value
        with pytest.raises(wv.ValidationError) as err:
            type(request)(**kwargs)
        assert (err.value.field, err.value.api_field) == (row.attr, row.api_name), str(err.value)
        tried.append(row.attr)

    check()
    assert len(tried) >= 1000, len(tried)
