"""The team benchmark runs end to end on its tiny setting (no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_team_benchmark_runs_on_a_tiny_setting():
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_team.py"), "--tiny"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-800:] + run.stdout[-3000:]
    out = run.stdout
    rows = [line for line in out.splitlines() if line.startswith("| ") and "store" not in line]
    assert [row.split("|")[1].strip() for row in rows] == ["embedded (SQLite)", "Redis"]
    assert all(row.split("|")[5].strip() == "0" for row in rows), out  # no 429
