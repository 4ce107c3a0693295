"""Health, the versions served, and /metrics in Prometheus text format."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from recsys.publish.export.log import LIVE_STATUSES, LOG_TABLE
from service.db import DatabaseUnavailable
from service.metrics import CONTENT_TYPE_LATEST
from service.routes.params import state_of
from service.schemas import Health, ModelStatus, Versions
from service.state import ServiceState

router = APIRouter(tags=["status"])


def versions_of(state: ServiceState) -> tuple[Versions, list[str]]:
    problems: list[str] = []
    export_version: int | None = None
    table_models: dict[str, list[int]] = {}
    try:
        with state.db.read() as reader:
            marks = ", ".join("{p}" for _ in LIVE_STATUSES)
            rows = reader.rows(
                f"SELECT version, model_versions FROM {{s}}{LOG_TABLE} "
                f"WHERE status IN ({marks}) ORDER BY id DESC LIMIT 1",
                LIVE_STATUSES,
            )
        if rows:
            export_version = int(rows[0][0])
            raw = rows[0][1]
            table_models = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        else:
            problems.append("the product database holds no export yet")
    except (DatabaseUnavailable, Exception) as error:
        problems.append(f"product database: {error}")
    served, status = state.champions.served, state.champions.status
    if served is None:
        problems.append("no search bundle loaded: search and similar posts online are down")
    served_version = served.bundle.model_version if served else None
    if served and status.champion_version not in (None, served_version):
        problems.append(
            f"the content champion is version {status.champion_version} but the served search "
            f"bundle was built from version {served_version}: indexes/post_index is not rebuilt"
        )
    if status.load_error:
        problems.append(
            f"the newest search bundle failed to load ({status.load_error}); "
            "the previous one is still served"
        )
    model = ModelStatus(
        served_version=served_version,
        bundle=str(served.folder) if served else None,
        loaded_at=served.loaded_at.isoformat() if served else None,
        champion_version=status.champion_version,
        last_check=status.checked_at.isoformat() if status.checked_at else None,
        load_error=status.load_error,
        champion_error=status.champion_error,
    )
    return Versions(
        export_version=export_version, table_model_versions=table_models, content_model=model
    ), problems


@router.get("/health", response_model=Health)
async def health(request: Request) -> JSONResponse:
    """ok, or degraded with the reasons; 503 while the product database cannot be read."""
    versions, problems = versions_of(state_of(request))
    body = Health(status="degraded" if problems else "ok", problems=problems, versions=versions)
    code = 503 if versions.export_version is None else 200
    return JSONResponse(body.model_dump(), status_code=code)


@router.get("/versions", response_model=Versions)
async def versions(request: Request) -> Versions:
    """The export version and the model versions being served."""
    return versions_of(state_of(request))[0]


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    state = state_of(request)
    versions, _ = versions_of(state)
    gauges = state.metrics
    if versions.export_version is not None:
        gauges.versions.labels("export").set(versions.export_version)
    if versions.content_model.served_version is not None:
        gauges.versions.labels("content_model").set(versions.content_model.served_version)
    gauges.reload_failed.set(1 if versions.content_model.load_error else 0)
    return Response(gauges.render(), media_type=CONTENT_TYPE_LATEST)
