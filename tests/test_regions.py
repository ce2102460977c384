"""Regions: host, model and region travel together."""

import pytest

import wanvace_widgets as wv


def test_intl_and_cn_have_their_own_host_and_model():
    intl, cn = wv.resolve_endpoint("intl"), wv.resolve_endpoint("cn")
    assert (intl.host, intl.model) == ("dashscope-intl.aliyuncs.com", "wan2.1-vace-plus")
    assert (cn.host, cn.model) == ("dashscope.aliyuncs.com", "wanx2.1-vace-plus")
    assert intl.url("/api/v1/tasks/x") == "https://dashscope-intl.aliyuncs.com/api/v1/tasks/x"


def test_aliases_and_custom_base_urls():
    assert wv.resolve_endpoint("Beijing").region == "cn"
    emu = wv.resolve_endpoint(None, "http://127.0.0.1:8765/api/v1/")
    assert (emu.region, emu.base_url, emu.model) == (
        "custom",
        "http://127.0.0.1:8765",
        "wan2.1-vace-plus",
    )
    ws = wv.resolve_endpoint("cn", "https://ws1.cn-beijing.maas.aliyuncs.com")
    assert (ws.region, ws.model) == ("cn", "wanx2.1-vace-plus")
    assert wv.resolve_endpoint("intl", model="my-model").model == "my-model"


@pytest.mark.parametrize(
    "region, base_url", [("mars", None), ("intl", "ftp://x"), ("intl", "nohost")]
)
def test_bad_configuration_is_a_clear_error(region, base_url):
    with pytest.raises(wv.ConfigurationError):
        wv.resolve_endpoint(region, base_url)


def test_both_families_have_their_model_in_each_region():
    intl, cn = wv.resolve_endpoint("intl"), wv.resolve_endpoint("cn")
    assert intl.model_for("videoedit27") == cn.model_for("videoedit27") == "wan2.7-videoedit"
    assert (intl.model_for("vace"), cn.model_for("vace")) == (
        "wan2.1-vace-plus",
        "wanx2.1-vace-plus",
    )
    renamed = wv.resolve_endpoint("intl", model="wan2.7-videoedit")
    assert renamed.model == "wan2.1-vace-plus"  # a known name renames its own family only


@pytest.mark.parametrize(
    "region, host",
    [
        ("intl", "ws-12_ab.ap-southeast-1.maas.aliyuncs.com"),
        ("singapore", "ws-12_ab.ap-southeast-1.maas.aliyuncs.com"),
        ("cn", "ws-12_ab.cn-beijing.maas.aliyuncs.com"),
    ],
)
def test_a_workspace_id_builds_the_workspace_host(region, host):
    endpoint = wv.resolve_endpoint(region, workspace_id="ws-12_ab")
    assert endpoint.host == host and endpoint.base_url == f"https://{host}"
    assert endpoint.region in ("intl", "cn") and endpoint.model_for("videoedit27")


@pytest.mark.parametrize(
    "workspace_id",
    [
        "",
        "-ws",
        "a" * 65,
        "evil.com/x",
        "evil.com#",
        "ws@evil.com",
        "ws:8080",
        "ws\n",
        "ws x",
        "工作区",
        "../x",
    ],
)
def test_a_workspace_id_can_never_name_another_host(workspace_id):
    with pytest.raises(wv.ConfigurationError, match="workspace id"):
        wv.resolve_endpoint("intl", workspace_id=workspace_id)


def test_a_workspace_id_goes_with_a_region_not_a_base_url():
    with pytest.raises(wv.ConfigurationError, match="not both"):
        wv.resolve_endpoint("intl", "https://gateway.example", workspace_id="ws1")


def test_the_sdk_variable_picks_singapore_s_workspace_host(monkeypatch):
    monkeypatch.setenv("DASHSCOPE_WORKSPACE_ID", "ws-env")
    client = wv.VaceClient(api_key="k", journal=False)
    assert client.host == "ws-env.ap-southeast-1.maas.aliyuncs.com"
    beijing = wv.VaceClient(api_key="k", region="cn", journal=False)
    assert beijing.host == "dashscope.aliyuncs.com"  # as the SDK: Singapore only
    explicit = wv.VaceClient(api_key="k", region="cn", workspace_id="ws-cn", journal=False)
    assert explicit.host == "ws-cn.cn-beijing.maas.aliyuncs.com"
    emulator = wv.VaceClient(api_key="k", base_url="http://127.0.0.1:9", journal=False)
    assert emulator.host == "127.0.0.1:9"  # a base URL wins over the variable
    monkeypatch.setenv("DASHSCOPE_WORKSPACE_ID", "bad/host")
    with pytest.raises(wv.ConfigurationError, match="workspace id"):
        wv.VaceClient(api_key="k", journal=False)
    monkeypatch.delenv("DASHSCOPE_WORKSPACE_ID")
    assert wv.VaceClient(api_key="k", journal=False).host == "dashscope-intl.aliyuncs.com"
