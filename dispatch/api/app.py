"""The FastAPI application: routers under ``/api/v1``, the console socket, the built front end."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles

from dispatch.api import metrics, problems
from dispatch.api.deps import ContainerDep
from dispatch.api.routes import auth, hospitals, incidents, intake, maps, review, units, ws
from dispatch.bootstrap import bootstrap
from dispatch.config import Settings, get_settings

log = logging.getLogger("goldenhour.api")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.signing_key()  # fail at start, not at the first login

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.container = await bootstrap(settings)
        # The map, geocoder and caches are long-lived: keep them out of every GC pass, which
        # otherwise shows up as 100-200 ms pauses in the p99 of a busy server.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await app.state.container.aclose()

    app = FastAPI(
        title="Golden Hour",
        version="0.1.0",
        summary="Offline pre-hospital emergency command and dispatch",
        lifespan=lifespan,
    )
    problems.install(app)
    for module in (auth, incidents, units, maps, review, intake, hospitals):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(ws.router)
    app.include_router(hospitals.socket_router)

    @app.get("/healthz", tags=["ops"])
    async def healthz(container: ContainerDep) -> dict[str, Any]:
        from dispatch.store.views import last_seq

        return {
            "status": "ok",
            "seq": await last_seq(container.engine),
            "redis": await container.bus.ping(),
            "map": container.network.name,
        }

    registry = metrics.registry_for(lambda: app.state.container.hub.stats)

    @app.get("/metrics", tags=["ops"], response_class=Response)
    async def prometheus_metrics() -> Response:
        """Counters for monitoring (Prometheus text format); no personal or incident data."""
        return Response(metrics.render(registry), media_type=metrics.CONTENT_TYPE)

    if settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="console")
    else:
        log.warning("front end not built (%s missing): run `make frontend`", settings.frontend_dir)
    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory dispatch.api.app:app_factory``."""
    return create_app()
