"""The Celery application, configured from Settings when a worker or the web app starts."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from sqlalchemy.exc import OperationalError

from core import runner
from core import tasks as registry
from core.settings import Settings
from core.tasks import TransientError

celery_app = Celery("hotline")
VISIBILITY_TIMEOUT = 3600
MAX_RETRY_BACKOFF = 600  # below the visibility timeout, so a retried task is not delivered twice
_configured_for: str | None = None


def configure_celery(settings: Settings) -> Celery:
    global _configured_for
    if _configured_for == settings.redis_url:
        return celery_app

    celery_app.conf.update(
        broker_url=settings.redis_url,
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "socket_timeout": 2,
            "socket_connect_timeout": 2,
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

    @celery_app.task(
        name=name,
        bind=True,
        acks_late=True,
        autoretry_for=(TransientError, OperationalError),
        retry_backoff=5,
        retry_backoff_max=MAX_RETRY_BACKOFF,
        retry_jitter=True,
        max_retries=8,
    )
    def celery_task(self: Task, outbox_id: int | None = None, **kwargs: Any) -> Any:
        return runner.execute(name, kwargs, outbox_id=outbox_id)
