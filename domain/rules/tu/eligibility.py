"""Whether a delivery and a loss are insured by the top-up cover (TU-E1..TU-E3, TU-N1,
TU-C2; seed 004 art. 3, 4.2, 5.6, 7 and definition XVI).

Periods are calendar days ("días naturales") and a deadline's last day is still on time.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from domain.rules.money import checked_cents
from domain.rules.tu.terms import TopUpTerms
from domain.rules.violations import Violation

ZERO = Decimal("0.00")

#: TU-E1: invoiced within this many days of the delivery, or the first layer's term when
#: shorter ("dentro de los 60 días a partir de la Entrega", seed 004 art. 3.2.2).
INVOICING_DAYS = 60
#: TU-N1: a loss is notified within this many days of learning of the insolvency
#: ("dentro de los 30 días naturales siguientes", art. 5.6).
NOTIFICATION_DAYS = 30


def check_delivery(
    terms: TopUpTerms,
    delivered_on: date,
    invoiced_on: date,
    due_date: date,
    amount: Decimal,
    limit_in_force: Decimal,
    overdue_days_at_delivery: int,
    client_insolvent_at_delivery: bool,
    threat_of_loss_known: bool,
    *,
    first_layer_covers_despite_cutoff: bool = False,
) -> list[Violation]:
    """TU-E1 and TU-E3 for one delivery: every reason it is not insured, [] when it is.

    TU-E1 (art. 3.2.1, 3.2.2, 3.2.5, 3.2.6): delivered from `period_start` to `period_end`
    (both included); invoiced at most 60 days (or the first layer's shorter term) after
    the delivery; a top-up limit above 0 in force when invoiced (an amount above it is not
    refused here: TU-C1 limits the loss to it); payment term (due date - invoice date) at
    most `max_payment_term_days`.

    TU-E3 (definition XVI, art. 4.2): not to a buyer overdue by more than
    `supply_cutoff_days` ("Saldo vencido de más días de lo establecido": the number of
    days itself is still insured), nor insolvent, nor after a threat of loss was known.
    When the first layer covers the delivery despite the cut-off (and its limit was not
    cancelled), so does the top-up ("Si el Asegurador de Primera Capa otorga cobertura a
    pesar del Corte de Suministro, la Compañía acepta otorgar cobertura adicional").
    """
    checked_cents(amount, "amount")
    limit = checked_cents(limit_in_force, "limit_in_force")
    _days(overdue_days_at_delivery, "overdue_days_at_delivery")
    found: list[Violation] = []
    if not terms.period_start <= delivered_on <= terms.period_end:
        found.append(
            Violation(
                "TU-E1",
                f"Delivered on {delivered_on.isoformat()}, outside the policy period "
                f"{terms.period_start.isoformat()} to {terms.period_end.isoformat()}.",
                ("input", "deliveredOn"),
            )
        )
    allowed = invoicing_days(terms)
    if (invoiced_on - delivered_on).days > allowed:
        found.append(
            Violation(
                "TU-E1",
                f"Invoiced on {invoiced_on.isoformat()}, more than {allowed} days after the "
                f"delivery on {delivered_on.isoformat()}.",
                ("input", "invoicedOn"),
            )
        )
    if limit <= ZERO:
        found.append(
            Violation(
                "TU-E1",
                "No top-up limit in force when the delivery was invoiced.",
                ("input", "amount"),
            )
        )
    term = (due_date - invoiced_on).days
    if term > terms.max_payment_term_days:
        found.append(
            Violation(
                "TU-E1",
                f"The payment term of {term} days exceeds the maximum of "
                f"{terms.max_payment_term_days} days.",
                ("input", "dueDate"),
            )
        )
    if not first_layer_covers_despite_cutoff:
        found += _supply_cutoff(
            terms, overdue_days_at_delivery, client_insolvent_at_delivery, threat_of_loss_known
        )
    return found


def invoicing_days(terms: TopUpTerms) -> int:
    """TU-E1: the days allowed between delivery and invoice: 60, or the first layer's
    term when shorter ("aquel plazo que sea más corto", art. 3.2.2)."""
    if terms.first_layer_invoicing_days is None:
        return INVOICING_DAYS
    return min(INVOICING_DAYS, terms.first_layer_invoicing_days)


def check_loss(
    terms: TopUpTerms,
    loss_amount: Decimal,
    admitted_in_proceedings: bool,
    recoveries_exhausted: bool,
) -> list[Violation]:
    """TU-E1 for a loss (art. 3.2.3, 3.2.7, 3.2.8): admitted as a liability in the
    insolvency proceedings, every recovery exhausted, and above the PNI threshold; a loss
    equal to it is not indemnifiable ("sean superiores al importe especificado en el
    artículo 10.a ... es decir, no se trata de una Pérdida no-indemnizable")."""
    loss = checked_cents(loss_amount, "loss_amount")
    threshold = checked_cents(terms.pni_threshold, "pni_threshold")
    found: list[Violation] = []
    if not admitted_in_proceedings:
        found.append(
            Violation(
                "TU-E1",
                "The claim was not admitted in the insolvency proceedings.",
                ("input", "admittedInProceedings"),
            )
        )
    if not recoveries_exhausted:
        found.append(
            Violation(
                "TU-E1",
                "Not every possible recovery action has been exhausted.",
                ("input", "recoveriesExhausted"),
            )
        )
    if loss <= threshold:
        found.append(
            Violation(
                "TU-E1",
                f"The loss of {loss} is not above the non-indemnifiable threshold of {threshold}.",
                ("input", "lossAmount"),
            )
        )
    return found


def insured_event_on(first_layer_paid_on: date | None, first_layer_owed: bool) -> date | None:
    """TU-E2: the day the first layer paid its indemnity; None before it pays, or when it
    paid what its contract did not oblige it to (art. 3.1.3: "esta Insolvencia no es un
    hecho asegurable en el presente Contrato de Seguro")."""
    if first_layer_paid_on is None or not first_layer_owed:
        return None
    return first_layer_paid_on


def check_notification(learned_of_insolvency_on: date, notified_on: date) -> Violation | None:
    """TU-N1: notified at most 30 days after learning of the insolvency (art. 5.6): day 30
    is on time, day 31 late."""
    last_day = learned_of_insolvency_on + timedelta(days=NOTIFICATION_DAYS)
    if notified_on <= last_day:
        return None
    return Violation(
        "TU-N1",
        f"Loss notified on {notified_on.isoformat()}, after the last day "
        f"{last_day.isoformat()} ({NOTIFICATION_DAYS} days after learning of the insolvency).",
        ("input", "notifiedOn"),
    )


def insurance_year_of(first_unpaid_invoice_date: date, period_start: date) -> int:
    """TU-C2: the insurance year (0 from `period_start`, 1 from its first anniversary...)
    of the first unpaid invoice's date (art. 7: "el primer impago y ... se regirá por la
    fecha de la factura correspondiente"). A 29 February start has its anniversaries on
    28 February in common years."""
    if first_unpaid_invoice_date < period_start:
        raise ValueError(
            f"the invoice of {first_unpaid_invoice_date.isoformat()} is before the policy "
            f"start {period_start.isoformat()}"
        )
    year = first_unpaid_invoice_date.year - period_start.year
    if period_start + relativedelta(years=year) > first_unpaid_invoice_date:
        year -= 1
    return year


def _supply_cutoff(
    terms: TopUpTerms, overdue_days: int, insolvent: bool, threat_known: bool
) -> list[Violation]:
    """TU-E3 (definition XVI, art. 4.2)."""
    found: list[Violation] = []
    if overdue_days > terms.supply_cutoff_days:
        found.append(
            Violation(
                "TU-E3",
                f"Supply cut-off: the buyer was {overdue_days} days overdue at the delivery, "
                f"more than {terms.supply_cutoff_days}.",
                ("input", "deliveredOn"),
            )
        )
    if insolvent:
        found.append(
            Violation(
                "TU-E3",
                "Supply cut-off: the buyer was insolvent at the delivery.",
                ("input", "deliveredOn"),
            )
        )
    if threat_known:
        found.append(
            Violation(
                "TU-E3",
                "Supply cut-off: a threat of loss was known at the delivery.",
                ("input", "deliveredOn"),
            )
        )
    return found


def _days(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a count of days of at least 0, not {value!r}")
    return value
