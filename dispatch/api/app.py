"""The FastAPI application: routers under ``/api/v1``, the sockets, ops, the built front end."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from dispatch.api import docs, metrics, policy, problems
from dispatch.api.deps import authorize
from dispatch.api.observe import Observe
from dispatch.api.routes import (
    admin,
    advice,
    auth,
    blood,
    config,
    hospitals,
    incidents,
    intake,
    maps,
    mci,
    ops,
    review,
    sockets,
    surveillance,
    telephony,
    triage,
    units,
)
from dispatch.api.routes.surveillance import watch_config
from dispatch.api.schemas.problems import problem_schemas
from dispatch.api.security_headers import SecurityHeaders
from dispatch.api.sessions import session_watcher
from dispatch.bootstrap import bootstrap
from dispatch.clock import SystemClock
from dispatch.config import Settings, get_settings
from dispatch.services.decontamination import DecontaminationWatch
from dispatch.services.surveillance import SurveillanceWatch
from dispatch.store.partitions import PartitionKeeper

log = logging.getLogger("goldenhour.api")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.signing_key()  # fail at start, not at the first login
    if settings.demo_logins:
        log.warning(
            "DEMO LOGINS ARE ON (GOLDENHOUR_DEMO_LOGINS=true): seeded logins keep password = "
            "user name without a forced change. For a demo on this machine only."
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = app.state.container = await bootstrap(settings)
        app.state.session_watcher = session_watcher(container)
        app.state.draining = False
        measured: metrics.Metrics = app.state.metrics
        container.deps = replace(
            container.deps,
            positions=metrics.CountedPositions(container.deps.positions, measured.gps_fixes),
        )
        container.hub.on_pushed = measured.push_lag.observe
        app.state.sampler = metrics.Sampler(
            measured, container.hub, container.engine.pool, container.bus.ping
        )
        app.state.sampler.start()
        retention = settings.position_retention_days or None
        app.state.partitions = PartitionKeeper(
            container.engine, clock=SystemClock(), retention_days=retention
        )
        app.state.partitions.start()
        app.state.decontamination = DecontaminationWatch(container.deps)
        app.state.decontamination.start()
        app.state.surveillance = SurveillanceWatch(container.deps, watch_config(settings))
        if settings.surveillance_interval_s > 0:
            app.state.surveillance.start()
        # The map, geocoder and caches are long-lived: keep them out of every GC pass, which
        # otherwise shows up as 100-200 ms pauses in the p99 of a busy server.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await app.state.surveillance.aclose()
            await app.state.decontamination.aclose()
            await app.state.partitions.aclose()
            await app.state.sampler.aclose()
            await app.state.session_watcher.aclose()
            await app.state.container.aclose()

    app = FastAPI(
        title="Golden Hour",
        version="0.1.0",
        summary="Offline pre-hospital emergency command and dispatch",
        lifespan=lifespan,
        docs_url=None,  # see dispatch.api.docs: off by default, never from a CDN
        redoc_url=None,
        # every route and socket: the operation's row of the policy table against the login
        dependencies=[Depends(authorize)],
    )
    problems.install(app, default_language=settings.language)
    for module in (auth, admin, incidents, units, hospitals, intake, maps, review, advice, config):
        app.include_router(module.router, prefix="/api/v1")
    for module in (telephony, triage):  # the call-taker's screen (issue 13)
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(mci.router, prefix="/api/v1")  # mass-casualty incidents (issue 17)
    app.include_router(blood.router, prefix="/api/v1")  # emergency blood supply (issue 19)
    app.include_router(surveillance.router, prefix="/api/v1")  # public-health watch (issue 18)
    app.include_router(sockets.router)
    app.include_router(ops.router)
    app.state.policy = policy.bind(app)  # refuses to start while a route has no policy row
    app.state.metrics = metrics.Metrics()
    _document_problems(app)
    _add_security_headers(app)
    _observe(app)  # outermost: sees the final status, even a 500, and times everything
    if settings.api_docs:
        docs.install(app)

    if settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="console")
    else:
        log.warning("front end not built (%s missing): run `make frontend`", settings.frontend_dir)
    return app


def _add_security_headers(app: FastAPI) -> None:
    """Wrap the whole middleware stack, outside Starlette's error middleware, so that even a
    500 carries the headers (``add_middleware`` would sit inside it)."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(build())  # type: ignore[method-assign]


def _observe(app: FastAPI) -> None:
    """Wrap the whole stack in :class:`~dispatch.api.observe.Observe` (request id, one log line
    per request, latency per route template, sockets per role)."""
    build = app.build_middleware_stack

    def templates() -> dict[Any, str]:
        return {endpoint: key.split(" ", 1)[1] for key, endpoint in policy.operations(app)}

    app.build_middleware_stack = lambda: Observe(  # type: ignore[method-assign]
        build(), app.state.metrics, templates
    )


async def drain(app: FastAPI, *, wait_s: float = 5.0) -> int:
    """The process is stopping (SIGTERM; ``dispatch.serving``): answer ``/readyz`` 503 from now
    on and close every socket with 1012 "service restart" so its client reconnects, to another
    worker, and resumes (``since``); the number of sockets closed. Called after the listening
    socket is closed and before uvicorn waits for connections to end."""
    app.state.draining = True
    watcher = getattr(app.state, "session_watcher", None)
    if watcher is None:  # stopping before it started
        return 0
    told: int = await watcher.drain(wait_s=wait_s)
    if told:
        log.info("closed %d sockets with 1012 service restart", told)
    return told


def _document_problems(app: FastAPI) -> None:
    """Add the Problem schema, which every operation's error responses refer to, to the
    generated document (FastAPI only collects schemas of models routes name directly)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()  # also cached as app.openapi_schema
        document.setdefault("components", {}).setdefault("schemas", {}).update(problem_schemas())
        policy.document(document)  # the 401 and 403 the policy answers, per operation
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory dispatch.api.app:app_factory``."""
    return create_app()
