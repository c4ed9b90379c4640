"""The FastAPI app: the routers, the error handlers and the access-control middleware.

`create_app(settings)` builds it; `serve(settings, host, port)` runs it with uvicorn (that
is `rag serve`). The pipeline is loaded once at start-up and shared by every request.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from rag.config import Settings
from ui.api.access import install_access_control
from ui.api.answer_log import AnswerRecorder
from ui.api.errors import install_error_handlers
from ui.api.routes import ask, feedback, health, openai, widget
from ui.api.state import PipelineHolder

if TYPE_CHECKING:
    from rag.pipeline import Pipeline


def create_app(settings: Settings, pipeline: Pipeline | None = None) -> FastAPI:
    """The API app. Pass `pipeline` to reuse one (tests); otherwise it loads at start-up."""
    holder = PipelineHolder(settings, pipeline)

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
    app.state.settings = settings
    app.state.holder = holder
    app.state.recorder = AnswerRecorder(settings)
    for feature in (health, widget, ask, feedback, openai):
        app.include_router(feature.router)
    install_error_handlers(app)
    app.state.access = install_access_control(app, settings)
    return app


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
