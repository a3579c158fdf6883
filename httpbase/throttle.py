"""Per-client rate limits on the doors that write (the `limits` library, as slowapi uses).

Counters live in Redis when REDIS_URL is set (shared by every web process), else in memory.
If the counter store fails, reports are accepted: a limiter must never lose a report.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from core.errors import RateLimited
from core.settings import Settings

log = logging.getLogger(__name__)


class Throttle:
    def __init__(self, settings: Settings) -> None:
        uri = settings.redis_url or "memory://"
        self.limit = parse(settings.report_rate_limit) if settings.report_rate_limit else None
        options = {"socket_connect_timeout": 1, "socket_timeout": 1} if settings.redis_url else {}
        self.limiter = MovingWindowRateLimiter(storage_from_string(uri, **options))

    def allow(self, scope: str, key: str) -> bool:
        if self.limit is None:
            return True
        try:
            return bool(self.limiter.hit(self.limit, scope, key))
        except Exception as error:  # the store is down: fail open
            log.warning("rate limiter unavailable, allowing: %s", error)
            return True


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit_reports(request: Request) -> None:
    throttle: Throttle | None = getattr(request.app.state, "throttle", None)
    if throttle is not None and not throttle.allow("reports", client_key(request)):
        raise RateLimited(
            "Too many reports from your connection: please wait a minute and try again."
        )


ReportRateLimit = Annotated[None, Depends(limit_reports)]
