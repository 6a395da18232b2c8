"""Found by the schemathesis run (test_schemathesis_graphql): strawberry logged every
GraphQL error at ERROR, a partner's invalid operation as much as a server fault, and a
typed refusal raised by a resolver (FORBIDDEN from `flaggedDeadlines`) with a full
traceback: one fuzzing partner filled the error log with ~700 entries that were no fault
of ours. schema/error_log.py: a fault (the errors MaskErrors masks) is still logged at
ERROR with its traceback; the client's errors at INFO, with their code, no traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from domain.services import staff_views

FLAGGED = "{ flaggedDeadlines { cover { id } } }"


def graphql_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name in {"strawberry.execution", "tradecover.graphql"}]


async def test_client_errors_are_logged_at_info_with_their_code_and_no_traceback(
    api, make_partner, caplog
):
    caplog.set_level(logging.DEBUG)
    key = await make_partner()
    refused = await api.execute(FLAGGED, key=key)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    invalid = await api.execute("{ cover { id } }", key=key)  # `id` is required
    assert "'Query.cover(id:)' of type 'ID!' is required" in invalid["errors"][0]["message"]

    records = graphql_records(caplog)
    assert [(r.levelno, r.exc_info) for r in records] == [(logging.INFO, None)] * 2
    assert "(code FORBIDDEN)" in records[0].getMessage()
    assert "(code None)" in records[1].getMessage()
    assert "Traceback" not in caplog.text


async def test_a_server_fault_is_still_logged_at_error_with_its_traceback_and_masked(
    api, make_staff, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    staff = await make_staff()

    async def fault(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the flagged deadlines query broke")

    monkeypatch.setattr(staff_views, "flagged_deadlines", fault)
    answer = await api.execute(FLAGGED, key=staff)
    assert answer["errors"][0]["message"] == "Unexpected error."

    records = graphql_records(caplog)
    assert [(r.name, r.levelno) for r in records] == [("strawberry.execution", logging.ERROR)]
    assert records[0].exc_info is not None
    assert "the flagged deadlines query broke" in caplog.text
