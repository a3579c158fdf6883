"""The Celery application, configured from Settings when a worker or the web app starts."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task

from core import runner
from core import tasks as registry
from core.settings import Settings

celery_app = Celery("hotline")
# An outbox task runs for seconds (classifying, one provider call with a 20 s timeout); these
# limits keep a stuck one from holding a message past the visibility timeout, after which
# Redis would deliver it again while it still runs.
TASK_SOFT_TIME_LIMIT = 120
TASK_TIME_LIMIT = 150
_configured_for: str | None = None


def configure_celery(settings: Settings) -> Celery:
    global _configured_for
    if _configured_for == settings.redis_url:
        return celery_app

    timeout = settings.broker_socket_timeout
    celery_app.conf.update(
        broker_url=settings.redis_url,
        result_backend=None,
        task_ignore_result=True,
        # acknowledged when done (tasks are idempotent), and given back to the queue at once
        # when the process running one dies, instead of being lost with it
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=timeout,
        broker_transport_options={
            # above the hard time limit, so a running task is never delivered twice
            "visibility_timeout": max(settings.broker_visibility_timeout, TASK_TIME_LIMIT + 30),
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "max_retries": 1,
        },
        task_publish_retry=False,
    )
    for name in registry.discover_tasks():
        _register(name)
    celery_app.conf.beat_schedule = {
        name: {"task": name, "schedule": periodic.every_seconds}
        for name, periodic in registry.PERIODIC.items()
    }
    _configured_for = settings.redis_url
    return celery_app


def _register(name: str) -> None:
    if name in celery_app.tasks:
        return

    periodic = name in registry.PERIODIC

    # Retries go through the outbox (a transient failure sets the row's next time and the
    # sweep re-sends it), so no task waits in Redis with a countdown, where the visibility
    # timeout would deliver it a second time.
    @celery_app.task(
        name=name,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        soft_time_limit=None if periodic else TASK_SOFT_TIME_LIMIT,
        time_limit=None if periodic else TASK_TIME_LIMIT,
    )
    def celery_task(self: Task, outbox_id: int | None = None, **kwargs: Any) -> Any:
        return runner.execute_delivered(name, kwargs, outbox_id=outbox_id)
