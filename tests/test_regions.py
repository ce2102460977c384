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
