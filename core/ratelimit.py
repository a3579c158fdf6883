"""Rate limiting that never makes a request wait on a sick counter store.

Built on the `limits` library (moving windows; Redis when REDIS_URL is set, so every web process
shares the counters; memory otherwise). Redis is asked with short socket timeouts, and after a
failure a circuit breaker skips it for a few seconds: a limiter that is down lets requests
through (fails open) rather than losing a report or stalling every request for a timeout.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from core.circuit import CircuitBreaker

log = logging.getLogger(__name__)
REDIS_TIMEOUT_SECONDS = 0.5

_limiters: dict[str, ResilientLimiter] = {}
_lock = threading.Lock()


class ResilientLimiter:
    def __init__(self, uri: str) -> None:
        options: dict[str, Any] = {}
        if uri.startswith(("redis://", "rediss://")):
            options = {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            }
        self.uri = uri
        self.limiter = MovingWindowRateLimiter(storage_from_string(uri, **options))
        self.breaker = CircuitBreaker(open_seconds=5)

    def hit(self, item: RateLimitItem, *identifiers: str, fail_open: bool = True) -> bool:
        """Count one hit; False when over the limit. A store that fails answers `fail_open`."""
        if not self.breaker.allow():
            return fail_open
        try:
            allowed = bool(self.limiter.hit(item, *identifiers))
        except Exception as error:
            self.breaker.failed()
            log.warning("rate-limit store unavailable (%s): answering %s", error, fail_open)
            return fail_open
        self.breaker.succeeded()
        return allowed

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Whether one more hit would be allowed, without counting it (True when unsure)."""
        if not self.breaker.allow():
            return True
        try:
            allowed = bool(self.limiter.test(item, *identifiers))
        except Exception as error:
            self.breaker.failed()
            log.warning("rate-limit store unavailable (%s)", error)
            return True
        self.breaker.succeeded()
        return allowed

    def remaining(self, item: RateLimitItem, *identifiers: str) -> int | None:
        """Hits left in the current window; None when the store cannot tell."""
        if not self.breaker.allow():
            return None
        try:
            stats = self.limiter.get_window_stats(item, *identifiers)
        except Exception as error:
            self.breaker.failed()
            log.warning("rate-limit store unavailable (%s)", error)
            return None
        self.breaker.succeeded()
        return int(stats.remaining)

    def clear(self, item: RateLimitItem, *identifiers: str) -> None:
        try:
            self.limiter.clear(item, *identifiers)
        except Exception as error:
            log.warning("rate-limit store unavailable (%s)", error)


def limiter_for(redis_url: str | None) -> ResilientLimiter:
    """One limiter per store, shared by the process."""
    uri = redis_url or "memory://"
    with _lock:
        if uri not in _limiters:
            _limiters[uri] = ResilientLimiter(uri)
        return _limiters[uri]


def reset_memory_limits() -> None:
    """Forget the in-memory counters (tests); shared Redis counters are left alone."""
    with _lock:
        _limiters.pop("memory://", None)


def parse_limit(text: str | None) -> RateLimitItem | None:
    """"30/minute" -> the limit; "" or None -> no limit."""
    return parse(text) if text else None
