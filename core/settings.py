"""One Settings object, read from the environment when the app, worker or CLI starts."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "change-me-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'hotline.db'}"
    redis_url: str | None = None
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    public_base_url: str = "http://127.0.0.1:8000"
    city_timezone: str = "Asia/Ho_Chi_Minh"
    default_language: Literal["vi", "en"] = "vi"

    media_dir: Path = PROJECT_ROOT / "var" / "media"
    max_photo_bytes: int = 5 * 1024 * 1024
    max_request_bytes: int = 8 * 1024 * 1024
    max_description_chars: int = 5000
    default_phone_region: str = "VN"
    # per client address, on the report form and POST /api/v1/reports ("" turns it off)
    report_rate_limit: str = "30/minute"

    models_root: Path = PROJECT_ROOT / "var" / "models"
    base_model_dir: Path | None = None
    triage_threshold: float | None = Field(
        default=None,
        description="Confidence below which a ticket goes to triage; unset: the model's own",
    )

    # outbox and in-process worker
    outbox_poll_seconds: float = 0.5
    outbox_republish_after_seconds: int = 600
    embedded_worker: bool = True

    # working calendar
    holiday_country: str = "VN"
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    # how long after a resolution the resident may reopen it; then the sweep closes the ticket
    reopen_window_days: int = Field(default=7, ge=1, le=90)

    # outbound channels (console backends when unset)
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    sms_flood_per_minute: int = 10  # texts from one number per minute before "slow down"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "hotline@example.org"

    # --- places (issue 14) ---
    # the province whose wards and communes are the areas (official GSO code; 79: Ho Chi Minh City)
    places_province_code: int = Field(default=79, ge=1, le=99)

    # --- zalo --- (the Zalo Official Account channel; off while app id or OA secret is unset)
    zalo_app_id: str | None = None
    zalo_oa_secret_key: SecretStr | None = None  # checks X-ZEvent-Signature on webhooks
    zalo_app_secret_key: SecretStr | None = None  # the app's secret: refreshing access tokens
    zalo_access_token: SecretStr | None = None  # first tokens; later ones are kept encrypted
    zalo_refresh_token: SecretStr | None = None
    zalo_replay_window_seconds: int = 300  # older (or later) event timestamps are refused
    zalo_max_body_bytes: int = 64 * 1024
    zalo_quiet_seconds: int = 300  # a report being written is filed after this much silence
    zalo_cs_window_hours: int = 48  # customer-service messages allowed after the last message
    zalo_api_url: str = "https://openapi.zalo.me"
    zalo_oauth_url: str = "https://oauth.zaloapp.com/v4/oa/access_token"
    zalo_media_hosts: tuple[str, ...] = ("zadn.vn", "zdn.vn", "zalo.me", "zaloapp.com")

    # --- closing the loop (issue 17) ---
    # a "scheduled for" date may be at most this many days ahead
    schedule_max_days: int = Field(default=365, ge=1, le=3650)
    # after the "is it fixed?" question, the answer is awaited this long, then recorded as none
    fix_answer_days: int = Field(default=14, ge=1, le=90)
    # no SMS between these hours, city time, unless it answers the resident's own message
    sms_quiet_start_hour: int = Field(default=21, ge=0, le=23)
    sms_quiet_end_hour: int = Field(default=7, ge=0, le=23)
    # an agency is ranked on the scoreboard once it has this many reports with a decided deadline
    scoreboard_min_reports: int = Field(default=30, ge=1, le=100000)

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key.get_secret_value() == PLACEHOLDER_SECRET
        ):
            raise ValueError("SECRET_KEY must be set to a real secret outside development")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_app_id and self.zalo_oa_secret_key)

    @property
    def zalo_sends(self) -> bool:
        """Real OA API calls; otherwise Zalo messages go to the console (embedded mode)."""
        return bool(
            self.zalo_enabled
            and self.zalo_app_secret_key
            and (self.zalo_access_token or self.zalo_refresh_token)
        )

    @property
    def uses_celery(self) -> bool:
        return bool(self.redis_url)


@lru_cache
def get_settings() -> Settings:
    return Settings()
