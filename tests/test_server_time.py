"""The servers' times are UTC+8 whatever the machine's zone (docs/api-contract.md §11.2):
one parser and one writer for all of them, tested in several real zones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wanvace_widgets.contract.server_time import (
    list_time,
    parse_list_time,
    parse_server_time,
    seconds_between,
)

ROOT = Path(__file__).resolve().parents[1]
#: 2026-11-25 10:00:00 UTC
INSTANT = 1_795_600_800.0


def test_server_texts_are_read_as_utc_plus_8():
    assert parse_server_time("2026-11-25 18:00:00.000") == INSTANT
    assert parse_server_time("2026-11-25 18:00:00") == INSTANT
    assert parse_server_time(" 2026-11-25 18:00:00.250 ") == INSTANT + 0.25
    assert list_time(INSTANT) == "20261125180000"


@pytest.mark.parametrize(
    "text", [None, 5, "yesterday", "2026-13-45 99:00:00.000", "2026-11-25T18:00:00Z", "x" * 41]
)
def test_what_is_not_a_server_time_is_none(text):
    assert parse_server_time(text) is None


@given(st.floats(min_value=0, max_value=4_000_000_000))
def test_a_list_time_reads_back_to_its_second(epoch):
    read = parse_list_time(list_time(epoch))
    assert read is not None and read == int(read)  # whole seconds
    assert -1e-6 <= epoch - read < 1  # its own second (datetime rounds to the microsecond)


@pytest.mark.parametrize(
    "text",
    [None, 20261125180000, "", "2026112518000", "202611251800000", "20261325180000",
     "2026-11-25 18:00", "２０２６１１２５１８００００", " 20261125180000"],
)
def test_what_is_not_a_list_time_is_none(text):
    assert parse_list_time(text) is None


def test_differences_need_no_zone_and_refuse_the_absurd():
    assert seconds_between("2025-05-15 16:14:44.723", "2025-05-15 16:20:09.389") == pytest.approx(
        324.666
    )
    assert seconds_between("2025-05-15 23:59:59.000", "2025-05-16 00:00:01.000") == 2.0
    assert seconds_between("2025-05-15 16:20:00.000", "2025-05-15 16:14:00.000") is None
    assert seconds_between("2025-05-15 10:00:00.000", "2025-05-15 13:00:01.000") is None
    assert seconds_between(1747296884, 1747296890) is None


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None, "now"])
def test_a_list_window_from_no_time_is_refused(bad):
    with pytest.raises(ValueError):
        list_time(bad)


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Shanghai", "Pacific/Kiritimati"]
)
def test_every_zone_writes_and_reads_the_same_instants(zone):
    script = (
        "import json\n"
        "from wanvace_widgets.contract.server_time import (\n"
        "    list_time, parse_list_time, parse_server_time, server_day)\n"
        "from wanvace_widgets.quota.local import today\n"
        f"print(json.dumps([list_time({INSTANT}), parse_server_time('2026-11-25 18:00:00.000'),"
        f" today({INSTANT + 7 * 3600}), parse_list_time('20261125180000'),"
        f" server_day({INSTANT + 7 * 3600})]))"
    )
    env = {**os.environ, "TZ": zone, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    # 17:00 UTC is the next day in the servers' zone: a team's budget day starts there, and
    # so does the emulator's upload folder's date
    assert json.loads(out) == ["20261125180000", INSTANT, "2026-11-26", INSTANT, "2026-11-26"]
