"""Benchmarks that nothing runs rot: each one runs here for a second at a tiny size. Only
that it runs and reports is asserted (its figures belong to RELIABILITY.md and
bench/RESULTS.md, measured on a quiet machine, never asserted in a test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_query_flood_bench_runs_and_reports_its_figures():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "query_flood.py"), "--json"]
        + ["--seconds", "1", "--b-rate", "5", "--a-loops", "1", "--a-bytes", "200000"]
        + ["--warmup", "0.5"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["b_non_200"] == 0
    assert figures["quiet_p50_ms"] > 0
    assert {"over_cap_p50_ratio", "under_cap_p50_ratio"} <= figures.keys()
    # A's over-cap documents were refused (413 once the bucket could pay, else 429).
    assert set(figures["over_cap_a_statuses"]) <= {"413", "429", "0"}
    assert figures["over_cap_a_statuses"]
