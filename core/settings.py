"""One Settings object, read from the environment when the app, worker or CLI starts."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "change-me-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'hotline.db'}"
    # PostgreSQL connections kept per process: a web process runs up to 40 requests at once in
    # its thread pool; connections beyond the pool are opened and closed per request (a new
    # server process each on PostgreSQL), so the pool covers the usual concurrency
    database_pool_size: int = Field(default=20, ge=1, le=200)
    database_max_overflow: int = Field(default=20, ge=0, le=200)
    # a pooled connection idle longer than this is tested before use (one round trip, and a
    # fresh connection if the server dropped it); a busy pool's connections are not
    database_ping_idle_seconds: float = Field(default=10.0, ge=0)
    redis_url: str | None = None
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    public_base_url: str = "http://127.0.0.1:8000"
    city_timezone: str = "Asia/Ho_Chi_Minh"
    default_language: Literal["vi", "en"] = "vi"

    media_dir: Path = PROJECT_ROOT / "var" / "media"
    # phone photos are 3-12 MB; the form shrinks them in the browser where JavaScript runs, and
    # the server re-encodes whatever arrives (intake.photos)
    max_photo_bytes: int = 15 * 1024 * 1024
    max_request_bytes: int = 16 * 1024 * 1024
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
    # seconds a task may run before the sweep re-sends it if the broker no longer holds it
    # (its worker was killed); tasks are idempotent, so a slow one run twice does no harm
    outbox_republish_after_seconds: int = 30
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

    # --- hardening ---
    # Addresses (IPs or CIDR networks, comma-separated) of the reverse proxies whose
    # X-Forwarded-For / X-Forwarded-Proto are believed. Empty: none, the peer is the client.
    trusted_proxies: str = ""
    # failed staff log-ins before a lockout: per account and per client address
    login_failures_per_account: str = "20/minute"
    login_failures_per_address: str = "50/minute"
    login_lockout_seconds: int = 900
    # public look-ups of a report by tracking code (pages, JSON API, Open311), per client address
    status_rate_limit: str = "60/minute"
    # Open311 GET requests without an api_key: at most this many requests per answer
    open311_public_page_limit: int = 50
    # Celery beat's schedule file (an absolute path: beat may start in any folder)
    beat_schedule_file: Path = PROJECT_ROOT / "var" / "celerybeat-schedule"
    # the broker: seconds before an unacknowledged task is delivered again (after a worker
    # died), and seconds a socket may wait for Redis before the caller gives up
    broker_visibility_timeout: int = 300
    broker_socket_timeout: float = 2.0

    # --- classifier registry (issue 15) ---
    # how often servers and workers look at MODELS_ROOT/active for a new served version
    model_recheck_seconds: float = 2.0
    # a worker without any model: "train" the fast baseline (seconds) and serve it, "fail"
    # (the task errors and is retried), or "triage" every report (only when chosen explicitly)
    classifier_without_model: Literal["train", "fail", "triage"] = "train"
    # onnxruntime for the transformer when the version has an ONNX export ("torch" forces torch)
    classifier_runtime: Literal["onnx", "torch"] = "onnx"

    # --- finish (issue 13) ---
    # the city's name in the header, and an emblem (an image under /static or a full URL)
    city_name_vi: str = "Thành phố Hồ Chí Minh"
    city_name_en: str = "Ho Chi Minh City"
    city_emblem_url: str | None = None
    # a resident proving the contact on file from the status page: one-time codes
    contact_code_minutes: int = Field(default=15, ge=1, le=120)
    contact_codes_per_hour: int = Field(default=5, ge=1, le=50)
    contact_code_attempts: int = Field(default=5, ge=1, le=20)
    # staff and officials' notices: at most one digest per person per this many minutes
    # (0: each notice at once); residents' messages are never batched
    staff_digest_minutes: int = Field(default=60, ge=0, le=24 * 60)

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Settings:
        if self.environment in ("development", "test"):
            return self
        secret = self.secret_key.get_secret_value()
        if secret == PLACEHOLDER_SECRET or not looks_random(secret):
            raise ValueError(
                "SECRET_KEY must be at least 32 random characters outside development "
                "(for example the output of: python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
            )
        return self

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over https: always in production, and wherever the site is https."""
        return self.environment == "production" or self.public_base_url.startswith("https://")

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

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


MIN_SECRET_CHARS = 32


def looks_random(secret: str) -> bool:
    """32 characters or more, and not a word or a repeated pattern (a cheap entropy check)."""
    return len(secret) >= MIN_SECRET_CHARS and len(set(secret)) >= 12


class SettingsError(Exception):
    """Settings that cannot start the service; the message names fields, never their values."""


def describe_errors(error: ValidationError) -> str:
    """One line per problem: the field and what is wrong. Never the value (it may be a secret)."""
    problems = []
    for item in error.errors(include_input=False, include_url=False, include_context=False):
        field = ".".join(str(part) for part in item.get("loc", ())) or "settings"
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(f"{field.upper()}: {message}" if field != "settings" else message)
    return "; ".join(problems) or "invalid settings"


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        # pydantic's own message repeats every input value, the Twilio token included
        raise SettingsError(describe_errors(error)) from None
