"""What every route module takes: the `k` query parameter and the service state, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from service.state import MAX_K, ServiceState, service_state

K = Annotated[int, Query(ge=1, le=MAX_K, description=f"how many items, at most {MAX_K}")]
State = Annotated[ServiceState, Depends(service_state)]
