"""Access control: embed keys, page origins, rate limits, CORS, security headers, body size.

Request path through the middleware, outermost first:
security headers → CORS → access control (keys, origins, rate limits) → declared body
size → unexpected-error guard → routes (where FastAPI's `max_body_size` counts the bytes
that actually arrive). The middlewares are pure ASGI, so streamed answers pass straight
through.
"""

from __future__ import annotations

import hmac
import math
import time

from fastapi import FastAPI
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.config import Settings
from ui.api.errors import (
    MAX_BODY_BYTES,
    Refusal,
    UnexpectedErrorGuard,
    error_response,
    refusal_response,
    too_large_response,
)

PROTECTED_PREFIXES = ("/api/", "/v1/")

# JSON and the widget script need nothing from the page; the Swagger page at /docs loads
# its own script and styles from jsDelivr and runs one inline bootstrap script.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")


class AccessControl:
    """Embed keys with origin allowlists and per-minute limits; Bearer auth for servers.

    A request carrying `Origin` is a widget request: its `X-Embed-Key` must be known and its
    origin listed for that key (403 otherwise), whatever RAG_API_KEY says. A request without
    `Origin` is a server-to-server call: `Authorization: Bearer RAG_API_KEY` when that is set
    (401 otherwise). Every request carrying a known key counts towards the key's limit.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.limits = {
            key: RateLimitItemPerMinute(spec.per_minute)
            for key, spec in settings.embed_keys.items()
        }

    def judge(self, headers: Headers) -> Refusal | None:
        """The refusal for a request with these headers, or None to let it through."""
        origin = headers.get("origin")
        key = headers.get("x-embed-key")
        spec = self.settings.embed_keys.get(key) if key else None
        within_limit = True
        if spec is not None and key is not None:
            within_limit = self.limiter.hit(self.limits[key], key)
        if origin is not None:
            if not key:
                return Refusal(403, "widget requests need an X-Embed-Key header", "forbidden")
            if spec is None:
                return Refusal(403, "unknown embed key", "forbidden")
            if origin.rstrip("/") not in spec.origins:
                return Refusal(
                    403, f"origin {origin} is not allowed to use this embed key", "forbidden"
                )
        elif self.settings.api_key and not self._bearer_ok(headers):
            return Refusal(
                401,
                "missing or wrong API key: send 'Authorization: Bearer <RAG_API_KEY>'",
                "unauthorized",
                {"WWW-Authenticate": "Bearer"},
            )
        if not within_limit and key is not None:
            retry_after = self.retry_after(key)
            return Refusal(
                429,
                f"too many requests for this key; try again in {retry_after} s",
                "rate_limited",
                {"Retry-After": str(retry_after)},
            )
        return None

    def retry_after(self, key: str) -> int:
        stats = self.limiter.get_window_stats(self.limits[key], key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _bearer_ok(self, headers: Headers) -> bool:
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        expected = self.settings.api_key or ""
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), expected.encode()
        )


class SecurityHeaders:
    """CSP, nosniff and friends on every response, refusals and preflights included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] in DOCS_PATHS else API_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AccessMiddleware:
    """Applies AccessControl to /api/* and /v1/* before anything reads the body."""

    def __init__(self, app: ASGIApp, access: AccessControl) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PROTECTED_PREFIXES):
            refusal = self.access.judge(Headers(scope=scope))
            if refusal is not None:
                await refusal_response(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class DeclaredBodyLimit:
    """413 (JSON) at once for a body whose Content-Length is over the limit; 400 for a
    Content-Length that is not a number.

    The bytes that actually arrive (chunked bodies, or more than declared) are counted by
    FastAPI's own `max_body_size` on the routers. Its Content-Length check is not used
    alone because it answers in plain text and replaces whatever response the app gives
    (even a 401 or 429 refusal) with it, outside the security headers; this one answers
    with the API's JSON error body, after access control.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            declared = Headers(scope=scope).get("content-length")
            if declared is not None and not declared.isdigit():
                response = error_response(400, "bad Content-Length header", "invalid_request_error")
                await response(scope, receive, send)
                return
            if declared is not None and int(declared) > self.limit:
                await too_large_response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_access_control(app: FastAPI, settings: Settings) -> AccessControl:
    """Add the middleware stack above to `app` (innermost first); returns its AccessControl."""
    access = AccessControl(settings)
    # Added innermost first: the last one added is the outermost.
    app.add_middleware(UnexpectedErrorGuard)
    app.add_middleware(DeclaredBodyLimit)
    app.add_middleware(AccessMiddleware, access=access)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=sorted({o for spec in settings.embed_keys.values() for o in spec.origins}),
        allow_methods=["GET", "POST"],
        allow_headers=["X-Embed-Key", "Content-Type"],
        expose_headers=["Retry-After"],
        allow_credentials=False,
        max_age=600,
    )
    app.add_middleware(SecurityHeaders)
    return access
