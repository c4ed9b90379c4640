"""What every route shares: the settings and the one pipeline, loaded once and kept fresh.

Routes receive them as FastAPI dependencies (`SettingsDep`, `HolderDep`), never as globals.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, Annotated, cast

from fastapi import Depends
from starlette.requests import Request

from rag.config import Settings
from rag.errors import RagError
from ui.api.errors import public_message

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

REFRESH_EVERY_S = 5.0
RETRY_EVERY_S = 2.0


class PipelineHolder:
    """Loads the pipeline once and shares it; retries later if the index was not there yet."""

    def __init__(self, settings: Settings, pipeline: Pipeline | None = None) -> None:
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
            self.problem = public_message(str(exc))
            print(f"rag serve: {exc} (requests get 503 until it is fixed)", file=sys.stderr)

    def get(self, refresh: bool = True) -> Pipeline:
        """The pipeline, built on first use; raises the RagError that stops it being built."""
        if self.pipeline is None:
            with self._lock:
                if self.pipeline is None:
                    self._build()
        if refresh:
            self._maybe_refresh()
        assert self.pipeline is not None
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
                refresh(wait=False)  # the vector index reloads in the background
        finally:
            self._refresh_lock.release()


async def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def holder_of(request: Request) -> PipelineHolder:
    return cast(PipelineHolder, request.app.state.holder)


SettingsDep = Annotated[Settings, Depends(settings_of)]
HolderDep = Annotated[PipelineHolder, Depends(holder_of)]
