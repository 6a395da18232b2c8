"""Recorded facts (rules v2: WT-L9, WT-L10, WT-C11, WT-R3..R5, TU-L4, TU-E8, TU-N1..N3,
TU-C4, TU-R2, TU-P5, ...) and the WT contract options the buyer scope reads (C-1, WT-P5)."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.inputs import MoneyInput
from schema.policy_types import Policy
from schema.types import UserError


@strawberry.type(description="A fact recorded under a rule the system cannot judge itself.")
class RuleFact:
    id: strawberry.ID
    policy_id: strawberry.ID
    sequence: int = strawberry.field(description="1, 2, 3 per policy, in recording order.")
    rule: str
    occurred_on: dt.date
    note: str
    limit_id: strawberry.ID | None
    claim_id: strawberry.ID | None
    document_id: strawberry.ID | None
    buyer: str | None
    consequence: str | None = strawberry.field(
        description="The state change recording applied: LIMIT_VOID (WT-L9), CLAIM_REJECTED, "
        "CONTRACT_RESCINDED (TU-P5), or null."
    )
    actor: str
    recorded_at: dt.datetime


@strawberry.input
class RecordRuleFactInput:
    policy_id: strawberry.ID = strawberry.field(description="A WT or TU policy.")
    rule: str = strawberry.field(
        description="A recordable rule id of the policy's product, e.g. WT-L9, WT-C11, TU-N2, "
        "TU-P5. Partners may record the information they give (WT-C12, TU-E4, TU-N1..N3); "
        "staff record every id."
    )
    occurred_on: dt.date
    note: str = strawberry.field(description="1 to 2,000 characters.")
    limit_id: strawberry.ID | None = strawberry.field(
        default=None, description="WT-L9: the limit whose request lacked the disclosure."
    )
    claim_id: strawberry.ID | None = strawberry.field(
        default=None, description="The claim a breach or an exclusion frees the insurer on."
    )
    document_id: strawberry.ID | None = None


@strawberry.type
class RuleFactPayload:
    fact: RuleFact | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetPolicyContractOptionsInput:
    policy_id: strawberry.ID
    political_risks_contracted: bool | None = strawberry.field(
        default=None,
        description="C-1: political and extraordinary risks contracted by express agreement; "
        "admits public buyers outside Colombia.",
    )
    claim_file_fee: MoneyInput | None = strawberry.field(
        default=None, description="WT-P5: what each claim file opened costs the policyholder."
    )


@strawberry.type
class PolicyContractOptionsPayload:
    policy: Policy | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
