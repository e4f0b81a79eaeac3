"""Configuration read from the environment (prefix ``SPOKES_``) or an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SPOKES_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///spokes.db",
        description="SQLAlchemy URL; a SQLite file in the working directory by default.",
    )
    organisation: str = Field(
        default="CỤC BÁO CHÍ",
        description="Organisation printed on exports (press management moved ministries in 2025).",
    )
    default_language: Literal["vi", "en"] = Field(
        default="vi", description="Language of messages when a person has not chosen one."
    )
    timezone: str = Field(
        default="Asia/Ho_Chi_Minh", description="Time zone in which times are shown to people."
    )
    import_max_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="Largest file an import reads, in bytes."
    )
    import_max_rows: int = Field(
        default=50_000, gt=0, description="Most data rows an imported file may have."
    )
    import_max_uncompressed: int = Field(
        default=100 * 1024 * 1024,
        gt=0,
        description="Most bytes an imported .xlsx may expand to (zip-bomb check).",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, description="How long a SQLite writer waits for a lock."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
