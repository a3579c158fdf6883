"""Per-client rate limits on the doors that write and on look-ups by tracking code.

Built on `limits` (core.ratelimit): counters live in Redis when REDIS_URL is set (shared by
every web process), else in memory. Redis is asked with short timeouts behind a circuit
breaker, and if the counter store fails, requests are let through: a limiter must never lose
a report, nor make a request wait for a sick Redis.

The client is the peer address, or, only for requests from the proxies listed in
TRUSTED_PROXIES, the address they forwarded (httpbase.security.TrustedProxies rewrites it).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from core import ratelimit
from core.errors import RateLimited
from core.settings import Settings

log = logging.getLogger(__name__)


class Throttle:
    def __init__(self, settings: Settings) -> None:
        self.limit = ratelimit.parse_limit(settings.report_rate_limit)
        self.lookup_limit = ratelimit.parse_limit(settings.status_rate_limit)
        self.limiter = ratelimit.limiter_for(settings.redis_url)

    def allow(self, scope: str, key: str) -> bool:
        if self.limit is None:
            return True
        return self.limiter.hit(self.limit, scope, key)

    def allow_lookup(self, key: str) -> bool:
        if self.lookup_limit is None:
            return True
        return self.limiter.hit(self.lookup_limit, "lookups", key)


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_reports(request: Request) -> None:
    """RateLimited when this client filed too many reports (may wait on Redis: call it from a
    route's thread)."""
    throttle: Throttle | None = getattr(request.app.state, "throttle", None)
    if throttle is not None and not throttle.allow("reports", client_key(request)):
        raise RateLimited(
            "Too many reports from your connection: please wait a minute and try again."
        )


def check_lookups(request: Request) -> None:
    """Look-ups of a report by tracking code: a person follows a few, a script tries many."""
    throttle: Throttle | None = getattr(request.app.state, "throttle", None)
    if throttle is not None and not throttle.allow_lookup(client_key(request)):
        raise RateLimited(
            "Too many look-ups from your connection: please wait a minute and try again."
        )


async def limit_reports(request: Request) -> None:
    """Dependency: check_reports, asked from a thread only when a limit is set (async, so that
    a request without one does not pay for a hand-over to the thread pool)."""
    throttle: Throttle | None = getattr(request.app.state, "throttle", None)
    if throttle is not None and throttle.limit is not None:
        await run_in_threadpool(check_reports, request)


async def limit_lookups(request: Request) -> None:
    """Dependency: check_lookups (as limit_reports)."""
    throttle: Throttle | None = getattr(request.app.state, "throttle", None)
    if throttle is not None and throttle.lookup_limit is not None:
        await run_in_threadpool(check_lookups, request)


ReportRateLimit = Annotated[None, Depends(limit_reports)]
LookupRateLimit = Annotated[None, Depends(limit_lookups)]
