"""What a request reads: the product database, the served bundle, the metrics, the fallback."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import Response
from pydantic_core import to_json

from recsys.serving.user_tables import SOURCE_FALLBACK
from service.champions import Champions, Served
from service.db import ProductDatabase, Reader
from service.metrics import Metrics

MAX_K = 100
DEFAULT_K = 10


class NotServing(RuntimeError):
    """No search bundle could be loaded yet."""


@dataclass
class ServiceState:
    db: ProductDatabase
    champions: Champions
    metrics: Metrics
    _fallbacks: dict[tuple[str, int], list[tuple]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def served(self) -> Served:
        served = self.champions.served
        if served is None:
            raise NotServing(
                "no search bundle is loaded yet: "
                + (self.champions.status.load_error or "materialize indexes/post_index")
            )
        return served

    def ranked(
        self, table: str, columns: str, subject: str, subject_id: int, k: int
    ) -> tuple[list[tuple], int]:
        """The subject's first k rows of `table` by rank (`columns` of each), and the export
        version they come from: one statement, so rows and version are of one table version
        (the live version when the subject has no rows)."""
        with self.db.read() as reader:
            found = reader.rows(
                f"SELECT {columns}, export_version FROM {{s}}{table} "
                f"WHERE {subject} = {{p}} ORDER BY rank LIMIT {{p}}",
                (subject_id, k),
            )
            version = found[0][-1] if found else reader.live_version()
        return [row[:-1] for row in found], version

    def fallback(self, reader: Reader, table: str) -> tuple[list[tuple], int]:
        """The popular-and-fresh list of `table` (item columns, score, model version), best
        first, and the export version it comes from; cached per export version.

        Every reader without history gets the same list minus what they subscribe to or read, so
        an item's best rank over those readers is its place in the list.
        """
        live = reader.live_version()
        cached = self._fallbacks.get((table, live))
        if cached is not None:
            return cached, live
        item = "creator_id" if table == "user_creators" else "post_id, creator_id"
        rows = reader.rows(
            f"SELECT {item}, max(score), max(model_version), min(export_version), "
            f"max(export_version) FROM {{s}}{table} WHERE source = {{p}} GROUP BY {item} "
            f"ORDER BY min(rank), count(*) DESC LIMIT {MAX_K}",
            (SOURCE_FALLBACK,),
        )
        versions = {v for row in rows for v in row[-2:]} or {live}
        if len(versions) != 1:
            raise RuntimeError(f"{table} holds several export versions: {sorted(versions)}")
        (version,) = versions
        found = [row[:-2] for row in rows]
        if version == live:  # PostgreSQL may resolve the table after a swap the log predates
            with self._lock:
                self._fallbacks = {k: v for k, v in self._fallbacks.items() if k[1] == live}
                self._fallbacks[(table, live)] = found
        return found, version


def as_json(body: Mapping[str, Any]) -> Response:
    """A body of plain values (service/schemas.py) as JSON, serialized once by pydantic-core:
    FastAPI's own path (validate against response_model, then jsonable_encoder and json.dumps)
    costs more than the lookup itself. The route still declares response_model, for the OpenAPI
    page."""
    return Response(to_json(body), media_type="application/json")
