"""Split an article's clean text into sentences and sentence-aligned, token-sized chunks.

Sentence boundaries come from Punkt (the model llama-index ships in its NLTK cache),
run per paragraph so that headings and short lines are never glued to the next sentence.
Sizes are counted with tiktoken through llama-index's offline cache. Every sentence and
chunk keeps its character offsets, so a quote is always `text[char_start:char_end]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.load import content_hash
from rag.types import Article, Chunk

_PARAGRAPH = re.compile(r"[^\n]+")
# Punkt misses boundaries after a closing quote that ends a sentence.
_QUOTE_BOUNDARY = re.compile(r"(?<=[.!?][\"”’])\s+(?=[A-Z“\"])")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@lru_cache(maxsize=1)
def _punkt() -> object:
    import llama_index.core
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    cache = str(Path(llama_index.core.__file__).parent / "_static" / "nltk_cache")
    if cache not in nltk.data.path:
        nltk.data.path.insert(0, cache)
    return PunktTokenizer("english")


@lru_cache(maxsize=1)
def token_counter() -> Callable[[str], int]:
    """Count tokens with tiktoken (cl100k), from llama-index's offline cache."""
    from rag.config import prepare_offline_caches

    prepare_offline_caches()
    from llama_index.core.utils import get_tokenizer

    encode = get_tokenizer()
    return lambda text: len(encode(text))


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans of `text` (offsets shifted by `offset`), whitespace trimmed."""
    tokenizer = _punkt()
    spans: list[Span] = []
    for paragraph in _PARAGRAPH.finditer(text):
        base = paragraph.start()
        for start, end in tokenizer.span_tokenize(paragraph.group()):  # type: ignore[attr-defined]
            piece = paragraph.group()[start:end]
            cursor = 0
            for boundary in _QUOTE_BOUNDARY.finditer(piece):
                spans.append(Span(base + start + cursor, base + start + boundary.start()))
                cursor = boundary.end()
            spans.append(Span(base + start + cursor, base + end))
    trimmed = []
    for span in spans:
        piece = text[span.start : span.end]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if right > left:
            trimmed.append(Span(offset + span.start + left, offset + span.start + right))
    return trimmed


def _split_long(text: str, span: Span, max_tokens: int, count: Callable[[str], int]) -> list[Span]:
    """Cut a sentence longer than `max_tokens` at word boundaries."""
    if count(text[span.start : span.end]) <= max_tokens:
        return [span]
    pieces: list[Span] = []
    start = span.start
    words = list(re.finditer(r"\S+", text[span.start : span.end]))
    current_end = start
    for word in words:
        word_end = span.start + word.end()
        if current_end > start and count(text[start:word_end]) > max_tokens:
            pieces.append(Span(start, current_end))
            start = span.start + word.start()
        current_end = word_end
    pieces.append(Span(start, current_end))
    return pieces


def chunk_article(article: Article, max_tokens: int = 160, overlap: int = 1) -> list[Chunk]:
    """Pack consecutive sentences into chunks of at most `max_tokens` tiktoken tokens.

    Consecutive chunks share `overlap` sentences so that a fact split across a boundary
    is still whole in one chunk.
    """
    count = token_counter()
    text = article.text
    sentences: list[Span] = []
    for span in split_sentences(text):
        sentences.extend(_split_long(text, span, max_tokens, count))
    sizes = [count(text[s.start : s.end]) for s in sentences]
    groups: list[tuple[int, int]] = []  # [first, last) sentence indexes
    first = 0
    while first < len(sentences):
        last, total = first, 0
        while last < len(sentences) and (last == first or total + sizes[last] <= max_tokens):
            total += sizes[last]
            last += 1
        groups.append((first, last))
        if last >= len(sentences):
            break
        first = max(last - overlap, first + 1)
    chunks = []
    for n, (first, last) in enumerate(groups):
        start, end = sentences[first].start, sentences[last - 1].end
        passage = text[start:end]
        chunks.append(
            Chunk(
                chunk_id=f"{article.article_id}#{n}",
                article_id=article.article_id,
                n=n,
                text=passage,
                char_start=start,
                char_end=end,
                title=article.title,
                published=article.published,
                source=article.source,
                content_hash=content_hash(article.title, passage),
            )
        )
    return chunks
