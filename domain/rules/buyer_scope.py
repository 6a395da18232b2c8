"""Who may be a buyer (C-1) and which buyers count as related to the insured (C-2), per
product (seed 000; 002 exclusion 4; 003 art. 1.2.2, 1.3 b, c, e; 004 art. 3.3.1,
3.3.3, 9.2).

A buyer is described by its legal form, an optional declared `relationship` to the
insured, an optional merchant registration flag and its corporate group. Each product has
one pure function per scope; each returns the violations it finds, [] when in scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.rules.violations import Violation

COMPANY = "COMPANY"
SOLE_TRADER = "SOLE_TRADER"
PUBLIC_BODY = "PUBLIC_BODY"
PRIVATE_INDIVIDUAL = "PRIVATE_INDIVIDUAL"

#: The buyer is a subsidiary of the insured (the insured controls it).
SUBSIDIARY = "SUBSIDIARY"
#: The insured is a subsidiary of the buyer ("o viceversa", 003 art. 1.3 e).
PARENT = "PARENT"
#: The buyer is a branch or agency of the insured, or the reverse.
BRANCH_OR_AGENCY = "BRANCH_OR_AGENCY"
#: Shared directors, legal representatives or managers, or the insured takes part in
#: managing the buyer's business.
SHARED_MANAGEMENT = "SHARED_MANAGEMENT"
#: A shareholding between them that gives no control.
SHAREHOLDING = "SHAREHOLDING"
#: The buyer is not independent of the insured legally or financially (004 art. 3.3.3).
DEPENDENT = "DEPENDENT"
#: Sole traders - a spouse or a relative up to the second degree by blood or marriage.
FAMILY = "FAMILY"
#: Any other link between them.
OTHER_LINK = "OTHER_LINK"
NONE = "NONE"

RELATIONSHIPS: tuple[str, ...] = (
    NONE,
    SUBSIDIARY,
    PARENT,
    BRANCH_OR_AGENCY,
    SHARED_MANAGEMENT,
    SHAREHOLDING,
    DEPENDENT,
    FAMILY,
    OTHER_LINK,
)

#: C-2 per product: the declared relationships that make a buyer related.
#: TR: only a client that is a subsidiary of the carrier (002 exclusion 4).
TR_RELATED = frozenset({SUBSIDIARY})
#: WT: every link 003 art. 1.3 e names, either direction; FI applies the same scope.
WT_RELATED = frozenset(RELATIONSHIPS) - {NONE}
FI_RELATED = WT_RELATED
#: TU: not independent legally and financially, or controlled or co-managed by the
#: insured (004 art. 3.3.3, 9.2). A family tie, a non-controlling shareholding or
#: another link alone do not take that independence away (product decision).
TU_RELATED = frozenset({SUBSIDIARY, PARENT, BRANCH_OR_AGENCY, SHARED_MANAGEMENT, DEPENDENT})

#: WT: political and extraordinary risks can be contracted only for buyers outside
#: Colombia (003 art. 1.2.2).
WT_HOME_COUNTRY = "CO"

LEGAL_FORM_FIELD = ("input", "buyer", "legalForm")
RELATIONSHIP_FIELD = ("input", "buyer", "relationship")
GROUP_FIELD = ("input", "buyer", "group")
MERCHANT_FIELD = ("input", "buyer", "merchantRegistered")


@dataclass(frozen=True)
class Party:
    """What the scopes read of the insured or of a buyer."""

    country: str
    registration_number: str
    legal_form: str
    group: str | None = None
    #: the buyer's declared relationship to the insured, None when none declared
    relationship: str | None = None
    #: registered as a merchant in the commercial (or legal) register, None when not said
    merchant_registered: bool | None = None


def _kind(legal_form: str) -> str:
    return legal_form.replace("_", " ").lower()


def _norm(value: str | None) -> str:
    return (value or "").strip().upper()


# C-1


def fi_buyer_scope(buyer: Party) -> list[Violation]:
    """C-1 FI (and TR, product decision): legal entities only - sole traders, private
    individuals and public buyers are not insurable (000)."""
    if buyer.legal_form == COMPANY:
        return []
    return [
        Violation(
            "C-1",
            f"The buyer is a {_kind(buyer.legal_form)}: only legal entities are insurable.",
            LEGAL_FORM_FIELD,
        )
    ]


tr_buyer_scope = fi_buyer_scope


def wt_buyer_scope(buyer: Party, *, political_risks_contracted: bool) -> list[Violation]:
    """C-1 WT: legal entities and sole traders (natural persons with merchant status who
    trade professionally as their habitual occupation) are insurable; other private
    individuals are not (003 art. 1.3 c). A public buyer is insurable only when the
    policy contracts political and extraordinary risks, which is possible only for a
    buyer outside Colombia (003 art. 1.2.2, 1.3 b)."""
    if buyer.legal_form in (COMPANY, SOLE_TRADER):
        return []
    if buyer.legal_form == PUBLIC_BODY:
        if political_risks_contracted and _norm(buyer.country) != WT_HOME_COUNTRY:
            return []
        why = (
            "political and extraordinary risks cover buyers outside Colombia only"
            if political_risks_contracted
            else "the policy does not contract political and extraordinary risks"
        )
        return [Violation("C-1", f"The buyer is a public body: {why}.", LEGAL_FORM_FIELD)]
    return [
        Violation(
            "C-1",
            "The buyer is a private individual without merchant status: not insurable.",
            LEGAL_FORM_FIELD,
        )
    ]


def tu_buyer_scope(buyer: Party) -> list[Violation]:
    """C-1 TU: clients registered as merchants in the commercial register (or the legal
    register of their country); non-merchant individuals and public bodies that cannot
    be declared insolvent are excluded (004 art. 3.3.1, 9.2). A company is taken as
    registered unless `merchant_registered` is false; a sole trader must be declared
    registered."""
    if buyer.legal_form in (PRIVATE_INDIVIDUAL, PUBLIC_BODY):
        return [
            Violation(
                "C-1",
                f"The client is a {_kind(buyer.legal_form)}: only registered merchants are "
                "insurable.",
                LEGAL_FORM_FIELD,
            )
        ]
    registered = (
        buyer.merchant_registered is not False
        if buyer.legal_form == COMPANY
        else buyer.merchant_registered is True
    )
    if registered:
        return []
    return [
        Violation(
            "C-1",
            f"The client ({_kind(buyer.legal_form)}) is not registered as a merchant in the "
            "commercial or legal register.",
            MERCHANT_FIELD,
        )
    ]


# C-2


def same_company(insured: Party, buyer: Party) -> bool:
    """The buyer is the insured itself (same country and registration number)."""
    return _norm(insured.country) == _norm(buyer.country) and _norm(
        insured.registration_number
    ) == _norm(buyer.registration_number)


def same_group(insured: Party, buyer: Party) -> bool:
    """Both declared in the same corporate group (blank groups are no group)."""
    group = _norm(insured.group)
    return bool(group) and group == _norm(buyer.group)


def _related(
    insured: Party, buyer: Party, related: frozenset[str], *, group_counts: bool
) -> list[Violation]:
    if same_company(insured, buyer):
        return [Violation("C-2", "The buyer is the insured itself.", GROUP_FIELD)]
    if buyer.relationship in related:
        return [
            Violation(
                "C-2",
                f"The buyer is related to the insured ({_kind(buyer.relationship or '')}).",
                RELATIONSHIP_FIELD,
            )
        ]
    if group_counts and same_group(insured, buyer):
        return [
            Violation(
                "C-2",
                "The buyer is related to the insured (same corporate group).",
                GROUP_FIELD,
            )
        ]
    return []


def fi_related_buyer(insured: Party, buyer: Party) -> list[Violation]:
    """C-2 FI: the WT scope (product decision) - any declared link, or the same group."""
    return _related(insured, buyer, FI_RELATED, group_counts=True)


def tr_related_buyer(insured: Party, buyer: Party) -> list[Violation]:
    """C-2 TR: only a client that is a subsidiary of the carrier (002 exclusion 4); a
    buyer of the same group that is not its subsidiary stays insurable."""
    return _related(insured, buyer, TR_RELATED, group_counts=False)


def wt_related_buyer(insured: Party, buyer: Party) -> list[Violation]:
    """C-2 WT: branch, subsidiary or agency either way, family ties of sole traders,
    shared directors, representatives or managers, any other link or shareholding - a
    shared corporate group is such a link (003 art. 1.3 e)."""
    return _related(insured, buyer, WT_RELATED, group_counts=True)


def tu_related_buyer(insured: Party, buyer: Party) -> list[Violation]:
    """C-2 TU: a client not independent of the insured legally and financially, or that
    the insured controls or helps manage; a shared corporate group is financial
    dependence (004 art. 3.3.3, 9.2)."""
    return _related(insured, buyer, TU_RELATED, group_counts=True)


def party_of(data: dict[str, object]) -> Party:
    """A Party from a stored company dictionary (snake_case keys)."""
    merchant = data.get("merchant_registered")
    relationship = data.get("relationship")
    group = data.get("group")
    return Party(
        country=str(data.get("country") or ""),
        registration_number=str(data.get("registration_number") or ""),
        legal_form=str(data.get("legal_form") or COMPANY),
        group=str(group) if group else None,
        relationship=str(relationship) if relationship else None,
        merchant_registered=merchant if isinstance(merchant, bool) else None,
    )


def tu_client_country(buyer: Party, covered_countries: tuple[str, ...]) -> list[Violation]:
    """TU-E6: the client is domiciled in one of the countries the policy lists (004 art.
    3.3.2)."""
    covered = {_norm(c) for c in covered_countries}
    if _norm(buyer.country) in covered:
        return []
    return [
        Violation(
            "TU-E6",
            f"The client is domiciled in {_norm(buyer.country)}, not in a country of the "
            f"policy ({', '.join(sorted(covered))}).",
            ("input", "buyer", "country"),
        )
    ]
