"""Structured logs (issue 9): JSON lines carrying the request's or job's context, and
secrets masked in every line (issue 8, item 10)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from tradecover.logs import bind, configure_logging, log_context


@pytest.fixture
def json_logs(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging(json_lines=True)
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    structlog.reset_defaults()


def lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_stdlib_and_structlog_records_are_json_with_the_bound_context(json_logs, capfd):
    with log_context(request_id="req_1", partner_id="par_1", job_id=None):
        bind(cover_id="cov_9")
        logging.getLogger("tradecover.http").warning("bind refused for %s", "cov_9")
        structlog.get_logger("tradecover.worker").info("job.done", attempts=2)
    logging.getLogger("tradecover.http").info("outside")
    first, second, third = lines(capfd.readouterr().err)
    assert first["event"] == "bind refused for cov_9"
    assert first["level"] == "warning" and first["logger"] == "tradecover.http"
    assert (first["request_id"], first["partner_id"], first["cover_id"]) == (
        "req_1",
        "par_1",
        "cov_9",
    )
    assert "job_id" not in first
    assert second["event"] == "job.done" and second["attempts"] == 2
    assert second["request_id"] == "req_1"
    assert "request_id" not in third and "cover_id" not in third
    assert first["timestamp"].endswith("Z")


def test_api_keys_and_webhook_secrets_are_masked_in_messages_and_fields(json_logs, capfd):
    key = "tc_live_AbCdEf0123456789xyz"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    logging.getLogger("tradecover.http").error("auth with %s failed", key)
    structlog.get_logger("x").info("registered", secret=secret, stripe="sk_live_51Habc123456")
    err = capfd.readouterr().err
    assert key not in err and secret not in err and "sk_live_51Habc123456" not in err
    logged = lines(err)
    assert logged[0]["event"] == "auth with tc_live_[REDACTED] failed"
    assert logged[1]["secret"] == "whsec_[REDACTED]"


async def test_concurrent_requests_keep_their_own_context(json_logs, capfd):
    async def request(n: int) -> None:
        with log_context(request_id=f"req_{n}"):
            await asyncio.sleep(0.01 * (3 - n))
            logging.getLogger("tradecover.http").info("done %s", n)

    await asyncio.gather(*(request(n) for n in range(3)))
    logged = lines(capfd.readouterr().err)
    assert sorted((r["event"], r["request_id"]) for r in logged) == [
        (f"done {n}", f"req_{n}") for n in range(3)
    ]
