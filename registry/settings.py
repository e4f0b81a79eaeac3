"""Configuration read from the environment (prefix ``SPOKES_``) or an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
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
    import_max_shared_strings: int = Field(
        default=1_000_000,
        gt=0,
        description="Most entries an imported .xlsx's shared-string table may hold.",
    )
    import_max_shared_chars: int = Field(
        default=30_000_000,
        gt=0,
        description="Most characters an imported .xlsx's shared strings may hold in all.",
    )
    import_max_columns: int = Field(
        default=1_000, gt=0, description="Most cells one row of an imported file may hold."
    )
    import_max_cells: int = Field(
        default=2_000_000, gt=0, description="Most cells an imported file may hold in all."
    )
    import_max_sheet_rows: int = Field(
        default=200_000,
        gt=0,
        description="Most rows (filled or only formatted) a sheet of an imported .xlsx may have.",
    )
    import_max_seconds: float = Field(
        default=60.0, gt=0, description="Longest time reading one imported file may take."
    )
    sqlite_busy_timeout_ms: int = Field(
        default=30_000,
        ge=0,
        description=(
            "How long a SQLite writer waits for the write lock before giving up. Writes are"
            " short, but fifty commands started at once each wait for all the others."
        ),
    )
    invitation_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs invitations (32+ characters). Invitations are mailed and "
        "outlive any process, so none can be made or accepted without it.",
    )
    invitation_days: int = Field(
        default=60, ge=1, le=366, description="How long a new invitation works, in days."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
