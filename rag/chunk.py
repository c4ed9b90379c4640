"""Split an article's clean text into sentences and sentence-aligned, token-sized chunks.

Sentence boundaries come from Punkt (the model llama-index ships in its NLTK cache),
run per paragraph so that headings and short lines are never glued to the next sentence.
Sizes are counted with tiktoken through llama-index's offline cache. Every sentence and
chunk keeps its character offsets, so a quote is always `text[char_start:char_end]`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

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


# The embedding model reads at most 256 word-pieces, [CLS] and [SEP] included; the chunk's
# title line is embedded with it (`passage_for_embedding`), so it takes its share too.
MODEL_WORD_PIECES = 256
_MIN_WORD_PIECE_BUDGET = 64


@lru_cache(maxsize=1)
def _word_piece_tokenizer() -> Any:
    """The embedding model's tokenizer (no truncation, no padding), or None without the model.

    tiktoken counts alone do not bound word-pieces: Cyrillic or CJK text takes far more
    MiniLM word-pieces than tiktoken tokens, and the model would silently cut such chunks.
    """
    try:
        from tokenizers import Tokenizer

        from rag.embed import _model_files

        tokenizer = Tokenizer.from_file(str(_model_files()[1]))
    except Exception:  # no model installed: tiktoken counts are all we have
        return None
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


# Latin script, general punctuation and currency signs: there tiktoken's count bounds the
# word-pieces well enough (at most ~1.3x), so the costlier tokenizer pass is skipped.
_BEYOND_LATIN = re.compile("[^\x00-\u024f\u2000-\u206f\u20a0-\u20cf]")


def word_piece_starts(text: str) -> list[int] | None:
    """Start offsets of the model's word-pieces in `text` (one tokenizer pass per article),
    or None when tiktoken's count is bound enough (Latin script) or there is no model."""
    tokenizer = _word_piece_tokenizer()
    if tokenizer is None or not _BEYOND_LATIN.search(text):
        return None
    return [start for start, _ in tokenizer.encode(text, add_special_tokens=False).offsets]


def count_word_pieces(text: str) -> int:
    tokenizer = _word_piece_tokenizer()
    return 0 if tokenizer is None else len(tokenizer.encode(text, add_special_tokens=False).ids)


def chunk_sentences(chunk: Chunk) -> list[str]:
    """The passage's sentences, as the answerer reads them (`candidates_of`)."""
    return [
        chunk.text[span.start - chunk.char_start : span.end - chunk.char_start]
        for span in split_sentences(chunk.text, offset=chunk.char_start)
    ]


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


def _split_long(text: str, span: Span, fits: Callable[[str], bool]) -> list[Span]:
    """Cut a sentence that does not fit at word boundaries (a word that alone does not fit,
    such as text written without spaces, at character boundaries)."""
    if fits(text[span.start : span.end]):
        return [span]
    pieces: list[Span] = []
    start = span.start
    current_end = start
    for word in re.finditer(r"\S+", text[span.start : span.end]):
        word_start, word_end = span.start + word.start(), span.start + word.end()
        if current_end > start and not fits(text[start:word_end]):
            pieces.append(Span(start, current_end))
            start = word_start
        if start == word_start and not fits(text[word_start:word_end]):
            cuts = _split_characters(text, word_start, word_end, fits)
            pieces.extend(cuts[:-1])
            start = cuts[-1].start
        current_end = word_end
    pieces.append(Span(start, current_end))
    return pieces


def _split_characters(text: str, start: int, end: int, fits: Callable[[str], bool]) -> list[Span]:
    """Cut `text[start:end]` into the longest character runs that fit.

    Galloping, then binary search, so that each cut costs about its own length (a
    multi-megabyte run without spaces must not be re-tokenised whole for every cut).
    """
    pieces: list[Span] = []
    while start < end:
        low, high = 1, 64
        while start + high < end and fits(text[start : start + high]):
            low, high = high, high * 2
        high = min(high, end - start)
        while low < high:
            middle = (low + high + 1) // 2
            if fits(text[start : start + middle]):
                low = middle
            else:
                high = middle - 1
        pieces.append(Span(start, start + low))
        start += low
    return pieces


def chunk_article(article: Article, max_tokens: int = 160, overlap: int = 1) -> list[Chunk]:
    """Pack consecutive sentences into chunks of at most `max_tokens` tiktoken tokens
    (and, with the title, within the embedding model's 256 word-pieces).

    Consecutive chunks share `overlap` sentences so that a fact split across a boundary
    is still whole in one chunk.
    """
    count = token_counter()
    text = article.text
    starts = word_piece_starts(text)
    budget = max(MODEL_WORD_PIECES - 2 - count_word_pieces(article.title), _MIN_WORD_PIECE_BUDGET)

    def widths_of(spans: list[Span]) -> list[int]:
        if starts is None:
            return [0] * len(spans)
        return [bisect_left(starts, s.end) - bisect_left(starts, s.start) for s in spans]

    def fits(passage: str) -> bool:
        if count(passage) > max_tokens:
            return False
        return starts is None or count_word_pieces(passage) <= budget

    sentences: list[Span] = []
    sizes: list[int] = []
    widths: list[int] = []
    spans = split_sentences(text)
    for span, width in zip(spans, widths_of(spans), strict=True):
        size = count(text[span.start : span.end])
        if size <= max_tokens and width <= budget:
            sentences.append(span)
            sizes.append(size)
            widths.append(width)
            continue
        cut = _split_long(text, span, fits)
        sentences.extend(cut)
        sizes.extend(count(text[s.start : s.end]) for s in cut)
        widths.extend(widths_of(cut))
    groups: list[tuple[int, int]] = []  # [first, last) sentence indexes
    first = 0
    while first < len(sentences):
        last, total, width = first, 0, 0
        while last < len(sentences) and (
            last == first or (total + sizes[last] <= max_tokens and width + widths[last] <= budget)
        ):
            total += sizes[last]
            width += widths[last]
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
