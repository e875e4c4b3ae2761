"""``/healthz``, ``/readyz`` and ``/metrics``: for operators, load balancers and monitoring,
outside ``/api/v1``, no login.

- ``/healthz``: the process is alive and can read the log (``{"status": "ok", "seq", "redis",
  "map"}``; 503 ``storage-unavailable`` when the database is down). It answered like this before
  readiness existed and ``make demo``, the tests and the load bench wait on it: kept as it was.
- ``/readyz``: this worker should be sent traffic: the database answers, Redis answers and the
  map is loaded, and the worker is not stopping. Otherwise 503 ``not-ready`` naming what failed.
  Redis matters here and not in ``/healthz``: without it the hubs fall back to polling the
  database, which keeps consoles correct but slow, so a balancer should prefer another worker.
- ``/metrics``: Prometheus text (``dispatch.api.metrics``), from the monitoring networks only
  (``GOLDENHOUR_METRICS_NETWORKS``, loopback by default; the ``MONITORING`` row of the policy).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from dispatch.api.deps import ContainerDep, Reads
from dispatch.api.metrics import CONTENT_TYPE
from dispatch.api.problems import Problem
from dispatch.api.schemas.answers import Health, Ready
from dispatch.api.schemas.problems import problems

router = APIRouter(tags=["ops"])

#: Each readiness check answers within this or counts as failed (a probe must not hang).
CHECK_TIMEOUT_S = 2.0


@router.get("/healthz", response_model=Health, responses=problems(503))
async def healthz(container: ContainerDep, reads: Reads) -> dict[str, Any]:
    """Alive: the log's head, whether Redis answers, the map's name."""
    return {
        "status": "ok",
        "seq": await reads.last_seq(),
        "redis": await container.bus.ping(),
        "map": container.network.name,
    }


@router.get("/readyz", response_model=Ready, responses=problems(503))
async def readyz(request: Request, container: ContainerDep, reads: Reads) -> dict[str, Any]:
    """Ready for traffic: database, Redis and map, checked now; 503 ``not-ready`` otherwise."""

    async def database() -> bool:
        await reads.last_seq()
        return True

    async def checked(probe: Any) -> bool:
        try:
            return bool(await asyncio.wait_for(probe, timeout=CHECK_TIMEOUT_S))
        except Exception:  # down, refused or too slow: not ready, whatever the reason
            return False

    db, redis = await asyncio.gather(checked(database()), checked(container.bus.ping()))
    checks = {"database": db, "redis": redis, "map": container.network.graph.node_count > 0}
    failed = [name for name, ok in checks.items() if not ok]
    if getattr(request.app.state, "draining", False):
        failed.append("stopping")
    if failed:
        raise Problem(503, "not-ready", "Not ready: " + ", ".join(failed))
    return {"status": "ready", "checks": checks, "map": container.network.name}


@router.get("/metrics", response_class=PlainTextResponse, responses=problems(403))
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus text format, every worker's series; no personal or incident data."""
    sampler = getattr(request.app.state, "sampler", None)
    if sampler is not None:
        await sampler.sample()  # this worker's states as of now; the others' within a second
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE)
