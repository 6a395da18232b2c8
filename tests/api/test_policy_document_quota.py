"""Whole-turnover claim documents (WT-C2) count toward, and are held to, the partner's
document storage quota like cover documents: one SUM over both kinds of rows."""

from __future__ import annotations

from domain.services import document_quota
from domain.services.document_quota import Quotas
from domain.services.principals import authenticate
from domain.store.policy_models import PolicyDocument
from tests.api.policy_helpers import PDF, submit_policy_document
from tests.api.test_policy_disputes import claim_with_dispute


async def test_policy_claim_documents_count_toward_and_are_held_to_the_storage_quota(
    api, jobs, storage, make_partner, make_staff, monkeypatch
):
    key, staff = await make_partner(), await make_staff()
    claim_id, status = await claim_with_dispute(api, jobs, key, staff, [])
    assert status == "DOCUMENTS_PENDING"
    monkeypatch.setattr(document_quota, "_quotas", Quotas(live=10 * len(PDF), sandbox=len(PDF)))
    partner_id = (await authenticate(key)).partner_id

    stored = await submit_policy_document(api, key, claim_id, "ACCOUNT_STATEMENT")
    refused = await submit_policy_document(api, key, claim_id, "INVOICE")

    assert stored["userErrors"] == []
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("STORAGE_QUOTA_EXCEEDED", ["input", "file"])
    ]
    assert await PolicyDocument.filter(claim_id=claim_id).count() == 1
    assert await document_quota.used_bytes(partner_id) == len(PDF)
    usage = {u.partner_id: u.used for u in await document_quota.usage_by_partner()}
    assert usage[partner_id] == len(PDF)
