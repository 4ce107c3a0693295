"""The app factory: routes, error handlers, metrics, and the background champion poller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from recsys.models.store import ArtifactStore
from recsys.settings import Settings
from service import errors
from service.champions import Champions
from service.db import ProductDatabase
from service.history import History
from service.metrics import Metrics, MetricsMiddleware
from service.routes import explore, readers, search, similar, status
from service.state import ServiceState

STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings) -> FastAPI:
    """The service over `settings`' product database, search bundle and MLflow registry."""
    champions = Champions(
        ArtifactStore(settings.models_dir).search_bundle_dir(),
        settings.mlflow_tracking,
        settings.serve_reload_seconds,
    )
    state = ServiceState(ProductDatabase(settings.product_db_url), champions, Metrics())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        champions.start()
        try:
            yield
        finally:
            champions.stop()

    app = FastAPI(
        title="creator-discovery",
        summary="Recommendations, similar items and search for a creator platform",
        lifespan=lifespan,
    )
    app.state.service = state
    app.state.history = History(settings.analytics_dir)
    errors.install(app)
    # The routes themselves, not include_router: since FastAPI 0.137 an included router stays a
    # node that every request walks twice (to match, then to dispatch), which cost more than the
    # table lookup. The modules' routers carry full paths, so nothing else changes.
    for module in (readers, similar, search, status, explore):
        app.router.routes.extend(module.router.routes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app
