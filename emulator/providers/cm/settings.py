"""CM.com's own settings: how fast number requests move on, read from ``EMULATOR_CM_*`` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CMSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMULATOR_CM_", extra="ignore")

    # Orders of at most this many numbers in a known area are filled at once; larger ones are
    # accepted, then completed, after these (virtual) delays.
    immediate_max_quantity: int = Field(default=10, ge=0, le=1000)
    accept_after_seconds: float = Field(default=60.0, ge=0)
    complete_after_seconds: float = Field(default=300.0, ge=0)
