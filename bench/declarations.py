"""Declaring one month of 100,000 invoices for 1,000 buyers under one whole-turnover
policy (WT-N1: priced WT-P1, cover decided WT-L1/L6/L7), then recomputing every buyer's
exposure (WT-L5). Not a test: prints seconds and rows per second for bench/RESULTS.md.

    .venv/bin/python bench/declarations.py [--invoices 100000] [--buyers 1000]

The declarations go through the service (domain.services.policy_declarations) in calls
of 10,000 lines, on SQLite in a temporary directory; limits are granted through the
limit service first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MONTH = date(2027, 3, 1)
BATCH = 10_000


async def setup(buyers: int) -> tuple[object, object, str]:
    from domain.rules.wt.terms import PremiumRate
    from domain.services import credit_limits, policies, policy_terms
    from domain.services.principals import authenticate, create_partner, create_staff
    from domain.store.policy_models import PremiumInvoice

    now = datetime(2027, 1, 2, 9, tzinfo=UTC)
    _, key = await create_partner(
        name="Bench", kind="financing_platform", sandbox=True, premium_rate=None, now=now
    )
    _, staff_key = await create_staff(name="Bench staff", now=now)
    partner, staff = await authenticate(key), await authenticate(staff_key)
    policy = await policies.create_policy(
        partner,
        policies.PolicyDraft(
            insured={
                "country": "ES",
                "registration_number": "B1",
                "name": "Bench SL",
                "legal_form": "COMPANY",
                "sector": "46.90",
            },
            currency="EUR",
            period_start=date(2027, 1, 1),
            period_end=date(2027, 12, 31),
        ),
        now,
    )
    # The terms are the insurer's (policy_terms): staff set them.
    policy = await policy_terms.set_policy_terms(
        staff,
        policy.id,
        policy_terms.PolicyTermsChange(
            minimum_premium=Decimal("1000.00"),
            premium_rates=(PremiumRate(60, Decimal("0.20")), PremiumRate(120, Decimal("0.35"))),
            coverage_percent=Decimal("90"),
            max_indemnity_multiple=Decimal("20"),
            minimum_unpaid_threshold=Decimal("500.00"),
            waiting_period_days=180,
            max_extension_amount=Decimal("50000.00"),
        ),
        now,
    )
    minimum = await PremiumInvoice.get(policy_id=policy.id, kind="MINIMUM")
    await policies.record_premium_payment(staff, minimum.id, minimum.amount, date(2027, 1, 1), now)
    for n in range(buyers):
        row = await credit_limits.request_credit_limit(
            partner,
            policy.id,
            {
                "country": "ES",
                "registration_number": f"B{n:06d}",
                "name": f"Buyer {n}",
                "legal_form": "COMPANY",
                "sector": "47.11",
            },
            Decimal("250000.00"),
            90,
            now,
        )
        await credit_limits.decide_credit_limit(
            staff, row.id, credit_limits.LimitDecision("GRANT"), now
        )
    return partner, staff, policy.id


def lines(invoices: int, buyers: int) -> list[object]:
    from domain.services.policy_declarations import SaleLine

    found = []
    for n in range(invoices):
        issue = MONTH + timedelta(days=n % 28)
        found.append(
            SaleLine(
                buyer_key=f"ES:B{n % buyers:06d}",
                invoice_number=f"INV-{n:07d}",
                issue_date=issue,
                due_date=issue + timedelta(days=30 + n % 90),
                amount=Decimal(1000 + n % 5000) + Decimal("0.45"),
                currency="EUR",
            )
        )
    return found


async def run(invoices: int, buyers: int) -> None:
    from domain.services import buyer_credits, policy_declarations
    from domain.store.database import close_db, init_db, migrate
    from domain.store.policy_models import Sale

    folder = Path(tempfile.mkdtemp(prefix="tc-declarations-"))
    url = f"sqlite://{folder / 'bench.sqlite3'}"
    await migrate(url)
    await init_db(url)
    try:
        started = time.perf_counter()
        partner, _, policy_id = await setup(buyers)
        print(f"setup: policy and {buyers} limits in {time.perf_counter() - started:.1f} s")
        all_lines = lines(invoices, buyers)
        declared_at = datetime(2027, 4, 10, 9, tzinfo=UTC)
        started = time.perf_counter()
        for start in range(0, invoices, BATCH):
            await policy_declarations.declare_sales(
                partner,  # type: ignore[arg-type]
                policy_id,
                MONTH,
                all_lines[start : start + BATCH],  # type: ignore[arg-type]
                declared_at,
            )
        declare_s = time.perf_counter() - started
        stored = await Sale.filter(policy_id=policy_id).count()
        started = time.perf_counter()
        insured = Decimal("0.00")
        for n in range(buyers):
            seen = await buyer_credits.exposure_of(policy_id, f"ES:B{n:06d}", declared_at.date())
            insured += seen.insured
        exposure_s = time.perf_counter() - started
        print(f"declare: {stored} invoices in {declare_s:.1f} s = {stored / declare_s:,.0f} rows/s")
        print(
            f"exposures: {buyers} buyers ({stored} credits) in {exposure_s:.1f} s = "
            f"{stored / exposure_s:,.0f} credits/s, insured total {insured}"
        )
    finally:
        await close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--buyers", type=int, default=1_000)
    args = parser.parse_args()
    asyncio.run(run(args.invoices, args.buyers))


if __name__ == "__main__":
    main()
