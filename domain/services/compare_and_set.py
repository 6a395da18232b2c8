"""Compare-and-set on a money or time column that cannot wedge (STYLE: compare-and-set).

`UPDATE ... WHERE id = :id AND paid_amount = :read` misses forever when the stored text
differs from the value read: SQLite keeps a DECIMAL as text and the ORM rounds it on read,
so a stored "10.005" (or "10.5") reads as 10.00 (10.50) and no retry can match it; every
later call answered "changed meanwhile; retry". A datetime stored with an offset
("09:00+03:00") reads back in UTC ("06:00+00:00") the same way: a test clock advanced to
such a time never advanced again ("The test clock is advancing; retry").

Here a miss is checked: if the row still reads exactly as expected, nothing changed, only
the stored text is off, so the update is made on the row's exactly comparable columns
(ids, statuses, numbers) and the money and time columns are written normalised (callers
pass cents and UTC), which heals the row. A real concurrent change reads differently and
stays a refusal that a retry fixes (it reads afresh). Call it inside the business
transaction, or with a status among `expected`: on SQLite the transaction holds the write
lock (BEGIN IMMEDIATE), so the re-read and the second update see no one else's write;
PostgreSQL's NUMERIC(p, 2) normalises on write, so there a miss is a real change.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.models import Model


async def compare_and_set(
    model: type[Model], row_id: str, expected: dict[str, Any], changes: dict[str, Any]
) -> bool:
    """Apply `changes` to row `row_id` if it still holds `expected`; True when applied."""
    if await model.filter(id=row_id, **expected).update(**changes) == 1:
        return True
    now = await model.filter(id=row_id).values(*expected)
    if len(now) != 1 or any(now[0][name] != value for name, value in expected.items()):
        return False  # it really changed meanwhile: a retry reads the new state
    exact = {k: v for k, v in expected.items() if not isinstance(v, Decimal | datetime)}
    return bool(await model.filter(id=row_id, **exact).update(**changes) == 1)
