"""rag/answer/weights.py: one frozen object with every weight, read from the fitted file."""

import dataclasses
import json

import pytest

from rag.answer import Weights


def test_a_fitted_file_overrides_only_the_weights_it_names(tmp_path) -> None:
    path = tmp_path / "weights.json"
    path.write_text(json.dumps({"weights": {"refuse_below": 0.4, "semantic_pool": 6}}))
    weights = Weights.load(path)
    assert weights.refuse_below == 0.4 and weights.semantic_pool == 6
    assert weights.lexical == Weights().lexical


def test_an_unknown_weight_is_an_error_and_weights_are_frozen(tmp_path) -> None:
    with pytest.raises(ValueError, match="refuse_bellow"):
        Weights().updated({"refuse_bellow": 0.3})
    with pytest.raises(dataclasses.FrozenInstanceError):
        Weights().refuse_below = 0.1  # type: ignore[misc]


def test_saved_weights_load_back_the_same(tmp_path) -> None:
    weights = Weights().updated({"ground_similarity": 0.7})
    path = weights.save(tmp_path / "weights.json", note={"folds": 5})
    assert Weights.load(path) == weights
    assert Weights.load(tmp_path / "missing.json") == Weights()


def test_the_extractive_answerer_implements_the_answerer_protocol() -> None:
    from rag.answer import Answerer, ExtractiveAnswerer
    from tests.fakes import HashEmbedder

    answerer = ExtractiveAnswerer(HashEmbedder(), lambda stem: 1.0, Weights())
    assert isinstance(answerer, Answerer)
    assert answerer.weights == Weights()
