"""Deterministic stand-ins for the real model, used through the same factories."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from rag.retrieve import passage_for_embedding
from rag.terms import content_stems
from rag.types import Chunk


class HashEmbedder:
    """Bag of hashed word stems: similar wording gives similar vectors; no model needed."""

    name = "hash-embedder"
    dim = 256

    def __init__(self) -> None:
        self.calls = 0
        self.texts_embedded = 0
        self.seen: list[str] = []  # every text embedded, in order

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        self.seen.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for stem in content_stems(text):
                digest = hashlib.blake2b(stem.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


def passages_embedded(embedders: Sequence[HashEmbedder], chunks: Sequence[Chunk]) -> int:
    """How many of the texts the embedders embedded were passages of `chunks` (ingest also
    embeds each passage's sentences and words for the answerer: rag/vector_cache.py)."""
    passages = {passage_for_embedding(c) for c in chunks}
    return sum(t in passages for e in embedders for t in e.seen)
