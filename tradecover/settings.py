"""One settings object, read once at process start from TRADECOVER_* variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRADECOVER_", extra="ignore")

    #: dev serves GraphiQL and allows introspection for every key; production only for
    #: sandbox keys.
    env: Literal["dev", "test", "production"] = "dev"
    #: Production refuses dev defaults (sandbox card gateway, no explicit database or
    #: Redis) unless this is true: tradecover/config_checks.py.
    allow_dev_defaults: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("var")
    #: sqlite://... or postgres://...; defaults to a SQLite file in data_dir.
    database_url: str | None = None
    #: An existing Redis; when unset, `tradecover dev` starts an embedded one.
    redis_url: str | None = None
    #: How long a request waits for another request holding the same Idempotency-Key.
    idempotency_wait_seconds: float = 10.0
    #: Scheduler tick: outbox relay and periodic jobs.
    scheduler_interval_seconds: float = 1.0
    heartbeat_interval_seconds: float = 30.0
    #: Card gateway for live keys: "sandbox" or "stripe" (sandbox keys always use sandbox).
    card_gateway: Literal["sandbox", "stripe"] = "sandbox"
    stripe_api_key: str | None = None
    #: Dramatiq: a killed worker's messages come back after this many ms without heartbeat.
    broker_heartbeat_timeout_ms: int = 15_000
    #: Dramatiq: how many Redis commands in a million also run the broker's maintenance
    #: (which requeues dead workers' messages). Raised in crash tests.
    broker_maintenance_chance: int = 1_000
    #: Per-partner token buckets in Redis (tradecover/http/rate_limit.py: cost model: a
    #: query costs 1, a mutation 5, `first: 100` adds 4). 50 tokens/s is 50 queries or 10
    #: quotes a second, sustained, per partner and key mode; a process serves ~160 quotes/s.
    rate_limit_enabled: bool = True
    rate_limit_per_second: float = Field(default=50.0, gt=0)
    #: What a partner idle for burst/rate seconds may send at once (40 quotes).
    rate_limit_burst: int = Field(default=200, ge=1)
    #: Staff keys: their own, larger buckets (not exempt: see rate_limit.py).
    rate_limit_staff_per_second: float = Field(default=200.0, gt=0)
    rate_limit_staff_burst: int = Field(default=1_000, ge=1)
    #: Workers: dramatiq's Prometheus exporter on this port (0: off; deploy sets 9191).
    worker_metrics_port: int = 0
    #: The API's GET /metrics then wants `Authorization: Bearer <this>` (401 otherwise).
    #: Production refuses to start the API without it unless metrics_public is true.
    metrics_token: str | None = None
    #: Production: serve /metrics without a token (a network policy keeps it private).
    metrics_public: bool = False
    #: Document bytes each partner may keep stored (SUM of its documents' sizes), by the
    #: partner's mode; an upload over it is refused with STORAGE_QUOTA_EXCEEDED.
    document_quota_bytes_live: int = Field(default=10 * 1024**3, ge=0)
    document_quota_bytes_sandbox: int = Field(default=200 * 1024**2, ge=0)
    #: Fault injection for crash tests: "point=seconds,...", and where to drop markers.
    fault_pauses: str = ""
    fault_marker_dir: Path | None = None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'tradecover.sqlite3').as_posix()}"

    @property
    def resolved_redis_url(self) -> str:
        return self.redis_url or "redis://127.0.0.1:6379/0"

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
