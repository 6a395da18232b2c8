"""Applies the per-product buyer scopes (C-1, C-2, TU-E6) where WT and TU decide on a
buyer: a WT credit limit is never requested for a buyer outside the scope (so its sales
have no limit, WT-L1), a TU first-layer decision is not taken on for a client outside it
(so the client has no top-up limit, TU-E1). The rules are in domain.rules.buyer_scope."""

from __future__ import annotations

from typing import Any

from domain.rules import buyer_scope
from domain.rules.violations import Violation
from domain.services.errors import DomainError
from domain.store.policy_models import Policy
from domain.store.topup_models import TopUpPolicy


def _refuse(found: list[Violation]) -> None:
    if found:
        first = found[0]
        raise DomainError(first.rule, first.message, first.field)


def wt_violations(policy: Policy, buyer: dict[str, Any]) -> list[Violation]:
    """C-1 and C-2 for a WT buyer of `policy` (003 art. 1.2.2, 1.3 b, c, e)."""
    party = buyer_scope.party_of(buyer)
    return [
        *buyer_scope.wt_buyer_scope(
            party, political_risks_contracted=bool(policy.political_risks_contracted)
        ),
        *buyer_scope.wt_related_buyer(buyer_scope.party_of(policy.insured), party),
    ]


def check_wt_buyer(policy: Policy, buyer: dict[str, Any]) -> None:
    """Refuses a WT limit request on a buyer outside C-1 or C-2."""
    _refuse(wt_violations(policy, buyer))


def tu_violations(policy: TopUpPolicy, buyer: dict[str, Any]) -> list[Violation]:
    """C-1, TU-E6 and C-2 for a TU client of `policy` (004 art. 3.3.1-3.3.3, 9.2)."""
    party = buyer_scope.party_of(buyer)
    found = list(buyer_scope.tu_buyer_scope(party))
    found += buyer_scope.tu_client_country(party, tuple(policy.covered_countries))
    found += buyer_scope.tu_related_buyer(buyer_scope.party_of(policy.insured), party)
    return found


def check_tu_client(policy: TopUpPolicy, buyer: dict[str, Any]) -> None:
    """Refuses a TU first-layer decision on a client outside C-1, TU-E6 or C-2."""
    _refuse(tu_violations(policy, buyer))
