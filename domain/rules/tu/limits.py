"""A buyer's top-up limit over the first layer's (TU-L1..TU-L3, seed 004 art. 2): how it is
computed, reduced with the first layer and recomputed after six months or a restoration.

Amounts are taken to the cent (half-up) on entry and the TU-L2 proportion is rounded
half-up to the cent (money.round_cents). A state never carries a top-up limit above
TU-L1 of its own requested and granted amounts.

The reduction window: a first-layer reduction (TU-L2) opens it on its day; further
reductions restart its six months and keep the first layer's level from before the first
of them. While it is open the reduced top-up limit stands, even if the first layer grants
more, until either the first layer is restored to that level or above (art. 2: "En el
caso en el que el Límite de Primera Capa sea restablecido en el mismo nivel o en uno
superior durante los siguientes 6 meses") or six months pass with no further reduction
("Transcurridos 6 meses desde la reducción y siempre y cuando no hayan tenido lugar más
reducciones/cancelaciones"); either recomputes it by TU-L1 and closes the window. Were
any increase to recompute it, the seed's "mismo nivel o ... superior" would say nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from domain.rules.money import checked_cents, round_cents
from domain.rules.tu.terms import TopUpLimitState

ZERO = Decimal("0.00")

#: TU-L3: a reduced limit is recomputed by TU-L1 this many months after the last
#: first-layer reduction ("Transcurridos 6 meses desde la reducción", seed 004 art. 2).
RECOMPUTE_AFTER_MONTHS = 6


def top_up_limit(requested: Decimal, first_layer_granted: Decimal) -> Decimal:
    """TU-L1: requested - granted, no more than granted, never below 0 (seed 004 art. 2:
    "deducir al importe solicitado ... el Límite del Asegurador de Primera Capa concedido,
    siempre que dicha cantidad no sea superior al límite total concedido")."""
    requested = checked_cents(requested, "requested")
    granted = checked_cents(first_layer_granted, "first_layer_granted")
    return max(min(requested - granted, granted), ZERO)


def on_first_layer_decision(
    state: TopUpLimitState | None,
    requested: Decimal,
    new_granted: Decimal,
    decided_on: date,
    *,
    further_reductions_expected: bool = False,
) -> TopUpLimitState:
    """The top-up limit after a first-layer decision on `decided_on` (state None: the
    first grant, by TU-L1).

    A reduction window whose six months have run out by `decided_on` is recomputed first
    (`recompute_after_six_months`, unless the insured knows of further reductions to
    come: `further_reductions_expected`). Then:

    - a reduction (new granted < granted) applies TU-L2: top-up x new / old, half-up;
      a top-up limit of 0 at the reduction stays 0 (`zero_locked`, art. 2: "Si en el
      momento de la reducción la cobertura de la Compañía para el cliente es cero, el
      Límite de Crédito para futuras Entregas ... será también cero");
    - with no reduction window open, any other decision (an increase, or a new
      requested amount) recomputes by TU-L1;
    - in an open window, a restoration to the level before the reduction or above
      recomputes by TU-L1 (TU-L3); anything less leaves the reduced (or zero-locked)
      limit standing.
    """
    requested = checked_cents(requested, "requested")
    new = checked_cents(new_granted, "new_granted")
    if state is None:
        return _recomputed(requested, new)
    if state.last_reduction_on is not None and decided_on < state.last_reduction_on:
        raise ValueError(
            f"a decision on {decided_on.isoformat()} comes before the last reduction on "
            f"{state.last_reduction_on.isoformat()}"
        )
    state = recompute_after_six_months(
        state, decided_on, further_reductions_expected=further_reductions_expected
    )
    old = state.first_layer_granted
    if new < old:
        return _reduced(state, requested, new, decided_on)
    before = state.first_layer_before_reduction
    if before is None or new >= before:
        return _recomputed(requested, new)
    return replace(
        state,
        requested=requested,
        first_layer_granted=new,
        top_up_limit=min(state.top_up_limit, top_up_limit(requested, new)),
    )


def recompute_due_on(state: TopUpLimitState) -> date | None:
    """TU-L3: the last reduction + 6 months (31 Aug -> 28/29 Feb), or None when no
    reduction is pending."""
    if state.last_reduction_on is None:
        return None
    return state.last_reduction_on + relativedelta(months=RECOMPUTE_AFTER_MONTHS)


def recompute_after_six_months(
    state: TopUpLimitState, today: date, *, further_reductions_expected: bool = False
) -> TopUpLimitState:
    """TU-L3: recomputed by TU-L1 (and `zero_locked` cleared) from `recompute_due_on`
    on; unchanged before it, with nothing pending, or while the insured knows of further
    reductions to come (art. 2: "y el Asegurado no disponga de información referente a
    que se vayan a realizar futuras reducciones/cancelaciones")."""
    due = recompute_due_on(state)
    if due is None or today < due or further_reductions_expected:
        return state
    return _recomputed(state.requested, state.first_layer_granted)


def _reduced(
    state: TopUpLimitState, requested: Decimal, new: Decimal, decided_on: date
) -> TopUpLimitState:
    """TU-L2, from `state.first_layer_granted` (> new >= 0) down to `new`."""
    old = state.first_layer_granted
    at_reduction = state.top_up_limit
    proportional = round_cents(at_reduction * new / old)
    before = state.first_layer_before_reduction
    return TopUpLimitState(
        requested=requested,
        first_layer_granted=new,
        top_up_limit=min(proportional, top_up_limit(requested, new)),
        zero_locked=at_reduction == ZERO,
        last_reduction_on=decided_on,
        first_layer_before_reduction=old if before is None else before,
    )


def _recomputed(requested: Decimal, granted: Decimal) -> TopUpLimitState:
    """TU-L1, with no reduction pending."""
    return TopUpLimitState(requested, granted, top_up_limit(requested, granted))
