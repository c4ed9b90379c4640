"""Errors: the one place RagErrors and refusals become HTTP statuses and JSON bodies.

Every error a client sees is `{"error": {"message", "type", "status"}}`, the shape OpenAI
clients already understand, with a message that never carries a server path or internals.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.errors import (
    BackendError,
    BadInputError,
    ConfigError,
    IndexMissingError,
    LockedError,
    RagError,
)

log = logging.getLogger("rag.api")

MAX_BODY_BYTES = 64 * 1024

ERROR_STATUS: tuple[tuple[type[RagError], int, str], ...] = (
    (BadInputError, 422, "invalid_request_error"),
    (IndexMissingError, 503, "index_missing"),
    (LockedError, 503, "index_locked"),
    (BackendError, 502, "backend_error"),
    (ConfigError, 500, "config_error"),
)

# An absolute POSIX path (not the path part of a URL: that follows a host name).
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[^\s/'\"`(),;:]+/)*([^\s/'\"`(),;:]+)/?")


def status_for(error: RagError) -> tuple[int, str]:
    """The HTTP status and error type for a RagError."""
    for kind, status, name in ERROR_STATUS:
        if isinstance(error, kind):
            return status, name
    return 500, "server_error"


def public_message(message: str) -> str:
    """A message fit for a client: each absolute server path shortened to its last name
    (`no index at /srv/news/.rag` → `no index at .rag`)."""
    return _ABSOLUTE_PATH.sub(r"\1", message)


class Refusal(Exception):
    """A request the API turns away (auth, origin, rate limit, validation)."""

    def __init__(
        self, status: int, message: str, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.headers = headers or {}


def error_body(status: int, message: str, kind: str) -> dict[str, Any]:
    """The JSON body of every error, in responses and in streamed `error` events."""
    return {"error": {"message": public_message(message), "type": kind, "status": status}}


def rag_error_body(error: RagError) -> dict[str, Any]:
    status, kind = status_for(error)
    return error_body(status, str(error), kind)


def error_response(
    status: int, message: str, kind: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, message, kind), status_code=status, headers=headers)


def refusal_response(refusal: Refusal) -> JSONResponse:
    return error_response(refusal.status, refusal.message, refusal.kind, refusal.headers)


def too_large_response() -> JSONResponse:
    message = f"the request body is larger than the limit of {MAX_BODY_BYTES // 1024} KB"
    return error_response(413, message, "request_too_large", {"Connection": "close"})


def describe_validation(errors: Sequence[Any]) -> str:
    """One readable line from pydantic's errors (field and problem; never the input)."""
    parts = []
    for error in list(errors)[:3]:
        location = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        if error.get("type") in ("model_attributes_type", "dict_type") and location == "body":
            parts.append("the request body must be a JSON object (Content-Type: application/json)")
            continue
        parts.append(f"{location}: {error.get('msg', 'invalid')}")
    more = len(errors) - 3
    suffix = f" (and {more} more)" if more > 0 else ""
    return "invalid request: " + "; ".join(parts) + suffix


HTTP_MESSAGES = {404: "not found", 405: "method not allowed"}


def install_error_handlers(app: FastAPI) -> None:
    """Refusals, RagErrors, validation and framework HTTP errors as JSON error bodies."""

    async def on_refusal(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Refusal)
        return refusal_response(exc)

    async def on_rag_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RagError)
        status, kind = status_for(exc)
        return error_response(status, str(exc), kind)

    async def on_invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "the request body is not valid JSON", "invalid_json")
        return error_response(422, describe_validation(errors), "invalid_request_error")

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 413:  # FastAPI's own body limit counted the bytes that came
            return too_large_response()
        message = HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        return error_response(exc.status_code, message, "http_error", dict(exc.headers or {}))

    app.add_exception_handler(Refusal, on_refusal)
    app.add_exception_handler(RagError, on_rag_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http_error)


class UnexpectedErrorGuard:
    """A bug becomes a one-line 500 JSON answer (traceback in the server log only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                return
            response = error_response(500, "internal server error", "server_error")
            await response(scope, receive, send)
