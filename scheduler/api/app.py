"""The FastAPI application: routes, shared state, OpenAPI at /openapi.json."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gitops.registry import ApplicationRegistry
from gitops.settings import Settings, get_settings
from scheduler.api import app_admin, applications, appsets, fleet, stream, webhook
from scheduler.api.state import ServerState


def create_app(settings: Settings | None = None, registry: ApplicationRegistry | None = None) -> FastAPI:
    """Bosun's API server for `settings` (default: the environment's)."""
    settings = settings or get_settings()
    api = FastAPI(
        title="Bosun", version="0.1.0", description="GitOps continuous delivery: webhooks and v1 API"
    )
    state = ServerState(settings, registry)
    api.state.bosun = state
    api.include_router(webhook.router)
    api.include_router(applications.router)
    api.include_router(stream.router)
    api.include_router(app_admin.router)
    api.include_router(fleet.router)
    api.include_router(appsets.router)
    fleet.register_metrics(state)

    @api.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            state.redis.ping()
        except Exception:
            return JSONResponse({"status": "unhealthy", "redis": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @api.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(state.prometheus), media_type=CONTENT_TYPE_LATEST)

    return api
