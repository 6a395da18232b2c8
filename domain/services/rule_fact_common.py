"""What every recorded fact shares (`recordRuleFact`, rules v2): the draft, the cause
written on a claim it rejects, and the WT-P7 / TU-P3 notice check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.rules import contract_terms
from domain.rules import rule_facts as rules
from domain.services.errors import DomainError


@dataclass(frozen=True)
class FactDraft:
    policy_id: str
    rule: str
    occurred_on: date
    note: str
    limit_id: str | None = None
    claim_id: str | None = None
    document_id: str | None = None


def cause_of(spec: rules.Recordable, note: str) -> str:
    return f"{spec.rule}: {spec.summary}. {note.strip()}"[:300]


def notice(period_end: date, draft: FactDraft, months: int) -> tuple[str | None, dict[str, Any]]:
    """WT-P7, TU-P3: a notice on time ends the contract with its period; a late one is
    refused, the contract renewing tacitly."""
    late = contract_terms.check_notice(period_end, draft.occurred_on, months, draft.rule.upper())
    if late is not None:
        raise DomainError(late.rule, late.message, late.field)
    deadline = contract_terms.notice_deadline(period_end, months)
    return rules.NOT_RENEWED, {"endsOn": period_end.isoformat(), "noticeBy": deadline.isoformat()}
