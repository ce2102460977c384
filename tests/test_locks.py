"""The locked environments (docs/environments.md): every lock pins every package with its
hashes, agrees with pyproject.toml's ranges (so a changed range without ./scripts/lock
fails here), the demo runs the versions the tests ran, and the environment these tests run
in is exactly its lock, as scripts/setup.sh promises."""

from __future__ import annotations

import os
import sysconfig
from importlib.metadata import distributions

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.lockfiles import LOCK_PYTHON, REQUIREMENTS, ROOT, read_lock

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def requirements_in(name: str) -> list[str]:
    """The requirement lines of requirements/NAME.in."""
    lines = (REQUIREMENTS / f"{name}.in").read_text().splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


#: each lock, and what it was resolved from (as scripts/lock says)
SOURCES = {
    "test": [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["test"]],
    "demo": [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["demo"]],
    "ipykernel6": [*PROJECT["dependencies"], *requirements_in("ipykernel6")],
}
for _sources in SOURCES.values():
    _sources += requirements_in("tools")


@pytest.mark.parametrize("name", [*SOURCES, "uv"])
def test_every_pin_is_exact_and_has_its_hashes(name):
    lock = read_lock(REQUIREMENTS / f"{name}.txt")
    assert lock.options == ()  # nothing unhashed, such as an editable install
    assert lock.pins
    for pin in lock.pins:
        assert pin.hashes and all(h.startswith("sha256:") for h in pin.hashes), pin


@pytest.mark.parametrize("name", SOURCES)
def test_the_lock_satisfies_what_it_was_made_from(name):
    """For this Python and platform, each requirement has a pin within its range."""
    pinned = read_lock(REQUIREMENTS / f"{name}.txt").here()
    for line in SOURCES[name]:
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate():
            continue
        version = pinned.get(canonicalize_name(requirement.name))
        assert version and requirement.specifier.contains(version, prereleases=True), (
            f"{name}.txt pins {requirement.name} {version}, outside {requirement}: "
            "run ./scripts/lock"
        )


def test_the_ipykernel6_lock_is_on_ipykernel_6_and_the_test_lock_is_not():
    assert read_lock(REQUIREMENTS / "ipykernel6.txt").here()["ipykernel"].startswith("6.")
    assert not read_lock(REQUIREMENTS / "test.txt").here()["ipykernel"].startswith("6.")


def test_the_demo_runs_the_versions_the_tests_ran():
    test = {
        (p.name, p.marker and str(p.marker)): p.version
        for p in read_lock(REQUIREMENTS / "test.txt").pins
    }
    for pin in read_lock(REQUIREMENTS / "demo.txt").pins:
        key = (pin.name, pin.marker and str(pin.marker))
        if key in test:
            assert pin.version == test[key], pin


def test_the_locks_are_for_the_python_ci_has_and_newer():
    for name in [*SOURCES, "uv"]:
        header = (REQUIREMENTS / f"{name}.txt").read_text().splitlines()[:2]
        assert header[1].strip("# ") == "./scripts/lock", header
    assert LOCK_PYTHON == "3.11"
    lowest_python_in_lock = {
        str(m) for p in read_lock(REQUIREMENTS / "test.txt").pins if (m := p.marker)
    }
    assert not any("python_full_version < '3.11'" in m for m in lowest_python_in_lock)


@pytest.mark.skipif(
    os.environ.get("WANVACE_RESOLUTION") == "latest",
    reason="./scripts/test --latest: this environment is the newest releases, not the lock",
)
def test_this_environment_is_exactly_the_test_lock():
    """scripts/setup.sh test installs requirements/test.txt and nothing else (besides the
    checkout): what CI passed with is what a fresh clone gets."""
    folders = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    installed = {
        canonicalize_name(d.metadata["Name"]): d.version for d in distributions(path=folders)
    }
    assert installed.pop("wanvace-widgets") == PROJECT["version"]
    assert installed == read_lock(REQUIREMENTS / "test.txt").here()
