"""What every route module takes: the `k` query parameter, declared once, and the service state,
read from the request (a FastAPI dependency would be solved per request, which costs more than a
table lookup)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from service.state import MAX_K, ServiceState

K = Annotated[int, Query(ge=1, le=MAX_K, description=f"how many items, at most {MAX_K}")]


def state_of(request: Request) -> ServiceState:
    return request.app.state.service
