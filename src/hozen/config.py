"""Settings, read from the environment with the HOZEN_ prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "development-only-secret-change-me"


class SettingsError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOZEN_", extra="ignore")

    env: Literal["development", "production"] = "production"
    database_url: str = "sqlite:///./var/hozen.db"
    key_file: Path = Path("./var/hozen.key")
    checkpoint_key_file: Path = Path("./var/audit-checkpoint.key")
    secret_key: str = DEFAULT_SECRET
    language: Literal["ja", "en"] = "ja"
    policy_file: Path | None = None
    session_hours: float = Field(default=8.0, gt=0, le=24)
    cookie_secure: bool = False
    smtp_host: str | None = None  # e-mail notices are sent only when this is set
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "hozen@localhost"
    # PDF exports embed (a subset of) these Japanese fonts: Debian's fonts-noto-cjk.
    pdf_font: Path = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    pdf_font_bold: Path = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
    # hozen's own deployment is an approved IT system at this level (DESIGN: approved area).
    deployment_level: str = "SDS"
    # Who may scrape /metrics (hozen/ops/metrics.py): a loopback client, unless this is
    # off (behind a reverse proxy on the same host every client looks local), or anyone
    # sending this bearer token (at least 32 characters). Anyone else: "not found".
    metrics_loopback: bool = True
    metrics_token: str | None = Field(default=None, min_length=32)
    # Connections each server process keeps to PostgreSQL (plus bursts up to the
    # overflow). Sizing for several processes: see docs/deployment.md.
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=20, ge=0, le=200)
    # Threads each server process runs request handlers in, on PostgreSQL (40 on SQLite:
    # hozen.api.threads). More than a few let too many transactions wait on one another in
    # PostgreSQL (the audit chain's lock), which spends its CPU waking them (deployment.md).
    worker_threads: int = Field(default=8, ge=1, le=200)
    # Reports (pages, dashboard, /api/v1/reports/*) read here when set: a streaming
    # replica of the primary, keeping their long reads off it (docs/deployment.md).
    reports_database_url: str | None = None
    # The largest request body any route accepts (413 beyond); routes keep smaller limits.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=64 * 1024, le=1024 ** 3)
    # Reverse proxies (comma-separated addresses) whose X-Forwarded-For names the client:
    # sign-in throttling counts failures per client address, and behind a proxy every
    # client would otherwise share the proxy's (hozen/accounts/throttle.py).
    trusted_proxies: str = ""

    @property
    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_safe_to_start(self) -> None:
        """Outside development, refuse a default secret or a missing key file."""
        if self.is_development:
            return
        if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
            raise SettingsError(
                "HOZEN_SECRET_KEY is the default or shorter than 32 characters; "
                "set a random secret (or HOZEN_ENV=development for a local trial)"
            )
        if not self.key_file.exists():
            raise SettingsError(
                f"key file {self.key_file} is missing; create it with `hozen keys init` "
                "or point HOZEN_KEY_FILE at it"
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
