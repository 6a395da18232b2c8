"""Settings for the per-product hypothesis state machines (tests/*/test_*_state_machine.py).

The default run is short so `make test` stays well inside CI's budget; set
TRADECOVER_STATEFUL=long for a deeper run (more examples, longer sequences)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

LONG = os.environ.get("TRADECOVER_STATEFUL", "").lower() == "long"


def machine_settings(*, examples: int = 15, steps: int = 20) -> settings:
    """hypothesis settings for one state machine: `examples` sequences of up to `steps`
    operations by default, ten times more of each under TRADECOVER_STATEFUL=long."""
    scale = 10 if LONG else 1
    return settings(
        max_examples=examples * scale,
        stateful_step_count=steps * (3 if LONG else 1),
        deadline=None,
        derandomize=not LONG,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
