"""Which store, which user, which budget: every value read from the environment, and a
clear ConfigurationError (without any password) for every bad one."""

from __future__ import annotations

import sys

import pytest

from wanvace_widgets.clock import ManualClock
from wanvace_widgets.errors import ConfigurationError
from wanvace_widgets.quota import (
    LocalQuota,
    SqliteQuota,
    config,
    daily_budget_usd,
    quota_scope,
    quota_store_from_environment,
    quota_user,
)
from wanvace_widgets.quota.redis import RedisQuota

MODEL = "wan2.1-vace-plus"
KEY = "sk-0123456789abcdef"
VARIABLES = ["WANVACE_QUOTA_URL", "WANVACE_QUOTA_ACCOUNT", "WANVACE_USER", "JUPYTERHUB_USER"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in [*VARIABLES, "WANVACE_DAILY_BUDGET_USD"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WANVACE_HOME", str(tmp_path / "home"))


def store(url=None, **options):
    return quota_store_from_environment(model=MODEL, api_key=KEY, url=url, **options)


@pytest.mark.parametrize("url", [None, "", "  ", "sqlite:", "sqlite://", "SQLITE:"])
def test_the_embedded_store_in_wanvace_home_is_the_default(monkeypatch, tmp_path, url):
    if url is not None:
        monkeypatch.setenv("WANVACE_QUOTA_URL", url)
    quota = store()
    assert isinstance(quota, SqliteQuota)
    assert quota.path == tmp_path / "home" / "quota.sqlite3"
    assert quota.scope == quota_scope(MODEL, KEY)
    assert not quota.path.exists()  # nothing is touched until the first job


def test_each_url_selects_its_store(monkeypatch, tmp_path):
    assert isinstance(store("memory:"), LocalQuota)
    quota = store(f"sqlite://{tmp_path}/team/q.sqlite3", lease_ttl_s=7)
    assert isinstance(quota, SqliteQuota) and quota.path == tmp_path / "team" / "q.sqlite3"
    assert quota.lease_ttl_s == 7
    monkeypatch.setenv("WANVACE_QUOTA_URL", "redis://127.0.0.1:1/3")
    quota = store(clock=ManualClock())  # connects on first use only
    assert isinstance(quota, RedisQuota) and repr(quota).startswith(
        "RedisQuota(redis 127.0.0.1:1/3"
    )
    assert quota._server_time  # a team's machines share the server's clock, not the client's
    assert isinstance(store("memory:"), LocalQuota)  # an argument wins over the environment


@pytest.mark.parametrize(
    "url",
    [
        "ftp://host/x",
        "postgres://u:hunter2@db/x",
        "sqlite:relative.db",
        "sqlite://host/x.db",
        "sqlite:///x.db?mode=ro",
        "redis://:hunter2@127.0.0.1:notaport/0",
        "redis://:hunter2@127.0.0.1:6379/0?socket_timeout=soon",
        "redis://:hunter2@[::1/0",
        "C:\\Users\\me\\quota.db",
    ],
)
def test_a_bad_url_is_a_configuration_error_without_the_password(url):
    with pytest.raises(ConfigurationError, match="WANVACE_QUOTA_URL") as err:
        store(url)
    text = str(err.value) + repr(err.value)
    assert "hunter2" not in text
    assert err.value.__context__ is None or "hunter2" not in str(err.value.__context__)


def test_redis_without_the_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.delitem(sys.modules, "wanvace_widgets.quota.redis")
    with pytest.raises(ConfigurationError, match=r"wanvace-widgets\[team\]") as err:
        store("redis://:hunter2@127.0.0.1:6379/0")
    assert "hunter2" not in str(err.value)


def test_redact_url_hides_passwords():
    assert config.redact_url("redis://me:pw@h:1/0") == "redis://me:***@h:1/0"
    assert config.redact_url("redis://h:1/0?password=pw&db=2") == "redis://h:1/0?password=***&db=2"
    assert config.redact_url("redis://:pw@[::1/0") == "redis:…"


def test_the_scope_is_shared_by_one_key_and_hides_it(monkeypatch):
    scope = quota_scope(MODEL, KEY)
    assert scope == quota_scope(MODEL, KEY) != quota_scope(MODEL, KEY + "x")
    assert scope.endswith("/" + MODEL) and KEY not in scope and "0123456789" not in scope
    assert quota_scope("wanx2.1-vace-plus", KEY) != scope  # each model has its own quota
    monkeypatch.setenv("WANVACE_QUOTA_ACCOUNT", "physics-101")
    assert quota_scope(MODEL, "another-key") == "physics-101/" + MODEL
    monkeypatch.setenv("WANVACE_QUOTA_ACCOUNT", "a b")
    with pytest.raises(ConfigurationError, match="WANVACE_QUOTA_ACCOUNT"):
        quota_scope(MODEL, KEY)


def test_the_user_name_comes_from_wanvace_then_jupyterhub_then_the_login(monkeypatch):
    monkeypatch.setattr(config.getpass, "getuser", lambda: "login")
    assert quota_user() == "login"
    monkeypatch.setenv("JUPYTERHUB_USER", "ada@uni.edu")
    assert quota_user() == "ada@uni.edu"
    monkeypatch.setenv("WANVACE_USER", "  Grace.H  ")
    assert quota_user() == "Grace.H"
    monkeypatch.setenv("WANVACE_USER", "")  # empty: the next source
    assert quota_user() == "ada@uni.edu"


@pytest.mark.parametrize("name", ["a b", "<script>", "x" * 65, "tab\there", "semi;colon"])
def test_a_user_name_that_cannot_be_shown_is_refused(monkeypatch, name):
    monkeypatch.setenv("WANVACE_USER", name)
    with pytest.raises(ConfigurationError, match="WANVACE_USER"):
        quota_user()


def test_no_user_name_at_all_says_what_to_set(monkeypatch):
    def no_login():
        raise KeyError("getpwuid(): uid not found: 1000")

    monkeypatch.setattr(config.getpass, "getuser", no_login)
    with pytest.raises(ConfigurationError, match="set WANVACE_USER"):
        quota_user()


@pytest.mark.parametrize(
    ("text", "budget"), [("", None), (" ", None), ("5", 5.0), ("2.50", 2.5), ("0", 0.0)]
)
def test_the_daily_budget(monkeypatch, text, budget):
    monkeypatch.setenv("WANVACE_DAILY_BUDGET_USD", text)
    assert daily_budget_usd() == budget


def test_no_budget_when_unset():
    assert daily_budget_usd() is None


@pytest.mark.parametrize("text", ["five", "-1", "nan", "inf", "1e999", "$5", "5 USD"])
def test_a_bad_budget_is_refused(monkeypatch, text):
    monkeypatch.setenv("WANVACE_DAILY_BUDGET_USD", text)
    with pytest.raises(ConfigurationError, match="WANVACE_DAILY_BUDGET_USD"):
        daily_budget_usd()
