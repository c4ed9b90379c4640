"""Which configuration produced an answer: a short hash the answer log stores with it.

Two answers with the same hash came from the same retrieval, chunking, model and answerer
weights, so ratings can be compared across a change (`rag feedback`, the operator page).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from typing import Any

from rag.config import Settings


def answerer_weights(answerer: Any) -> dict[str, Any]:
    """The answerer's tunable numbers: its `weights` object when it has one, else the
    numeric upper-case constants of the module that defines it (its thresholds)."""
    if answerer is None:
        return {}
    weights = getattr(answerer, "weights", None)
    if weights is not None and dataclasses.is_dataclass(weights):
        return {k: v for k, v in dataclasses.asdict(weights).items()}  # type: ignore[arg-type]
    module = sys.modules.get(type(answerer).__module__)
    if module is None:
        return {}
    return {
        name: value
        for name, value in sorted(vars(module).items())
        if name.isupper() and isinstance(value, int | float) and not isinstance(value, bool)
    }


def config_hash(settings: Settings, weights: dict[str, Any] | None = None) -> str:
    """A short hash of what shapes an answer: retrieval, chunking, model and weights."""
    described = {
        "retrieval": settings.retrieval,
        "top_k": settings.top_k,
        "candidates": settings.candidates,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap_sentences,
        "llm": settings.llm,
        "model": settings.llm_model if settings.llm == "openai" else None,
        "weights": weights or {},
    }
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]
