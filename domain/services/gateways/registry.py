"""Which card gateway a process uses: configured once at start (API, worker), read by
services. Sandbox keys always use the sandbox gateway, like a card provider's test mode."""

from __future__ import annotations

from domain.services.gateways.card import CardGateway

_by_name: dict[str, CardGateway] = {}
_live_name: str = "sandbox"


def configure(gateways: list[CardGateway], live: str) -> None:
    global _live_name
    _by_name.clear()
    _by_name.update({g.name: g for g in gateways})
    if live not in _by_name or "sandbox" not in _by_name:
        raise ValueError("configure the sandbox gateway and the live one")
    _live_name = live


def for_partner(sandbox: bool) -> CardGateway:
    return by_name("sandbox" if sandbox else _live_name)


def by_name(name: str) -> CardGateway:
    if name not in _by_name:
        raise RuntimeError(f"card gateway {name!r} is not configured in this process")
    return _by_name[name]
