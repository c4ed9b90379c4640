"""ui/api/state.py: the serve's pipeline holder refreshes in the background, so that no
request waits for a refresh (issue 15: answers stay fast while another process ingests)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import cast

import pytest

from rag.config import Settings
from tests.conftest import make_settings
from ui.api.state import REFRESH_EVERY_S, PipelineHolder


class BlockingPipeline:
    """A pipeline whose refresh takes as long as the test says (a vector index loading)."""

    def __init__(self, fail: bool = False) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.refreshes = 0
        self.fail = fail

    def refresh(self, wait: bool = True) -> None:
        self.refreshes += 1
        self.started.set()
        self.release.wait(timeout=30)
        if self.fail:
            raise RuntimeError("the index went away")


def _holder(settings: Settings, pipeline: BlockingPipeline) -> PipelineHolder:
    holder = PipelineHolder(settings, pipeline)  # type: ignore[arg-type]
    holder._refreshed_at = time.monotonic() - 2 * REFRESH_EVERY_S  # a refresh is due
    return holder


def test_a_request_is_answered_from_the_loaded_pipeline_while_a_refresh_is_blocked(
    tmp_path: Path,
) -> None:
    pipeline = BlockingPipeline()
    holder = _holder(make_settings(tmp_path / "index"), pipeline)
    try:
        began = time.perf_counter()
        assert cast(object, holder.get()) is pipeline
        assert pipeline.started.wait(timeout=10)  # the refresh runs, elsewhere
        assert cast(object, holder.get()) is pipeline  # a second request while it is still blocked
        assert time.perf_counter() - began < 1.0
        assert pipeline.refreshes == 1  # one refresh at a time
    finally:
        pipeline.release.set()
    assert holder._refreshing is not None
    holder._refreshing.join(timeout=10)
    assert not holder._refreshing.is_alive()


def test_a_failed_refresh_keeps_the_serve_answering_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline = BlockingPipeline(fail=True)
    pipeline.release.set()
    holder = _holder(make_settings(tmp_path / "index"), pipeline)
    assert cast(object, holder.get()) is pipeline
    assert holder._refreshing is not None
    holder._refreshing.join(timeout=10)
    assert cast(object, holder.get(refresh=False)) is pipeline
    assert "refreshing the index failed: the index went away" in capsys.readouterr().err


def test_requests_start_no_refresh_until_one_is_due(tmp_path: Path) -> None:
    pipeline = BlockingPipeline()
    pipeline.release.set()
    holder = PipelineHolder(make_settings(tmp_path / "index"), pipeline)  # type: ignore[arg-type]
    for _ in range(5):
        holder.get()
    assert pipeline.refreshes == 0 and holder._refreshing is None
