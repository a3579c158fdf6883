"""The application factory: one app serves the pages, the JSON API and the webhooks."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from api import classify, reports, staff
from core.db import get_engine, make_engine
from core.runner import EmbeddedWorker
from core.settings import Settings, get_settings
from core.tasks import ROOMS, discover_tasks
from httpbase import errors
from httpbase.hostile import HostileInputGuard, refuse_hostile_body
from httpbase.limits import BodySizeLimit
from httpbase.openapi import document_errors
from httpbase.security import SecurityHeaders, TrustedProxies
from httpbase.throttle import Throttle

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
# the JSON API's own routers; the doors' routers are found in each room's views.py
API_ROUTERS = (reports.router, classify.router, staff.router)


def room_routers() -> list[object]:
    """Each room that serves HTTP has a `views.py` with a list `routers`."""
    found: list[object] = []
    for room in (*ROOMS, "web"):
        module = f"{room}.views"
        if importlib.util.find_spec(room) is not None and importlib.util.find_spec(module):
            found.extend(importlib.import_module(module).routers)
    return found


def create_app(settings: Settings | None = None, *, start_worker: bool | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = get_engine() if settings is get_settings() else make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        run_worker = (
            start_worker
            if start_worker is not None
            else (not settings.uses_celery and settings.embedded_worker)
        )
        if run_worker:
            worker = EmbeddedWorker(poll_seconds=settings.outbox_poll_seconds)
            worker.start()
            log.info("embedded worker started (no REDIS_URL: tasks run in this process)")
        yield
        if worker is not None:
            worker.stop()

    app = FastAPI(
        title="Hotline 1022",
        summary="Citizen feedback and complaint hotline: reports, tracking, answers and trends.",
        version="1.0",
        lifespan=lifespan,
        # NUL bytes and lone surrogates in a form or JSON body: a 4xx at every door
        dependencies=[Depends(refuse_hostile_body)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.throttle = Throttle(settings)
    discover_tasks()
    errors.install(app)

    for router in (*API_ROUTERS, *room_routers()):
        app.include_router(router)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    document_errors(app)
    # outermost last: the client's address first, then headers on every answer (refusals
    # included), then the body limit, then the path and query check
    app.add_middleware(HostileInputGuard)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders, settings=settings)
    app.add_middleware(TrustedProxies, settings=settings)
    return app
