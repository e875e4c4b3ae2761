"""``/healthz`` and ``/metrics``: for operators and monitoring, outside ``/api/v1``, no login."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from dispatch.api import metrics
from dispatch.api.deps import ContainerDep, Reads
from dispatch.api.schemas.answers import Health
from dispatch.api.schemas.problems import problems

router = APIRouter(tags=["ops"])


@router.get("/healthz", response_model=Health, responses=problems(503))
async def healthz(container: ContainerDep, reads: Reads) -> dict[str, Any]:
    return {
        "status": "ok",
        "seq": await reads.last_seq(),
        "redis": await container.bus.ping(),
        "map": container.network.name,
    }


@router.get("/metrics", response_class=PlainTextResponse, responses=problems())
async def prometheus_metrics(request: Request) -> Response:
    """Counters for monitoring (Prometheus text format); no personal or incident data."""
    return Response(metrics.render(request.app.state.metrics), media_type=metrics.CONTENT_TYPE)
