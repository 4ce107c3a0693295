"""Request metrics in Prometheus text format: counts and latency per endpoint, versions served.

A pure ASGI middleware (cheaper than BaseHTTPMiddleware) times each request and labels it by its
route's path template, so /readers/1/creators and /readers/2/creators count as one endpoint.
Each app has its own registry, so several apps in one process (tests) never collide.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "MetricsMiddleware"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "service_requests",
            "Requests by endpoint and status code",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "service_request_seconds",
            "Request latency by endpoint",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.versions = Gauge(
            "service_version_served",
            "Versions served: the export version and the content model version",
            ["what"],
            registry=self.registry,
        )
        self.reload_failed = Gauge(
            "service_model_reload_failed",
            "1 while the last search bundle load failed (the previous one is served)",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # labels() validates and looks the child up under a lock on every call: keep each one.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            endpoint = getattr(route, "path", None) or "unmatched"
            key = (endpoint, scope["method"], status[0])
            children = self._children.get(key)
            if children is None:
                children = (
                    self.metrics.requests.labels(endpoint, scope["method"], str(status[0])),
                    self.metrics.latency.labels(endpoint),
                )
                self._children[key] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - started)
