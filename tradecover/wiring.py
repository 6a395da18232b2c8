"""Per-process wiring of the domain's outside-world ports, done once at start by the
API, the worker and the scheduler: card gateways and the outbox's sender."""

from __future__ import annotations

from domain.services import faults, outbox
from domain.services.gateways import registry
from domain.services.gateways.card import CardGateway
from domain.services.gateways.factory import card_gateway
from tradecover.settings import Settings
from tradecover.storage_wiring import configure_storage


def configure_gateways(settings: Settings) -> None:
    gateways: list[CardGateway] = [card_gateway("sandbox")]
    if settings.card_gateway == "stripe":
        gateways.append(card_gateway("stripe", settings.stripe_api_key))
    registry.configure(gateways, live=settings.card_gateway)


def configure_process(settings: Settings) -> None:
    """Gateways, and jobs sent to Redis right after their commit. Every process (API,
    worker, scheduler) passes here first, so an unsafe production configuration stops
    them all before they serve anything."""
    from tradecover.config_checks import ensure_startable

    ensure_startable(settings)
    from workers.relay import send_to_broker  # imports the broker: Redis from settings

    configure_gateways(settings)
    configure_storage(settings)
    outbox.set_sender(send_to_broker)
    faults.configure(faults.parse(settings.fault_pauses), settings.fault_marker_dir)
