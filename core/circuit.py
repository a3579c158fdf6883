"""A circuit breaker: after a failure of an outside service, stop asking it for a while.

A broker or counter store that hangs must not make every request wait for its timeout: the
first failure opens the circuit, and for `open_seconds` callers skip the service at once (and
fall back: leave the work to the outbox sweep, let the request through). Then one caller tries
again; a success closes the circuit, a failure opens it once more.
"""

from __future__ import annotations

import threading
import time


class CircuitBreaker:
    def __init__(self, *, open_seconds: float = 5.0) -> None:
        self.open_seconds = open_seconds
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._trial_running = False

    def allow(self) -> bool:
        """Whether to call the service now (closed, or the one trial after the pause)."""
        with self._lock:
            if self._open_until == 0.0:
                return True
            if time.monotonic() >= self._open_until and not self._trial_running:
                self._trial_running = True
                return True
            return False

    @property
    def is_open(self) -> bool:
        return self._open_until != 0.0

    def succeeded(self) -> None:
        with self._lock:
            self._open_until = 0.0
            self._trial_running = False

    def failed(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.open_seconds
            self._trial_running = False
