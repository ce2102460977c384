"""Which store, which user, which budget: every value read from the environment, and a
clear ConfigurationError (without any password) for every bad one."""

from __future__ import annotations

import sys

import pytest

import wanvace_widgets as wv
from wanvace_widgets.apps import backend
from wanvace_widgets.clock import ManualClock
from wanvace_widgets.errors import ConfigurationError
from wanvace_widgets.quota import (
    LocalQuota,
    SqliteQuota,
    daily_budget_usd,
    quota_scope,
    quota_store_from_environment,
    quota_user,
)
from wanvace_widgets.quota import (
    choice as config,
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


# -- every bad setting fails when the client is made, and shows no password -------------------

PASSWORD = "pa55-Secret-Word"
BAD_SETTINGS = {
    "a quota URL with a space and a port that is no number": (
        "WANVACE_QUOTA_URL",
        f"redis://user:pa ss{PASSWORD}@host:notaport/x",
    ),
    "a quota URL cut short": ("WANVACE_QUOTA_URL", f"redis://:{PASSWORD}@[::1"),
    "a quota URL of an unknown scheme": ("WANVACE_QUOTA_URL", f"postgres://u:{PASSWORD}@db/x"),
    "a quota URL with a bad option": (
        "WANVACE_QUOTA_URL",
        f"redis://:{PASSWORD}@127.0.0.1:6379/0?socket_timeout=soon",
    ),
    "a relative SQLite file": ("WANVACE_QUOTA_URL", "sqlite:relative.db"),
    "a user name with a space": ("WANVACE_USER", "a b"),
    "a hub user name with markup": ("JUPYTERHUB_USER", "<script>"),
    "an account name with a space": ("WANVACE_QUOTA_ACCOUNT", "physics 101"),
    "a budget in words": ("WANVACE_DAILY_BUDGET_USD", "five"),
    "a region that is none": ("WANVACE_REGION", "mars"),
    "a base URL that is no URL": ("WANVACE_BASE_URL", "ftp://x"),
    "a base URL with a password": (
        "WANVACE_BASE_URL",
        f"https://me:{PASSWORD}@dashscope.example:notaport",
    ),
}


@pytest.fixture(params=BAD_SETTINGS.values(), ids=list(BAD_SETTINGS))
def bad_setting(request, monkeypatch, tmp_path):
    """One bad value in the environment, with a key and no other quota setting; yields the
    variable's name (the value stays out of the test's own frame)."""
    variable, value = request.param
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test-key")
    for name in ("WANVACE_REGION", "WANVACE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WANVACE_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv(variable, value)
    yield variable
    backend.reset_default_client()


def _texts_reachable_from(error: BaseException):
    """str and repr of the error and everything it chains to, and every local of every
    frame of their tracebacks (its repr, its attributes) but the test's own frame."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(vars(current))
        tb = current.__traceback__
        tb = tb.tb_next if current is error and tb is not None else tb  # skip the test's frame
        while tb is not None:
            yield f"frame {tb.tb_frame.f_code.co_name}"
            for name, value in tb.tb_frame.f_locals.items():
                yield f"{name}={value!r}"
                if hasattr(value, "__dict__"):
                    yield repr(vars(value))
            tb = tb.tb_next
        todo += [current.__cause__, current.__context__]


def test_a_bad_setting_is_a_configuration_error_when_the_client_is_made(bad_setting):
    with pytest.raises(ConfigurationError) as err:
        backend.reset_default_client()
        wv.default_client()  # reads every variable, as the widgets' shared client does
    assert bad_setting in str(err.value)
    assert err.value.__context__ is None and err.value.__cause__ is None
    texts = list(_texts_reachable_from(err.value))
    assert "frame default_client" in texts  # the walk went through the library's frames
    for text in texts:
        assert PASSWORD not in text and "pa%20ss" not in text


def test_a_bad_name_or_budget_given_as_an_argument_is_refused_too():
    with pytest.raises(ConfigurationError, match="user="):
        wv.VaceClient(api_key="sk-test-key", journal=False, user="<b>")
    with pytest.raises(ConfigurationError, match="daily_budget_usd"):
        wv.VaceClient(api_key="sk-test-key", journal=False, user="ada", daily_budget_usd=-1)
    with pytest.raises(ConfigurationError, match="max_download_bytes"):
        wv.VaceClient(api_key="sk-test-key", journal=False, user="ada", max_download_bytes=0)


async def test_a_store_that_needs_the_key_is_made_before_any_task(monkeypatch, tmp_path):
    monkeypatch.setenv("WANVACE_QUOTA_URL", f"redis://:{PASSWORD}@127.0.0.1:1/0")
    made = []

    def fail(self, **options):
        made.append(options["api_key"])
        raise ConfigurationError("this store cannot be made")

    monkeypatch.setattr(config.QuotaChoice, "store", fail)
    client = wv.VaceClient(api_key="sk-test-key", journal=False, results_dir=tmp_path)
    assert "***" in repr(client._quota_choice) and PASSWORD not in repr(client._quota_choice)
    with pytest.raises(ConfigurationError, match="cannot be made"):
        client.enqueue(wv.VideoOutpainting(prompt="wide", video="https://x.example/v.mp4"))
    assert made == ["sk-test-key"] and client.tasks == []
    await client.aclose()
