"""GraphQL documents and steps shared by the activation tests."""

from __future__ import annotations

from typing import Any

from tests.builders import QUOTE_MUTATION

COVER_FIELDS = """
  id product status declineReason activatedAt financingConfirmed signatureReference
  insuredAmount { amount currency } premium { amount currency }
  quote { id }
  paymentHold { status amount { amount currency } capturedAt releasedAt failureReason }
  events { edges { node { type actor data } } }
"""

BIND = (
    "mutation($input: BindCoverInput!) { bindCover(input: $input) { cover { "
    + COVER_FIELDS
    + " } userErrors { code message field } } }"
)
CONFIRM_FINANCING = (
    "mutation($input: ConfirmFinancingInput!) { confirmFinancing(input: $input) { cover { "
    + COVER_FIELDS
    + " } userErrors { code message field } } }"
)
DECIDE = (
    "mutation($input: DecideFeasibilityInput!) { decideFeasibility(input: $input) { cover { "
    + COVER_FIELDS
    + " } userErrors { code message field } } }"
)
COVER = "query($id: ID!) { cover(id: $id) { " + COVER_FIELDS + " } }"


async def quote_id(api: Any, key: str, request: dict[str, Any]) -> str:
    body = await api.execute(QUOTE_MUTATION, {"input": request}, key=key)
    quote = body["data"]["requestQuote"]["quote"]
    assert quote is not None, body
    return str(quote["id"])


async def bind(api: Any, key: str, **input: Any) -> dict[str, Any]:
    body = await api.execute(BIND, {"input": input}, key=key)
    return dict(body["data"]["bindCover"])


async def cover(api: Any, key: str, cover_id: str) -> dict[str, Any]:
    body = await api.execute(COVER, {"id": cover_id}, key=key)
    return dict(body["data"]["cover"])


def event_types(cover: dict[str, Any]) -> list[str]:
    return [edge["node"]["type"] for edge in cover["events"]["edges"]]


async def create_clock(api: Any, key: str, frozen_time: str = "2026-11-23T09:00:00+00:00") -> str:
    """A sandbox test clock; returns its id."""
    body = await api.execute(
        "mutation($t: DateTime!) { createTestClock(input: {frozenTime: $t}) { testClock { id } } }",
        {"t": frozen_time},
        key=key,
    )
    return str(body["data"]["createTestClock"]["testClock"]["id"])
