"""The benchmark command runs end to end on its tiny setting (no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(900)  # a busy machine (the subprocess has 600 s of its own)
def run_bench(*args: str) -> None:
    """Runs a benchmark script; if it fails, the failure shows its own traceback."""
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-4000:]


def test_benchmarks_run_on_a_tiny_setting(tmp_path):
    out = tmp_path / "benchmarks.md"
    run_bench(str(ROOT / "bench" / "run_benchmarks.py"), "--tiny", "--out", str(out))
    text = out.read_text()
    for section in (
        "1. Kernel responsiveness",
        "2. Batch makespan",
        "3. Detection latency",
        "4. Transfers",
        "5. Widget traffic",
        "6. Import and construction",
        "7. The emulator's render time",
    ):
        assert f"## {section}" in text
    assert "| 0 (all runs) |" in text  # no 429 reached the user of our client in the batch
    for row in ("wanvace-widgets, warm", "wanvace-widgets, cold", "SDK `AioVideoSynthesis.wait`"):
        assert f"| {row}" in text  # detection: both starts of ours and the SDK, in one run
    render_rows = [line for line in text.splitlines() if line.startswith(("| video_", "| image_"))]
    assert len(render_rows) == 5  # the emulator's render time, one row per function


def test_the_journal_benchmark_runs_once_and_reports_every_row(tmp_path):
    out = tmp_path / "journal.md"
    run_bench(str(ROOT / "bench" / "bench_journal.py"), "--runs", "1", "--out", str(out))
    rows = [line for line in out.read_text().splitlines() if line.startswith("| lock held")]
    assert len(rows) == 2 and rows[1].endswith("| 0 of 12 |")  # the journal loses nothing
