"""Per-process wiring of the domain's outside-world ports, done once at start by the
API, the worker and the scheduler: card gateways, the outbox's sender, and the log
redaction of API keys and webhook secrets."""

from __future__ import annotations

import logging
from typing import Any

from domain.services import faults, outbox
from domain.services.gateways import registry
from domain.services.gateways.card import CardGateway
from domain.services.gateways.factory import card_gateway
from tradecover.logs import redact_text as redact
from tradecover.settings import Settings
from tradecover.storage_wiring import configure_storage


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken record: logging reports it when it is formatted
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        trace = logging.Formatter().formatException(record.exc_info)
        clean = redact(trace)
        if clean != trace:
            record.exc_text = clean  # formatters use it instead of formatting again
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install_log_redaction() -> None:
    """Every log record of this process, whichever logger makes it and whichever handler
    writes it, has API keys and webhook secrets replaced by the prefix and [REDACTED] in
    its message and traceback (at DEBUG, Tortoise logs SQL parameters: the secrets of
    webhook endpoints). A record factory, not a handler filter: filters on a logger
    miss its children's records, and handlers added later (pytest's) would have none."""
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_secrets", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _redact_record(record)
        return record

    factory.redacts_secrets = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def configure_gateways(settings: Settings) -> None:
    gateways: list[CardGateway] = [card_gateway("sandbox")]
    if settings.card_gateway == "stripe":
        gateways.append(card_gateway("stripe", settings.stripe_api_key))
    registry.configure(gateways, live=settings.card_gateway)


def configure_process(settings: Settings, *, serves_metrics: bool = False) -> None:
    """Gateways, and jobs sent to Redis right after their commit. Every process (API,
    worker, scheduler) passes here first, so an unsafe production configuration stops
    them all before they serve anything (`serves_metrics`: the API)."""
    from tradecover.config_checks import ensure_startable

    ensure_startable(settings, serves_metrics=serves_metrics)
    from workers.relay import send_to_broker  # imports the broker: Redis from settings

    install_log_redaction()
    configure_gateways(settings)
    configure_storage(settings)
    outbox.set_sender(send_to_broker)
    faults.configure(faults.parse(settings.fault_pauses), settings.fault_marker_dir)
