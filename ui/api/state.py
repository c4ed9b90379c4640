"""What every route shares: the settings and the one pipeline, loaded once and kept fresh.

Routes receive them as FastAPI dependencies (`SettingsDep`, `HolderDep`), never as globals.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, cast

from fastapi import Depends
from starlette.requests import Request

from rag.config import Settings
from rag.errors import RagError
from ui.api.errors import public_message

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

# How often a request may start a refresh (a background check of the index's version;
# a reload only when another process wrote). Cheap now that no request waits for it, and
# it bounds how late a serve answers from what an ingest added: this, plus the reload.
REFRESH_EVERY_S = 1.0
RETRY_EVERY_S = 2.0


class PipelineHolder:
    """Loads the pipeline once and shares it; retries later if the index was not there yet."""

    def __init__(self, settings: Settings, pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._refreshed_at = time.monotonic()
        self._refreshing: threading.Thread | None = None
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
        """Pick up new ingests now and then, in a background thread: no request waits for
        a refresh. Reading the store's version, catching the article index up and
        reloading the vector index happen there, and each part is swapped in when it is
        ready; meanwhile questions are answered from what was loaded before. At most one
        refresh runs at a time."""
        if time.monotonic() - self._refreshed_at < REFRESH_EVERY_S:
            return
        refresh = getattr(self.pipeline, "refresh", None)
        if refresh is None:
            return
        with self._refresh_lock:
            if self._refreshing is not None and self._refreshing.is_alive():
                return
            self._refreshed_at = time.monotonic()
            self._refreshing = threading.Thread(
                target=self._refresh, args=(refresh,), name="rag-refresh", daemon=True
            )
            self._refreshing.start()

    def _refresh(self, refresh: Callable[[], None]) -> None:
        try:
            refresh()
        except Exception as exc:  # noqa: BLE001 - keep answering from what is loaded
            print(f"rag serve: refreshing the index failed: {exc}", file=sys.stderr)
        finally:
            self._refreshed_at = time.monotonic()


async def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def holder_of(request: Request) -> PipelineHolder:
    return cast(PipelineHolder, request.app.state.holder)


SettingsDep = Annotated[Settings, Depends(settings_of)]
HolderDep = Annotated[PipelineHolder, Depends(holder_of)]
