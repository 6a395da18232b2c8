"""`covers(first: N)` with quote, deadlines, incidents and claim selected costs a fixed
number of SQL statements, whatever N (resolvers/cover_batch.py): counted on the
database client, not timed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from domain.store.sqlite_immediate import ImmediateSqliteClient
from tests.api.cover_helpers import bind, quote_id
from tests.api.test_claim_journeys import fi_cover_with_non_payment
from tests.builders import tr_input

LISTING = """
query($first: Int) { covers(first: $first) { totalCount edges { node {
  id status quote { id premium { amount } }
  paymentHold { status }
  deadlines { kind rule dueOn met }
  incidents { kind published }
  claim { id status missingDocuments cover { id status } indemnity { amount { amount } } }
} } } }
"""
STATEMENTS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """Every SQL statement the SQLite client runs meanwhile."""
    seen: list[str] = []
    originals = {name: getattr(ImmediateSqliteClient, name) for name in STATEMENTS}

    def wrap(name: str):
        original = originals[name]

        async def counting(self, query, *args, **kwargs):
            seen.append(query)
            return await original(self, query, *args, **kwargs)

        return counting

    for name in STATEMENTS:
        setattr(ImmediateSqliteClient, name, wrap(name))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(ImmediateSqliteClient, name, original)


async def listing_statements(api, key: str, first: int) -> tuple[int, int]:
    with counted_statements() as seen:
        body = await api.execute(LISTING, {"first": first}, key=key)
    assert not body.get("errors"), body["errors"]
    return len(body["data"]["covers"]["edges"]), len(seen)


async def test_covers_page_costs_the_same_statements_for_3_or_6_covers(
    api, jobs, storage, make_partner
):
    key = await make_partner()
    for _ in range(6):  # FI covers with a declared non-payment: incident, claim, deadlines
        await fi_cover_with_non_payment(api, jobs, key, "9000.00")
    tr_key = await make_partner(kind="freight_exchange")
    for _ in range(6):  # TR covers with a card hold
        qid = await quote_id(api, tr_key, tr_input())
        await bind(api, tr_key, quoteId=qid, paymentMethodToken="tok_visa")
    await jobs.run_all()

    small = await listing_statements(api, key, 3)
    large = await listing_statements(api, key, 6)
    assert (small[0], large[0]) == (3, 6)
    assert small[1] == large[1]
    tr_small = await listing_statements(api, tr_key, 2)
    tr_large = await listing_statements(api, tr_key, 6)
    assert tr_small[1] == tr_large[1]
    # Authentication, the page, its count and one query per related table.
    assert large[1] <= 12, large
