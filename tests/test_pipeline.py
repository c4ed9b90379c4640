"""rag/pipeline.py: one life cycle — `build_pipeline` opens, checks and warms; `Pipeline` only
assembles parts that are already open."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rag.config import Settings
from rag.errors import IndexMissingError
from rag.pipeline import Pipeline, build_pipeline
from rag.store import ChromaStore
from tests.conftest import make_settings
from tests.fakes import HashEmbedder


class Untouchable:
    """A part that fails the test if the pipeline so much as looks at it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"Pipeline.__init__ used {name!r} of a part")


def test_constructing_a_pipeline_touches_none_of_its_parts(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    part: Any = Untouchable()
    pipeline = Pipeline(make_settings(tmp_path / "index"), embedder, part, part, part)
    assert pipeline.mode == "extractive" and embedder.calls == 0


def test_building_a_pipeline_warms_the_models_before_the_first_question(
    seed_folder: Path, fake_index: Callable[..., Settings]
) -> None:
    embedder = HashEmbedder()
    pipeline = build_pipeline(fake_index(seed_folder), embedder=embedder)
    assert embedder.calls >= 1  # the warm-up question was embedded and answered
    before = embedder.calls
    assert pipeline.ask("What did Kallas say about Article 5?").citations
    assert embedder.calls > before


def test_building_over_an_empty_index_says_to_ingest_first(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "index")
    ChromaStore(settings, create=True)
    embedder = HashEmbedder()
    with pytest.raises(IndexMissingError, match="rag ingest"):
        build_pipeline(settings, embedder=embedder)
    assert embedder.calls == 0
