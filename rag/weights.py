"""Retrieval's weights, read from the one weights file.

`rag/answer/weights.json` is the one file of fitted weights: `weights` holds the
answerer's (`rag.answer.weights.Weights`), `retrieval` the retriever's (here). Code reads
its section instead of keeping literals, and `rag eval --fit` (evals/fit.py) writes the
values it fits back into the same file, keeping the other sections, so a refit is one
command and one reviewed diff. A value missing from the file keeps the default written
beside its field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

WEIGHTS_PATH = Path(__file__).resolve().parent / "answer" / "weights.json"


def read_file(path: Path = WEIGHTS_PATH) -> dict[str, dict[str, Any]]:
    """The whole file (empty when it is missing or unreadable: defaults apply)."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def section(name: str, path: Path = WEIGHTS_PATH) -> dict[str, Any]:
    value = read_file(path).get(name)
    return value if isinstance(value, dict) else {}


def write_section(name: str, values: dict[str, Any], path: Path = WEIGHTS_PATH) -> None:
    """Replace the named values of one section, keeping everything else in the file."""
    body = read_file(path)
    current = body.get(name) if isinstance(body.get(name), dict) else {}
    body[name] = {**(current or {}), **values}
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")  # keeps its order
    retrieval_weights.cache_clear()


# counts and switches, not weights
_WHOLE = frozenset({"article_bring", "vector_slot", "article_vector_slot", "blend"})


@dataclass(frozen=True, slots=True)
class RetrievalWeights:
    """How the retriever fuses its rankings (reciprocal rank fusion weights)."""

    # Weight of the article-level ranking (BM25 over whole articles and titles, and the
    # mean of an article's passage vectors) beside the passage rankings: a question that
    # paraphrases its article still finds it from the article's words as a whole.
    article: float = 0.5
    # How many of the best-ranked articles may bring in a passage when none of theirs is
    # among the passage candidates.
    article_bring: int = 2
    # Within the article ranking, the weight of the mean-vector ranking against BM25's 1.
    article_vector: float = 0.5
    # Weight of the passage vector ranking against the passage BM25 ranking's 1. News
    # questions name people, places and numbers BM25 matches exactly, while the small
    # offline model ranks topical neighbours high.
    vector: float = 0.5
    # The passage vector ranking's first passage ranks no lower than this (0: off), and
    # the article nearest the question by mean vector brings its passage nearest the
    # question to `article_vector_slot` or better: one strong meaning signal is not
    # drowned by many weak keyword matches (rag/fusion.py).
    vector_slot: int = 0
    article_vector_slot: int = 0
    # Reciprocal rank fusion's constant for the passage and article shares (score
    # weight / (rrf_k + rank)): the smaller, the more a first place outweighs a twentieth.
    rrf_k: float = 60.0
    # 1: fuse the hybrid search's scores, scaled, instead of its ranks (rag/fusion.py
    # `blend`); 0: reciprocal rank fusion with the weights above. The blend's weights:
    # the passage's BM25 over the best candidate's, its cosine min-max scaled over the
    # candidates, and its article's score, itself `blend_article_keyword` × the article's
    # BM25 over the best article's + the rest × its mean vector's scaled cosine.
    blend: int = 1
    blend_keyword: float = 1.0
    blend_vector: float = 0.5
    blend_article: float = 0.5
    blend_article_keyword: float = 0.3

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> RetrievalWeights:
        known = {f.name: f.type for f in fields(cls)}
        kept: dict[str, Any] = {}
        for name, value in values.items():
            if name in known and isinstance(value, int | float) and not isinstance(value, bool):
                kept[name] = int(value) if name in _WHOLE else float(value)
        return cls(**kept)


@lru_cache(maxsize=1)
def retrieval_weights() -> RetrievalWeights:
    return RetrievalWeights.from_mapping(section("retrieval"))
