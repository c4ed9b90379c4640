"""rag/bench/profile.py: a warm ask's time split into stages and the model's share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rag.bench.profile import TimedEmbedder, profile_asks
from rag.config import Settings
from rag.pipeline import build_pipeline
from tests.conftest import KALLAS
from tests.fakes import HashEmbedder


def test_the_timed_embedder_adds_up_the_texts_it_passes_on() -> None:
    timed = TimedEmbedder(HashEmbedder())
    vectors = timed.embed(["Rain fell in Perth.", "Kallas spoke."])
    assert vectors.shape == (2, HashEmbedder.dim) and timed.texts == 2 and timed.seconds > 0
    assert (timed.name, timed.dim) == (HashEmbedder.name, HashEmbedder.dim)


def test_profile_gives_each_stage_and_the_models_share_of_warm_asks(
    fake_index: Callable[..., Settings], seed_folder: Path
) -> None:
    timed = TimedEmbedder(HashEmbedder())
    pipeline = build_pipeline(fake_index(seed_folder), embedder=timed)
    questions = [KALLAS, "What did Kallas say about troops?", "Who spoke about Ukraine?"]
    figures = profile_asks(pipeline, timed, questions, 4)
    assert figures["queries"] == 4
    assert figures["texts_embedded"]["p50"] >= 1  # the question, at least
    assert 0 < figures["model"]["p50"] <= figures["total"]["p95"]
    assert figures["retrieve"]["p50"] + figures["answer"]["p50"] > 0
    assert figures["cpu"]["p50"] > 0
    # every model call is put down to what asked for it: the retriever asks for the question
    assert figures["calls"]["retrieve.retrieve"]["texts_per_ask"] == 1.0
