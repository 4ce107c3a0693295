"""Errors as JSON messages: 404 for an unknown id, 422 naming the bad parameter, 503 while
there is nothing to serve, 500 for the rest; no response ever carries a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from service.db import DatabaseUnavailable
from service.state import NotServing

log = logging.getLogger("service.errors")


class NotFound(Exception):
    def __init__(self, detail: str) -> None:
        self.detail = detail


class BadParameter(Exception):
    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message


def install(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"detail": error.detail}, status_code=404)

    @app.exception_handler(BadParameter)
    async def bad_parameter(_: Request, error: BadParameter) -> JSONResponse:
        return _invalid([(error.parameter, error.message)])

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for each in error.errors():
            where = [str(part) for part in each.get("loc", ()) if part not in ("query", "path")]
            problems.append((".".join(where) or "request", str(each.get("msg", "invalid"))))
        return _invalid(problems)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse({"detail": str(error.detail)}, status_code=error.status_code)

    @app.exception_handler(DatabaseUnavailable)
    async def no_database(_: Request, error: DatabaseUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503)

    @app.exception_handler(NotServing)
    async def no_bundle(_: Request, error: NotServing) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"detail": "internal error (logged by the service)"}, status_code=500)


def _invalid(problems: list[tuple[str, str]]) -> JSONResponse:
    detail = "; ".join(f"{name}: {message}" for name, message in problems)
    errors = [{"parameter": name, "message": message} for name, message in problems]
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)
