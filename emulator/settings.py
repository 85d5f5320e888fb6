"""The one settings object, read from ``EMULATOR_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# A link to the top-level fixtures/ folder in a checkout; a copy of it in an installed wheel.
DEFAULT_FIXTURES = Path(__file__).resolve().parent / "default_fixtures"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "number-emulator"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMULATOR_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    log_level: str = "info"
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    fixtures: Path = DEFAULT_FIXTURES
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    # When set, every control route but GET /_emulator/health wants "Authorization: Bearer <token>".
    control_token: str | None = Field(default=None, min_length=1, max_length=4096)
    # PUT /_emulator/state takes whole snapshots, so it has a larger limit of its own.
    max_snapshot_bytes: int = Field(default=67_108_864, ge=1)
    # Request headers beyond either limit are refused with 431 before any route sees them.
    max_header_bytes: int = Field(default=32_768, ge=256)
    max_header_count: int = Field(default=100, ge=1)
    # Serving processes ``serve`` starts on one database; they act as one emulator.
    workers: int = Field(default=1, ge=1, le=64)
    # uvicorn's own limits (``serve`` flags of the same names win).
    timeout_keep_alive: int = Field(default=5, ge=0)
    timeout_graceful_shutdown: int | None = Field(default=None, ge=0)
    limit_concurrency: int | None = Field(default=None, ge=1)
    limit_max_requests: int | None = Field(default=None, ge=1)
    backlog: int = Field(default=2048, ge=1)
    # Per provider, the only credentials accepted, e.g. {"yay": [["reseller", "user", "password"]]};
    # a provider not listed accepts any non-empty credentials.
    credentials: dict[str, list[list[str]]] = Field(default_factory=dict)
    # How often background work (due transitions, callback deliveries) is looked for, in seconds.
    tick_seconds: float = Field(default=0.2, gt=0)
    # The request journal keeps the last ``journal_size`` provider requests in the database (0 turns
    # it off); each recorded body is cut at ``journal_body_bytes``.
    journal_size: int = Field(default=1000, ge=0, le=1_000_000)
    journal_body_bytes: int = Field(default=16_384, ge=0, le=16_777_216)
    # Seed of every random choice made for tests (generated records, random fault latency and
    # probability); unset means a fresh seed each time.
    seed: int | None = None
    # Origins whose pages may call the providers' APIs from a browser (CORS): comma-separated, ``*``
    # for any, empty for none. The control plane allows no other origin.
    cors_origins: str = Field(default="*", max_length=8192)
    # The documented GETs answered ahead of FastAPI's routing, with the same bytes (off: every
    # request goes through the FastAPI routes; for comparing the two).
    hot_routes: bool = True
    # Host header (without port) → provider name; unset means each provider's real API hosts.
    virtual_hosts: dict[str, str] | None = None
    # Callback deliveries: a failed attempt is retried after the backoff (doubling from the base,
    # up to the cap; virtual seconds, so advancing the clock brings retries due) until the limit.
    callback_max_attempts: int = Field(default=8, ge=1, le=100)
    callback_backoff_seconds: float = Field(default=2.0, gt=0)
    callback_backoff_max_seconds: float = Field(default=600.0, gt=0)
    # Where callbacks may go besides the default (anywhere but the emulator itself and link-local or
    # metadata addresses): comma-separated host or host:port patterns (``*`` wildcards) and CIDR
    # ranges; when set, nothing else is allowed.
    callback_hosts: str | None = Field(default=None, max_length=8192)
    # Real seconds an attempt may take (connect, send, answer) before it counts as failed.
    callback_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # Real seconds a process holds its claim on a delivery it is sending; if it dies meanwhile,
    # another process takes the delivery over after this long. Longer than the attempt timeout.
    callback_lease_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Threads sending callbacks in the background, each draining one URL at a time; one tenant
    # gets at most a quarter of them.
    callback_workers: int = Field(default=32, ge=1, le=256)
    # A provider's own settings live in its package (``Provider.settings``), read from
    # ``EMULATOR_<PROVIDER>_*`` variables in the same way.

    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data folder (created on first start)."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'emulator.sqlite3'}"
