"""The task registry: every background job has an explicit "domain.verb" name and takes ids.

A task is a plain function with keyword-only arguments. It re-reads its rows, checks their
state, and is safe to run twice. It raises TransientError for what a retry may fix; anything
else is permanent and is not retried by Celery (the outbox parks it after a few tries).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TaskFunction = Callable[..., Any]


class TransientError(Exception):
    """A failure that a later attempt may not meet (network, broker, provider 5xx)."""


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    every_seconds: float


TASKS: dict[str, TaskFunction] = {}
PERIODIC: dict[str, PeriodicTask] = {}

# Rooms whose tasks.py modules hold tasks; imported by discover_tasks().
ROOMS = (
    "core",
    "tickets",
    "intake",
    "classify",
    "routing",
    "places",
    "notify",
    "staff",
    "dashboard",
    "open311",
)


def task(
    name: str, *, every_seconds: float | None = None
) -> Callable[[TaskFunction], TaskFunction]:
    def register(function: TaskFunction) -> TaskFunction:
        if name in TASKS and TASKS[name] is not function:
            raise ValueError(f"task {name!r} registered twice")
        TASKS[name] = function
        if every_seconds is not None:
            PERIODIC[name] = PeriodicTask(name=name, every_seconds=every_seconds)
        return function

    return register


_discovered: list[bool] = []


def discover_tasks() -> dict[str, TaskFunction]:
    """Import every room's tasks.py (once per process: the look-ups take the import lock, and
    every event a request emits asks for the subscribers)."""
    if not _discovered:
        for room in ROOMS:
            module = f"{room}.tasks"
            if importlib.util.find_spec(room) is not None and importlib.util.find_spec(module):
                importlib.import_module(module)
        _discovered.append(True)
    return TASKS


def run(name: str, args: dict[str, Any]) -> Any:
    discover_tasks()
    try:
        function = TASKS[name]
    except KeyError as missing:
        raise LookupError(f"no task named {name!r}") from missing
    return function(**args)


@task("core.outbox_sweep", every_seconds=10)
def outbox_sweep() -> int:
    """Re-publish outbox rows that were never handed to Celery or never completed."""
    from core import runner  # lazy: core.runner imports this registry (a cycle in core)

    return runner.republish_due()
