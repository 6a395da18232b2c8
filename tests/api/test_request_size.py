"""A request's size is bounded and charged before its query is parsed (request_size.py).

- The query document is capped (QUERY_TOO_LARGE, 413) and the variables apart
  (VARIABLES_TOO_LARGE, 413), in JSON bodies and in multipart `operations`; nothing
  parses the query text of a refused request (the parser is wrapped and must stay
  unused), and no resolver runs.
- Every real operation in docs/, examples/ and the README is far under the cap.
- Rate-limit tokens grow with the document's and the variables' size, so unique big
  documents drain a flooding partner's bucket, not everyone's event loop.
- With introspection off (live keys outside dev), validation errors suggest no names.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import graphql
import pytest

from tests.builders import QUOTE_MUTATION, fi_input
from tradecover.http.rate_limit import CostModel
from tradecover.http.request_size import (
    MAX_QUERY_BYTES,
    MAX_VARIABLES_BYTES,
    QUERY_TOKEN_BYTES,
    VARIABLES_TOKEN_BYTES,
    size_cost,
)

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = "{ products { code } }"
SLOW = 0.001  # tokens per second: nothing refills during a test


def padded(query: str, total_bytes: int, how: str = "whitespace") -> str:
    """`query` grown to exactly `total_bytes` of UTF-8 by the given kind of filler."""
    room = total_bytes - len(query.encode())
    if how == "whitespace":
        return query + " " * room
    if how == "comment":
        return "#" + "x" * (room - 2) + "\n" + query
    raise ValueError(how)


class ParseSpy:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sizes: list[int] = []
        original = graphql.language.parser.Parser.__init__

        def spy(parser: Any, source: Any, *args: Any, **kwargs: Any) -> None:
            body = source.body if hasattr(source, "body") else source
            self.sizes.append(len(body))
            original(parser, source, *args, **kwargs)

        monkeypatch.setattr(graphql.language.parser.Parser, "__init__", spy)

    def parsed_over(self, size: int) -> bool:
        return any(seen > size for seen in self.sizes)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> ParseSpy:
    return ParseSpy(monkeypatch)


@pytest.fixture
def app_settings(app_settings: Any) -> Any:
    """Rate limits are tested apart below, with their own settings."""
    return app_settings.model_copy(update={"rate_limit_enabled": False})


# --------------------------------------------------------------------------- the caps


@pytest.mark.parametrize("how", ["whitespace", "comment"])
async def test_query_exactly_at_the_cap_is_served_and_one_byte_over_is_refused_unparsed(
    api, make_partner, parses, how
):
    key = await make_partner()
    at_cap = await api.post(padded(PRODUCTS, MAX_QUERY_BYTES, how), key=key)
    assert at_cap.status_code == 200, at_cap.text[:200]
    assert at_cap.json()["data"]["products"]

    parses.sizes.clear()
    over = await api.post(padded(PRODUCTS, MAX_QUERY_BYTES + 1, how), key=key)
    assert over.status_code == 413
    error = over.json()["errors"][0]
    assert error["extensions"] == {"code": "QUERY_TOO_LARGE", "maxBytes": MAX_QUERY_BYTES}
    assert str(MAX_QUERY_BYTES + 1) in error["message"]
    assert over.json()["data"] is None
    assert not parses.parsed_over(MAX_QUERY_BYTES)  # neither the cost model nor strawberry


async def test_query_cap_counts_utf8_bytes_not_characters(api, make_partner):
    key = await make_partner()
    # A string literal of 2-byte characters: fewer characters than the cap, more bytes.
    literal = "é" * (MAX_QUERY_BYTES // 2)
    query = "{ products { code } } # " + literal
    assert len(query) < MAX_QUERY_BYTES < len(query.encode())
    response = await api.post(query, key=key)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"


async def test_a_long_string_literal_over_the_cap_is_refused_before_any_resolver(
    api, make_partner, parses, monkeypatch
):
    from domain.services import quotes as quote_service

    seen: list[str] = []

    async def recorder(*args: Any, **kwargs: Any) -> Any:
        seen.append("request_quote")
        raise AssertionError("must not run")

    monkeypatch.setattr(quote_service, "request_quote", recorder)
    key = await make_partner()
    query = 'mutation { requestQuote(input: {product: FI, sellerName: "' + "a" * MAX_QUERY_BYTES
    query += '"}) { quote { id } } }'
    response = await api.post(query, key=key)
    assert response.status_code == 413
    assert seen == []
    assert not parses.parsed_over(MAX_QUERY_BYTES)


async def test_every_document_of_a_batch_is_held_to_the_cap(api, make_partner):
    key = await make_partner()
    body = [{"query": PRODUCTS}, {"query": padded(PRODUCTS, MAX_QUERY_BYTES + 1)}]
    response = await api.http.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code in (400, 413)  # batches are refused anyway (not enabled)
    assert "Traceback" not in response.text


async def test_variables_over_their_own_cap_are_refused_even_with_a_small_query(
    api, make_partner, parses
):
    key = await make_partner()
    # Just over the variables cap, under the 4 MiB body cap: the body limit does not apply.
    blob = "x" * (MAX_VARIABLES_BYTES + 1)
    response = await api.post("query($blob: String) { products { code } }", {"b": blob}, key=key)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {
        "code": "VARIABLES_TOO_LARGE",
        "maxBytes": MAX_VARIABLES_BYTES,
    }
    assert parses.sizes == []  # not even the small query was parsed


async def test_variables_under_their_cap_reach_validation(api, make_partner):
    key = await make_partner()
    blob = "x" * (MAX_VARIABLES_BYTES - 64 * 1024)
    response = await api.post("query($b: String) { products { code } }", {"b": blob}, key=key)
    assert response.status_code == 200
    # Past the size gate: graphql-core validated the operation (and refused its unused
    # variable, the schema having no field that takes a free string here).
    assert response.json()["errors"][0]["message"] == "Variable '$b' is never used."


async def test_multipart_operations_over_the_query_cap_are_refused(api, make_partner, parses):
    key = await make_partner()
    operations = {
        "query": padded(
            'mutation($f: Upload!) { submitDocument(input: {coverId: "c", kind: INVOICE, '
            "file: $f}) { document { id } } }",
            MAX_QUERY_BYTES + 1,
        ),
        "variables": {"f": None},
    }
    response = await api.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
        files={"0": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 413, response.text[:200]
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert not parses.parsed_over(MAX_QUERY_BYTES)


FENCED = re.compile(r"```graphql\n(.*?)```", re.S)
TRIPLE_QUOTED = re.compile(r'"""(\s*(?:query|mutation)\b.*?)"""', re.S)


def real_operations() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    sources = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
    for path in sources:
        found += [(str(path), text) for text in FENCED.findall(path.read_text())]
    for path in sorted((ROOT / "examples").rglob("*.py")):
        found += [(str(path), text) for text in TRIPLE_QUOTED.findall(path.read_text())]
    return found


def test_the_cap_is_far_above_every_real_operation_in_docs_and_examples():
    operations = real_operations()
    assert len(operations) >= 20  # the extraction finds them (README, products, client)
    largest = max(len(text.encode()) for _, text in operations)
    assert largest * 16 <= MAX_QUERY_BYTES, largest


# --------------------------------------------------------------------------- the cost


def test_size_cost_is_one_token_per_2_kib_of_query_and_64_kib_of_variables():
    assert size_cost(0, 0) == 0
    assert size_cost(QUERY_TOKEN_BYTES, VARIABLES_TOKEN_BYTES) == 0  # in the base cost
    assert size_cost(QUERY_TOKEN_BYTES + 1, 0) == 1
    assert size_cost(MAX_QUERY_BYTES, 0) == MAX_QUERY_BYTES // QUERY_TOKEN_BYTES - 1 == 15
    assert size_cost(0, 2_500_000) == 38  # a 10,000-line declaration
    assert size_cost(4 * 1024 * 1024, 0) == 2047  # an over-cap document: its whole size


def test_cost_model_charges_the_size_and_never_parses_an_over_cap_document(parses):
    from schema.build import build_schema
    from tradecover.http.rate_limit import paginated_fields

    costs = CostModel(paginated_fields(build_schema()._schema))
    small = {"query": PRODUCTS}
    assert costs.of_body(small, len(json.dumps(small))) == 1
    big = {"query": padded(PRODUCTS, MAX_QUERY_BYTES)}
    assert costs.of_body(big, len(json.dumps(big))) == 16
    parses.sizes.clear()
    over = {"query": padded(PRODUCTS, 1_000_000, "comment")}
    assert costs.of_body(over, len(json.dumps(over))) == 1 + size_cost(1_000_000, 30)
    assert parses.sizes == []


async def test_a_big_document_costs_tokens_by_its_size(limited_api, make_partner):
    key = await make_partner()
    async with limited_api(
        rate_limit_enabled=True, rate_limit_per_second=SLOW, rate_limit_burst=100
    ) as api:
        small = await api.post(PRODUCTS, key=key)
        big = await api.post(padded(PRODUCTS, MAX_QUERY_BYTES), key=key)
        quote = await api.post(QUOTE_MUTATION, {"input": fi_input()}, key=key)
    assert small.headers["X-RateLimit-Cost"] == "1"
    assert big.status_code == 200
    assert big.headers["X-RateLimit-Cost"] == "16"
    assert quote.headers["X-RateLimit-Cost"] == "5"
    assert quote.headers["X-RateLimit-Remaining"] == str(100 - 1 - 16 - 5)


async def test_unique_big_documents_drain_the_flooders_bucket_and_not_the_neighbours(
    limited_api, make_partner, parses
):
    flooder, neighbour = await make_partner(name="A"), await make_partner(name="B")
    async with limited_api(
        rate_limit_enabled=True, rate_limit_per_second=SLOW, rate_limit_burst=50
    ) as api:
        flood = []
        for n in range(10):  # text differs each time: no cache helps
            query = padded(f"{{ products {{ code }} }} # {n}", MAX_QUERY_BYTES + 10_000)
            flood.append((await api.post(query, key=flooder)).status_code)
        after = await api.post(PRODUCTS, key=flooder)
        others = [(await api.post(PRODUCTS, key=neighbour)).status_code for _ in range(5)]
    # 42,798 bytes over the cap cost 21 tokens each: two refusals (413) take 42 of the 50,
    # every later one is refused by the limiter (429); 8 tokens are left for small ones.
    assert flood[:2] == [413, 413]
    assert flood[2:] == [429] * 8
    assert after.status_code == 200
    assert after.headers["X-RateLimit-Remaining"] == "7"
    assert others == [200] * 5
    assert not parses.parsed_over(MAX_QUERY_BYTES)


# --------------------------------------------------------------------------- suggestions


SUGGESTED = "{ products { cod } }"


async def test_no_name_suggestions_when_introspection_is_off(api, make_partner):
    live = await make_partner(sandbox=False)  # env=test: live keys get no introspection
    sandbox = await make_partner()
    locked = (await api.post(SUGGESTED, key=live)).json()["errors"][0]["message"]
    opened = (await api.post(SUGGESTED, key=sandbox)).json()["errors"][0]["message"]
    assert "Did you mean" in opened and "'code'" in opened  # the control: graphql-core does
    assert "Did you mean" not in locked and "code'" not in locked.replace("'cod'", "")
    assert locked == "Cannot query field 'cod' on type 'Product'."


async def test_no_suggestions_in_argument_and_input_field_errors_when_introspection_is_off(
    api, make_partner
):
    live = await make_partner(sandbox=False)
    typo_argument = "{ covers(frist: 1) { totalCount } }"
    typo_input = "mutation($i: QuoteInput!) { requestQuote(input: $i) { quote { id } } }"
    variables = {"i": {**fi_input(), "sellerNme": "x"}}
    for query, variables_ in [(typo_argument, {}), (typo_input, variables)]:
        body = (await api.post(query, variables_, key=live)).json()
        messages = " ".join(error["message"] for error in body["errors"])
        assert messages  # refused
        assert "Did you mean" not in messages, messages


async def test_a_body_longer_than_the_bucket_can_pay_for_is_refused_unread_and_closed(
    limited_api, make_partner
):
    """The length alone costs 1 token per 64 KiB (as variables, the cheapest bytes): a
    bucket known to hold less refuses before reading a byte of the body, and closes the
    connection rather than read and discard the rest of it."""
    key = await make_partner()
    length = 1024 * 1024  # at least 16 tokens
    consumed: list[int] = []

    async def body():
        for _ in range(length // 65536):
            consumed.append(1)
            yield b" " * 65536

    async with limited_api(
        rate_limit_enabled=True, rate_limit_per_second=SLOW, rate_limit_burst=20
    ) as api:
        spent = [(await api.post(PRODUCTS, key=key)).status_code for _ in range(10)]
        refused = await api.http.post(
            "/graphql",
            content=body(),
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                "Content-Length": str(length),
            },
        )
        after = await api.post(PRODUCTS, key=key)
    assert spent == [200] * 10
    assert refused.status_code == 429
    assert refused.headers["Connection"] == "close"
    assert consumed in ([], [1])  # at most the transport's first chunk, never the body
    assert after.headers["X-RateLimit-Remaining"] == "9"  # the refusal took nothing


async def test_a_big_body_read_and_refused_is_charged_for_its_length(limited_api, make_partner):
    """A bucket that can pay for the length but not for the document has the body read
    (and decoded, never parsed); that reading is charged, so the next big one is refused
    unread."""
    key = await make_partner()
    over = {"query": padded(PRODUCTS, 1024 * 1024, "comment")}  # costs the whole burst
    async with limited_api(
        rate_limit_enabled=True, rate_limit_per_second=SLOW, rate_limit_burst=100
    ) as api:
        spent = [(await api.post(PRODUCTS, key=key)).status_code for _ in range(30)]
        refused = await api.http.post(
            "/graphql", json=over, headers={"Authorization": f"Bearer {key}"}
        )
        after = await api.post(PRODUCTS, key=key)
    assert spent == [200] * 30
    assert refused.status_code == 429
    # 70 tokens left, the document costs 100 (the burst): refused, charged its length as
    # variables (1 + 16 for 1 MiB), leaving 53; the control query then takes one.
    assert after.headers["X-RateLimit-Remaining"] == "52"
