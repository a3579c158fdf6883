"""Log-in throttling: by account and by client address, with growing delays and a lockout.

Each failed log-in counts against the account (normalised e-mail) and the client's address
(`limits` moving windows, in Redis when REDIS_URL is set). After a few failures every further
attempt waits a little longer; once an account (or an address) used up its allowance (20
failures a minute by default) it is locked for LOGIN_LOCKOUT_SECONDS, and even the right
password is refused with a notice saying so. Every failure and lockout is logged (the address
and a digest of the e-mail, never the password).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond

from core import ratelimit
from core.errors import RateLimited
from core.settings import Settings

log = logging.getLogger("hotline.security")
FREE_FAILURES = 3  # no delay for the first few typos
DELAY_CAP_SECONDS = 2.0


def delay_seconds(failures: int, *, cap: float = DELAY_CAP_SECONDS) -> float:
    """0 for the first FREE_FAILURES failures, then 0.25 s doubling up to `cap`."""
    if failures <= FREE_FAILURES:
        return 0.0
    return float(min(cap, 0.25 * 2 ** (failures - FREE_FAILURES - 1)))


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:24]


@dataclass
class LoginThrottle:
    settings: Settings

    @property
    def _limiter(self) -> ratelimit.ResilientLimiter:
        return ratelimit.limiter_for(self.settings.redis_url)

    def _lock(self) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(1, max(1, self.settings.login_lockout_seconds))

    def _limits(self) -> list[tuple[str, str]]:
        return [
            ("account", self.settings.login_failures_per_account),
            ("address", self.settings.login_failures_per_address),
        ]

    def check(self, *, email: str, address: str) -> None:
        """Before the password is even checked: refuse while the account or address is locked."""
        minutes = max(1, round(self.settings.login_lockout_seconds / 60))
        if not self._limiter.test(self._lock(), "login-lock", "account", _digest(email)):
            raise RateLimited(
                "Too many failed log-ins for this account: it is locked for %(minutes)s "
                "minutes. Try again later or ask an administrator to reset the password.",
                field="email",
                minutes=minutes,
            )
        if not self._limiter.test(self._lock(), "login-lock", "address", address):
            raise RateLimited(
                "Too many failed log-ins from your connection: please wait %(minutes)s minutes.",
                minutes=minutes,
            )

    def failed(self, *, email: str, address: str) -> None:
        """Count a failure, lock what used up its allowance, then wait a growing delay."""
        keys = {"account": _digest(email), "address": address}
        worst = 0
        for scope, text in self._limits():
            item = ratelimit.parse_limit(text)
            if item is None:
                continue
            self._limiter.hit(item, "login-fail", scope, keys[scope])
            remaining = self._limiter.remaining(item, "login-fail", scope, keys[scope])
            if remaining is None:
                continue
            worst = max(worst, item.amount - remaining)
            if remaining <= 0:
                self._limiter.hit(self._lock(), "login-lock", scope, keys[scope])
                log.warning(
                    "staff log-in locked: %s %s after %s failures",
                    scope, keys[scope], item.amount,
                )
        log.warning(
            "staff log-in failed: account %s from %s (%s recent failures)",
            keys["account"], address, worst,
        )
        pause = delay_seconds(worst, cap=DELAY_CAP_SECONDS)
        if pause:
            time.sleep(pause)

    def succeeded(self, *, email: str) -> None:
        item = ratelimit.parse_limit(self.settings.login_failures_per_account)
        if item is not None:
            self._limiter.clear(item, "login-fail", "account", _digest(email))
