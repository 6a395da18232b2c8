"""Indemnity calculations per second in the pure core (domain.rules.indemnity, FI-C3,
TR-S2, FI-R1, FI-C2), and the deadline derivation for comparison. Not a test: prints
figures to quote.

    .venv/bin/python bench/indemnity.py [--calls 200000] [--repeat 3]

Each function is timed with time.perf_counter over `--calls` calls (arguments built
once, outside the loop), `--repeat` times; the best run is reported (the least disturbed
by other processes on the machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.rules.deadlines import CoverFacts, deadlines  # noqa: E402
from domain.rules.indemnity import (  # noqa: E402
    fi_indemnity,
    payable_by,
    recovery_split,
    tr_indemnity,
)

D = Decimal
FI_ARGS = (D("12100.00"), D("1000.00"), D("9000.00"))
TR_ARGS = (D("1500.00"), D("200.00"), D("1500.00"))
RECOVERY_ARGS = (D("100.05"), D("90"))
NOTIFIED = date(2026, 12, 31)
TR_CLAIM = CoverFacts(
    product="TRANSPORT_INVOICE",
    bound_on=date(2025, 3, 3),
    loaded_on=date(2025, 3, 3),
    unloaded_on=date(2025, 3, 7),
    invoice_issue_date=date(2025, 3, 13),
    invoice_due_date=date(2025, 4, 12),
    incident_declared_on=date(2025, 4, 20),
    incident_documents_complete_on=date(2025, 4, 20),
    claim_opened_on=date(2025, 6, 1),
)

CASES: list[tuple[str, Callable[[], object]]] = [
    ("fi_indemnity", lambda: fi_indemnity(*FI_ARGS)),
    ("tr_indemnity", lambda: tr_indemnity(*TR_ARGS)),
    ("recovery_split", lambda: recovery_split(*RECOVERY_ARGS)),
    ("payable_by", lambda: payable_by(NOTIFIED)),
    ("deadlines (TR cover in claim)", lambda: deadlines(TR_CLAIM)),
]


def calls_per_second(fn: Callable[[], object], calls: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, time.perf_counter() - start)
    return calls / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {args.calls:,} calls, best of {args.repeat}")
    for name, fn in CASES:
        rate = calls_per_second(fn, args.calls, args.repeat)
        print(f"{name:32s} {rate:>12,.0f} calls/s  {1e6 / rate:6.2f} us/call")


if __name__ == "__main__":
    main()
