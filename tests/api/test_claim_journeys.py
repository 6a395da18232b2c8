"""Full journeys from quote to PAID (LIFECYCLE 5): FI (FI-N1 notification opens the claim,
FI-D1 documents, FI-C3 indemnity, FI-C2 payableBy) and TR (TR-S1 stage 1 published once
the TR-D1 documents are in, TR-T7 claim, TR-S2 indemnity). Jobs run inline; documents go
through the documents service (multipart uploads are tested in test_submit_document)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.services import documents
from domain.services.principals import authenticate
from tests.api.cover_helpers import CONFIRM_FINANCING, bind, quote_id
from tests.builders import fi_input, tr_input

PDF = b"%PDF-1.4\n% test document\n"
CLAIM_FIELDS = (
    "id status openedOn missingDocuments documentsDueOn expectedDecisionOn payableBy paidOn "
    "indemnity { amount { amount currency } lines { label amount { amount } rule } } "
    "rejection { rule }"
)
DECLARE = (
    "mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { "
    "incident { id kind published } cover { status claim { " + CLAIM_FIELDS + " } } "
    "userErrors { code message field } } }"
)
OPEN = (
    "mutation($id: ID!) { openClaim(input: {coverId: $id}) { claim { "
    + CLAIM_FIELDS
    + " } userErrors { code message } } }"
)
DECIDE = (
    "mutation($input: DecideClaimInput!) { decideClaim(input: $input) { claim { "
    + CLAIM_FIELDS
    + " } userErrors { code message } } }"
)
PAID = (
    "mutation($input: MarkIndemnityPaidInput!) { markIndemnityPaid(input: $input) { "
    "claim { status paidOn cover { status } } userErrors { code message } } }"
)
CLAIM = "query($id: ID!) { claim(id: $id) { " + CLAIM_FIELDS + " } }"
COVER = (
    "query($id: ID!) { cover(id: $id) { status incidents { published } "
    "claim { " + CLAIM_FIELDS + " } } }"
)


async def submit(key: str, cover_id: str, kind: str) -> None:
    principal = await authenticate(key)
    await documents.submit_document(
        principal, cover_id, kind, f"{kind}.pdf", "application/pdf", PDF, datetime.now(UTC)
    )


async def fi_cover_with_non_payment(api, jobs, key: str, financed: str) -> tuple[str, dict]:
    """An active FI cover (financed amount as given) whose 12,100.00 non-payment is
    declared (FI-N1: the claim opens at once). Returns the cover id and the answer."""
    request = fi_input()
    request["financing"]["financedAmount"]["amount"] = financed
    qid = await quote_id(api, key, request)
    cover_id = (await bind(api, key, quoteId=qid, signatureReference="env"))["cover"]["id"]
    await jobs.run_all()
    await api.execute(
        CONFIRM_FINANCING, {"input": {"coverId": cover_id, "financed": True}}, key=key
    )
    declared = await api.execute(
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": "NON_PAYMENT",
                "occurredOn": "2027-01-22",
                "unpaidAmount": {"amount": "12100.00", "currency": "EUR"},
            }
        },
        key=key,
    )
    return cover_id, declared


async def test_fi_journey_from_quote_to_paid(api, jobs, storage, make_partner, make_staff):
    key = await make_partner()
    staff = await make_staff()
    cover_id, declared = await fi_cover_with_non_payment(api, jobs, key, "9000.00")
    payload = declared["data"]["declareIncident"]
    assert payload["userErrors"] == []
    claim = payload["cover"]["claim"]
    assert payload["cover"]["status"] == "IN_CLAIM"
    assert claim["status"] == "DOCUMENTS_PENDING"
    assert claim["missingDocuments"] == ["INVOICE", "ACCOUNT_STATEMENT"]
    opened = datetime.now(UTC).date()
    assert claim["openedOn"] == opened.isoformat()

    await submit(key, cover_id, "INVOICE")
    await submit(key, cover_id, "ACCOUNT_STATEMENT")
    await jobs.run_all()  # nothing queued directly: the relay sends the indemnity job
    from domain.services import claims

    await claims.calculate_indemnity(claim["id"], datetime.now(UTC))
    reviewed = (await api.execute(CLAIM, {"id": claim["id"]}, key=key))["data"]["claim"]
    assert reviewed["status"] == "UNDER_REVIEW"
    # FI-C3: 90% x min(12,100.00 - 0, 9,000.00) = 8,100.00
    assert reviewed["indemnity"]["amount"] == {"amount": "8100.00", "currency": "EUR"}
    assert all(line["label"] for line in reviewed["indemnity"]["lines"])

    by_partner = await api.execute(
        DECIDE, {"input": {"claimId": claim["id"], "decision": "APPROVE"}}, key=key
    )
    assert by_partner["data"]["decideClaim"]["userErrors"][0]["code"] == "FORBIDDEN"
    approved = await api.execute(
        DECIDE, {"input": {"claimId": claim["id"], "decision": "APPROVE"}}, key=staff
    )
    approved_claim = approved["data"]["decideClaim"]["claim"]
    assert approved_claim["status"] == "APPROVED"
    from dateutil.relativedelta import relativedelta

    assert approved_claim["payableBy"] == (opened + relativedelta(months=2, days=10)).isoformat()
    paid = await api.execute(
        PAID, {"input": {"claimId": claim["id"], "paidOn": "2027-03-01"}}, key=staff
    )
    assert paid["data"]["markIndemnityPaid"]["claim"] == {
        "status": "PAID",
        "paidOn": "2027-03-01",
        "cover": {"status": "INDEMNIFIED"},
    }


async def test_tr_journey_stage_1_published_then_claim_to_paid(
    api, jobs, storage, make_partner, make_staff
):
    from tests.api.test_cover_life import invoice, shipment

    key = await make_partner(kind="freight_exchange")
    staff = await make_staff()
    qid = await quote_id(api, key, tr_input())
    cover_id = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]["id"]
    await jobs.run_all()
    today = datetime.now(UTC).date()
    await shipment(api, key, cover_id, "LOADED", today)
    await shipment(api, key, cover_id, "UNLOADED", today)
    await invoice(api, key, cover_id, today, today)
    await api.execute(
        "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) "
        "{ cover { status } } }",
        {
            "input": {
                "coverId": cover_id,
                "receivedOn": today.isoformat(),
                "amount": {"amount": "200.00", "currency": "EUR"},
            }
        },
        key=key,
    )

    declared = await api.execute(
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": "NON_PAYMENT",
                "occurredOn": today.isoformat(),
                "unpaidAmount": {"amount": "1300.00", "currency": "EUR"},
            }
        },
        key=key,
    )
    assert declared["data"]["declareIncident"]["incident"]["published"] is False
    assert declared["data"]["declareIncident"]["cover"]["status"] == "DEFAULTED"
    for kind in ("COLLECTION_ATTEMPT_PROOF", "TRANSPORT_ORDER", "CMR", "TRANSPORT_INVOICE"):
        await submit(key, cover_id, kind)
    stage1 = (await api.execute(COVER, {"id": cover_id}, key=key))["data"]["cover"]
    assert stage1["incidents"] == [{"published": True}]  # TR-S1 once TR-D1 is in

    opened = await api.execute(OPEN, {"id": cover_id}, key=key)
    claim = opened["data"]["openClaim"]["claim"]
    assert claim["status"] == "DOCUMENTS_PENDING"
    assert claim["missingDocuments"] == [
        "UBO_FORM",
        "UBO_IDENTITY",
        "BANK_ACCOUNT",
        "DEBTOR_LEDGER",
    ]
    from dateutil.relativedelta import relativedelta

    assert claim["expectedDecisionOn"] == (today + relativedelta(months=5)).isoformat()
    for kind in ("UBO_FORM", "UBO_IDENTITY", "BANK_ACCOUNT", "DEBTOR_LEDGER"):
        await submit(key, cover_id, kind)
    from domain.services import claims

    await claims.calculate_indemnity(claim["id"], datetime.now(UTC))
    reviewed = (await api.execute(CLAIM, {"id": claim["id"]}, key=key))["data"]["claim"]
    assert reviewed["status"] == "UNDER_REVIEW"
    # TR-S2: 90% x (1,500.00 - 200.00) = 1,170.00, under the cap of 90% x 1,500.00
    assert reviewed["indemnity"]["amount"]["amount"] == "1170.00"
    suspended = await api.execute(
        DECIDE,
        {
            "input": {
                "claimId": claim["id"],
                "decision": "SUSPEND",
                "reason": "TR-X2: service disputed",
            }
        },
        key=staff,
    )
    assert suspended["data"]["decideClaim"]["claim"]["status"] == "SUSPENDED"
    await api.execute(DECIDE, {"input": {"claimId": claim["id"], "decision": "APPROVE"}}, key=staff)
    paid = await api.execute(
        PAID, {"input": {"claimId": claim["id"], "paidOn": today.isoformat()}}, key=staff
    )
    assert paid["data"]["markIndemnityPaid"]["claim"]["cover"]["status"] == "INDEMNIFIED"


async def test_fi_c3_payment_during_the_claim_recalculates_and_after_payment_is_a_recovery(
    api, jobs, storage, make_partner, make_staff
):
    """FI-C3 recomputed with a recovery before payment; FI-R1 90/10 after it. FI-S1: the
    platform records recoveries against the cover (recordPayment), before or after the
    indemnity."""
    from domain.services import claims
    from domain.store.cover_models import CoverEvent

    key = await make_partner()
    staff = await make_staff()
    cover_id, declared = await fi_cover_with_non_payment(api, jobs, key, "12100.00")
    claim_id = declared["data"]["declareIncident"]["cover"]["claim"]["id"]
    for kind in ("INVOICE", "ACCOUNT_STATEMENT"):
        await submit(key, cover_id, kind)
    await claims.calculate_indemnity(claim_id, datetime.now(UTC))
    payment = (
        "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) "
        "{ cover { status paidAmount { amount } } userErrors { code } } }"
    )
    body = await api.execute(
        payment,
        {
            "input": {
                "coverId": cover_id,
                "receivedOn": "2027-02-01",
                "amount": {"amount": "1000.00", "currency": "EUR"},
            }
        },
        key=key,
    )
    assert body["data"]["recordPayment"]["cover"]["status"] == "IN_CLAIM"
    assert "claim.calculate_indemnity" in jobs.names()
    await jobs.run_all()
    claim = (await api.execute(CLAIM, {"id": claim_id}, key=key))["data"]["claim"]
    # C-3: the loss net of its VAT share, (12,100.00 - 1,000.00) x 10,000 / 12,100 =
    # 9,173.55; 90% x min(9,173.55, 12,100.00) = 8,256.20 (8,256.195 half-up)
    assert claim["indemnity"]["amount"]["amount"] == "8256.20"

    await api.execute(DECIDE, {"input": {"claimId": claim_id, "decision": "APPROVE"}}, key=staff)
    await api.execute(PAID, {"input": {"claimId": claim_id, "paidOn": "2027-03-01"}}, key=staff)
    after = await api.execute(
        payment,
        {
            "input": {
                "coverId": cover_id,
                "receivedOn": "2027-04-01",
                "amount": {"amount": "500.05", "currency": "EUR"},
            }
        },
        key=key,
    )
    assert after["data"]["recordPayment"]["cover"]["status"] == "INDEMNIFIED"
    recovery = await CoverEvent.get(cover_id=cover_id, type="recovery.recorded")
    # FI-R1: 500.05 shared 90/10 -> 450.05 (450.045 half-up) to the insurer, 50.00 insured
    assert (recovery.data["insurerShare"], recovery.data["insuredShare"]) == ("450.05", "50.00")
