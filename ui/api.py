"""The HTTP front door: JSON and streaming answers, an OpenAI-compatible endpoint, the widget.

`create_app(settings)` builds the FastAPI app; `serve(settings, host, port)` runs it with
uvicorn (that is `rag serve`). The pipeline is loaded once at start-up and shared by every
request; the app only translates HTTP to `Pipeline.ask` / `Pipeline.stream` and back.

Request path through the middleware, outermost first:
security headers → CORS → access control (keys, origins, rate limits) → body size limit →
unexpected-error guard → routes. Refusals are JSON `{"error": {"message", "type"}}`,
the shape OpenAI clients already understand.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.config import Settings
from rag.errors import (
    BackendError,
    BadInputError,
    ConfigError,
    IndexMissingError,
    LockedError,
    RagError,
)
from rag.types import Answer, Turn

log = logging.getLogger("rag.api")

MAX_BODY_BYTES = 64 * 1024
WIDGET_PATH = Path(__file__).resolve().parent / "widget" / "widget.js"
PROTECTED_PREFIXES = ("/api/", "/v1/")
REFRESH_EVERY_S = 5.0
RETRY_EVERY_S = 2.0

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


# -- errors: the one place RagErrors become HTTP statuses ----------------------------------

ERROR_STATUS: tuple[tuple[type[RagError], int, str], ...] = (
    (BadInputError, 422, "invalid_request_error"),
    (IndexMissingError, 503, "index_missing"),
    (LockedError, 503, "index_locked"),
    (BackendError, 502, "backend_error"),
    (ConfigError, 500, "config_error"),
)


def status_for(error: RagError) -> tuple[int, str]:
    for kind, status, name in ERROR_STATUS:
        if isinstance(error, kind):
            return status, name
    return 500, "server_error"


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


def error_response(
    status: int, message: str, kind: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "status": status}},
        status_code=status,
        headers=headers,
    )


def _refusal_response(refusal: Refusal) -> JSONResponse:
    return error_response(refusal.status, refusal.message, refusal.kind, refusal.headers)


# -- request bodies -------------------------------------------------------------------------


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    """Body of `/api/ask` and `/api/chat`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "What did Kallas say about Article 5?"}]},
    )

    question: str
    history: list[HistoryTurn] = Field(default_factory=list, max_length=50)
    k: int | None = Field(default=None, ge=1, le=20)


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        if not self.content:
            return ""
        return "".join(part.text or "" for part in self.content if part.type == "text")


class ChatCompletionRequest(BaseModel):
    """The subset of OpenAI's chat completion request that matters here; the rest is ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str = "newsrag"
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    stream_options: dict[str, Any] | None = None


def to_history(turns: Sequence[HistoryTurn]) -> list[Turn]:
    return [Turn(role=t.role, content=t.content) for t in turns]


def split_messages(messages: Sequence[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message is the question; earlier user/assistant messages are history."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        raise BadInputError("messages must contain at least one message with role 'user'")
    history = [
        Turn(role=m.role, content=m.text())
        for m in messages[:last_user]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return messages[last_user].text(), history


def check_question(question: str, settings: Settings) -> str:
    """Refuse empty and over-long questions before any work is done (422)."""
    question = question.strip()
    if not question:
        raise BadInputError("the question is empty: send a non-empty 'question'")
    if len(question) > settings.max_question_chars:
        raise BadInputError(
            f"the question is {len(question)} characters long; "
            f"the limit is {settings.max_question_chars} characters"
        )
    return question


# -- the shared pipeline ----------------------------------------------------------------------


class PipelineHolder:
    """Loads the pipeline once and shares it; retries later if the index was not there yet."""

    def __init__(self, settings: Settings, pipeline: Any | None = None) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._refreshed_at = time.monotonic()
        self.problem: str | None = None
        self._failure: RagError | None = None
        self._failed_at = 0.0

    def load(self) -> None:
        """Build the pipeline now (start-up); a missing index is remembered, not fatal."""
        try:
            self.get(refresh=False)
        except RagError as exc:
            self.problem = str(exc)
            print(f"rag serve: {exc} (requests get 503 until it is fixed)", file=sys.stderr)

    def get(self, refresh: bool = True) -> Any:
        if self.pipeline is None:
            with self._lock:
                if self.pipeline is None:
                    self._build()
        if refresh:
            self._maybe_refresh()
        return self.pipeline

    def _build(self) -> None:
        # A flood of requests against a missing index must not rebuild it on every one.
        if self._failure is not None and time.monotonic() - self._failed_at < RETRY_EVERY_S:
            raise type(self._failure)(str(self._failure))
        from rag.pipeline import build_pipeline

        try:
            self.pipeline = build_pipeline(self.settings)
        except RagError as exc:
            self._failure, self._failed_at = exc, time.monotonic()
            raise
        self.problem = self._failure = None
        self._refreshed_at = time.monotonic()

    def _maybe_refresh(self) -> None:
        """Pick up new ingests now and then, without making every request pay for it."""
        if time.monotonic() - self._refreshed_at < REFRESH_EVERY_S:
            return
        if not self._refresh_lock.acquire(blocking=False):
            return
        try:
            self._refreshed_at = time.monotonic()
            refresh = getattr(self.pipeline, "refresh", None)
            if refresh is not None:
                refresh()
        finally:
            self._refresh_lock.release()


# -- access control ---------------------------------------------------------------------------


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


# -- middleware (pure ASGI, so streaming responses pass straight through) --------------------


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
                await _refusal_response(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """413 for bodies over MAX_BODY_BYTES, judged by Content-Length and by the bytes that came.

    The body (at most 64 KB) is read here and replayed to the app, so a client that lies
    about its length or sends chunks without one is stopped at the limit too.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await error_response(400, "bad Content-Length header", "invalid_request_error")(
                    scope, receive, send
                )
                return
            if int(declared) > self.limit:
                await self._too_large(scope, receive, send)
                return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request body is larger than the limit of {self.limit // 1024} KB"
        await error_response(413, message, "request_too_large", {"Connection": "close"})(
            scope, receive, send
        )


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


# -- streaming formats ------------------------------------------------------------------------


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _first_and_rest(events: Iterator[str | Answer]) -> Iterator[str | Answer]:
    """Pull the first item now, so errors before any output become proper HTTP statuses."""
    first = next(events)

    def chained() -> Iterator[str | Answer]:
        yield first
        yield from events

    return chained()


def chat_events(events: Iterator[str | Answer]) -> Iterator[str]:
    """`token` events, then one `answer` event with the full Answer JSON (or one `error`)."""
    try:
        for item in events:
            if isinstance(item, Answer):
                yield sse("answer", item.to_json())
            else:
                yield sse("token", {"text": item})
    except RagError as exc:
        status, kind = status_for(exc)
        yield sse("error", {"error": {"message": str(exc), "type": kind, "status": status}})
    except Exception:
        log.exception("unexpected error while streaming an answer")
        yield sse(
            "error",
            {"error": {"message": "internal server error", "type": "server_error", "status": 500}},
        )


def sources_text(answer: Answer) -> str:
    """What follows the answer text in a completion: the numbered sources with quotes."""
    from rag.cli import format_answer

    return format_answer(answer)[len(answer.answer) :]


def completion_chunk(
    completion_id: str,
    created: int,
    model: str,
    delta: dict[str, Any],
    finish_reason: str | None = None,
    **extra: Any,
) -> str:
    chunk = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        **extra,
    }
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"


def _usage(question: str, content: str) -> dict[str, int]:
    prompt, completion = len(question.split()), len(content.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion_events(
    events: Iterator[str | Answer], question: str, model: str, include_usage: bool
) -> Iterator[str]:
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    yield completion_chunk(completion_id, created, model, {"role": "assistant", "content": ""})
    streamed: list[str] = []
    try:
        for item in events:
            if isinstance(item, Answer):
                answer = item
                break
            streamed.append(item)
            yield completion_chunk(completion_id, created, model, {"content": item})
        else:  # the pipeline ended without an Answer: nothing more to say
            return
    except RagError as exc:
        status, kind = status_for(exc)
        error = {"error": {"message": str(exc), "type": kind, "status": status}}
        yield f"data: {json.dumps(error)}\n\n"
        return
    tail = sources_text(answer)
    if "".join(streamed) != answer.answer:
        # The checked answer differs from what was streamed (an LLM sentence was dropped).
        tail = f"\n\nChecked answer: {answer.answer}{tail}"
    if tail:
        yield completion_chunk(completion_id, created, model, {"content": tail})
    citations = [c.to_json() for c in answer.citations]
    yield completion_chunk(completion_id, created, model, {}, "stop", citations=citations)
    if include_usage:
        usage = _usage(question, answer.answer + tail)
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": usage,
            "citations": citations,
        }
        yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


# -- the app ----------------------------------------------------------------------------------


def create_app(settings: Settings, pipeline: Any | None = None) -> FastAPI:
    """The API app. Pass `pipeline` to reuse one (tests); otherwise it loads at start-up."""
    holder = PipelineHolder(settings, pipeline)
    access = AccessControl(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if holder.pipeline is None:
            holder.load()
        yield

    app = FastAPI(
        title="newsrag",
        summary="Answers about news articles, every claim with a numbered, quoted citation.",
        version="0.1.0",
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.holder = holder
    app.state.access = access
    widget_source = WIDGET_PATH.read_bytes() if WIDGET_PATH.exists() else b""

    @app.exception_handler(Refusal)
    async def on_refusal(request: Request, exc: Refusal) -> JSONResponse:
        return _refusal_response(exc)

    @app.exception_handler(RagError)
    async def on_rag_error(request: Request, exc: RagError) -> JSONResponse:
        status, kind = status_for(exc)
        return error_response(status, str(exc), kind)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "the request body is not valid JSON", "invalid_json")
        return error_response(422, describe_validation(errors), "invalid_request_error")

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {
            404: "not found",
            405: "method not allowed",
        }
        message = messages.get(exc.status_code, str(exc.detail))
        return error_response(exc.status_code, message, "http_error", dict(exc.headers or {}))

    @app.get("/healthz", summary="Liveness and readiness")
    def healthz() -> dict[str, Any]:
        pipeline = holder.pipeline
        body: dict[str, Any] = {"status": "ok", "ready": pipeline is not None}
        if pipeline is not None:
            body["mode"] = pipeline.mode
        elif holder.problem:
            body["problem"] = holder.problem
        return body

    @app.get("/widget.js", summary="The embeddable chat widget", response_class=Response)
    def widget() -> Response:
        return Response(
            widget_source,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.post("/api/ask", summary="Answer one question (Answer JSON)")
    def ask(body: AskRequest) -> JSONResponse:
        question = check_question(body.question, settings)
        answer = holder.get().ask(question, to_history(body.history), k=body.k)
        return JSONResponse(answer.to_json())

    @app.post(
        "/api/chat",
        summary="Answer one question as Server-Sent Events",
        description='`token` events (`{"text"}`), then one `answer` event with the Answer '
        "JSON; an `error` event if the answer fails after streaming started.",
        response_class=StreamingResponse,
    )
    def chat(body: AskRequest) -> StreamingResponse:
        question = check_question(body.question, settings)
        events = holder.get().stream(question, to_history(body.history), body.k)
        return StreamingResponse(
            chat_events(_first_and_rest(events)),
            media_type="text/event-stream",
            headers=STREAM_HEADERS,
        )

    @app.post("/v1/chat/completions", summary="OpenAI-compatible chat completions")
    def chat_completions(body: ChatCompletionRequest) -> Response:
        raw_question, history = split_messages(body.messages)
        question = check_question(raw_question, settings)
        pipeline = holder.get()
        if body.stream:
            include_usage = bool((body.stream_options or {}).get("include_usage"))
            events = _first_and_rest(pipeline.stream(question, history))
            return StreamingResponse(
                completion_events(events, question, body.model, include_usage),
                media_type="text/event-stream",
                headers=STREAM_HEADERS,
            )
        answer = pipeline.ask(question, history)
        content = answer.answer + sources_text(answer)
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": _usage(question, content),
                "citations": [c.to_json() for c in answer.citations],
            }
        )

    @app.get("/v1/models", summary="The one model this server offers (OpenAI-compatible)")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": "newsrag", "object": "model", "created": 0, "owned_by": "newsrag"}],
        }

    # Added innermost first: the last one added is the outermost.
    app.add_middleware(UnexpectedErrorGuard)
    app.add_middleware(BodyLimit)
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
    return app


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


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API and the widget with uvicorn (blocks until interrupted)."""
    import uvicorn

    app = create_app(settings)
    print(
        f"rag serve: http://{host}:{port}  (widget: http://{host}:{port}/widget.js, "
        f"docs: http://{host}:{port}/docs)",
        file=sys.stderr,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        limit_concurrency=200,
        timeout_graceful_shutdown=5,
    )
