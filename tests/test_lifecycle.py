"""The state machine: its table is consistent, and docs/lifecycle.md says what it does."""

from __future__ import annotations

import re
from pathlib import Path

from wanvace_widgets.jobs import lifecycle as s

DOC = (Path(__file__).parents[1] / "docs" / "lifecycle.md").read_text()


def _reachable(start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in s.TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_state_is_reachable_and_every_job_can_end():
    assert _reachable(s.QUEUED) == set(s.STATES)
    for name in s.STATES:
        assert _reachable(name) & s.ENDED, f"{name} can never end"


def test_ended_states_move_only_by_reconcile():
    for name in s.ENDED:
        exits = s.TRANSITIONS[name]
        assert not exits or name == s.UNCONFIRMED, name
    assert s.TRANSITIONS[s.UNCONFIRMED] <= {s.PENDING, s.RUNNING} | s.ENDED


def test_slots_are_held_exactly_while_the_job_can_run():
    holding = {name for name, state in s.STATES.items() if state.holds_slot}
    assert holding == {s.UPLOADING, s.SUBMITTING, s.PENDING, s.RUNNING}
    assert not holding & s.ENDED


def test_allowed_refuses_backward_and_unknown_moves():
    assert s.allowed(s.RUNNING, s.RUNNING)
    assert not s.allowed(s.RUNNING, s.PENDING)
    assert not s.allowed(s.SUCCEEDED, s.FAILED)
    assert not s.allowed(s.QUEUED, s.SUCCEEDED)
    assert not s.allowed("NOT-A-STATE", s.PENDING)


def test_every_move_drawn_in_the_doc_is_allowed():
    diagram = DOC.split("```mermaid")[1].split("```")[0]
    edges = re.findall(r"^\s*(\w+) --> (\w+)", diagram, re.M)
    assert len(edges) > 15
    for old, new in edges:
        if old != "[*]" and new != "[*]":
            assert s.allowed(old, new), f"the doc draws {old} → {new}"


def test_the_doc_table_lists_every_state_as_the_code_does():
    rows = dict(re.findall(r"^\| (\w+) \| [^|]+ \| (yes|no[^|]*) \|", DOC, re.M))
    assert set(rows) == set(s.STATES)
    for name, holds in rows.items():
        assert (holds == "yes") == s.STATES[name].holds_slot, name
