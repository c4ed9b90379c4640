"""Candidate sentences: every sentence of the retrieved passages, scored for how well it
answers the question.

A sentence's score weighs (see `Weights`): how much of the question's vocabulary
(IDF-weighted) it and its immediate context cover; whether the question's named entities
appear near it; semantic similarity to the question (MiniLM, every sentence); whether it
holds the kind of thing asked for (a date for "when", a number for "how many"); and, for
"what did X say about Y", whether it reports X speaking — also through "she said" when an
earlier sentence names X — and covers Y.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer import speakers
from rag.answer.mentions import acronyms, mentions, names_in
from rag.answer.question import QuestionInfo, speaker_name
from rag.answer.slots import filler_positions, slot_filled
from rag.answer.weights import Weights
from rag.chunk import chunk_sentences, split_sentences
from rag.terms import QUESTION_WORDS, STOPWORDS, content_stems, stem, words
from rag.types import Hit


@dataclass(slots=True)
class Candidate:
    """A sentence of a retrieved passage and its scores."""

    hit: Hit
    hit_rank: int
    start: int  # offsets into the article's clean text
    end: int
    text: str
    context: str  # the sentence before it in the same passage ("" for the first)
    attribution: str = ""  # the last earlier sentence in the passage that names a speaker
    lexical: float = 0.0
    window: float = 0.0
    entity: float = 1.0
    semantic: float = 0.0
    kind: float = 0.0
    speech: float = 0.0
    score: float = 0.0

    @property
    def article_id(self) -> str:
        return self.hit.chunk.article_id


def candidates_of(hits: Sequence[Hit]) -> list[Candidate]:
    """Every sentence of the passages once, in passage order, with the sentence before it
    and the last earlier sentence that names someone speaking."""
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        previous = ""
        attribution = ""
        for span in split_sentences(chunk.text, offset=chunk.char_start):
            key = (chunk.article_id, span.start)
            text = chunk.text[span.start - chunk.char_start : span.end - chunk.char_start]
            if key not in seen:
                seen.add(key)
                out.append(Candidate(hit, rank, span.start, span.end, text, previous, attribution))
            previous = text
            if speakers.names_speaker(text):
                attribution = text
    _attribution_across_passages(out)
    return out


def _attribution_across_passages(candidates: list[Candidate]) -> None:
    """A passage that opens with "…," he said" names its speaker in the passage before it:
    read the retrieved sentences of each article in reading order, and where they run on
    without a gap, a sentence with no speaker named earlier in its own passage takes the
    last one named earlier in the article."""
    by_article: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_article.setdefault(c.article_id, []).append(c)
    for sentences in by_article.values():
        if len({c.hit.chunk.chunk_id for c in sentences}) < 2:
            continue  # one passage: its own reading stands
        sentences.sort(key=lambda c: c.start)
        last, end = "", -1
        for c in sentences:
            if end >= 0 and c.start - end > 3:
                last = ""  # a gap: sentences nobody retrieved may name someone else
            if not c.attribution and last:
                c.attribution = last
            if speakers.names_speaker(c.text):
                last = c.text
            end = c.end


def coverage(
    idf: Callable[[str], float], question_stems: Sequence[str], text_stems: set[str]
) -> float:
    """IDF-weighted share of the question's stems the text has. A stem counts too when
    it ends a longer word of the text ("quake" in "earthquake"), or when the text spells
    out an acronym of the question ("WA" for "Western Australia")."""
    if not question_stems:
        return 0.0
    total = sum(idf(s) for s in question_stems)
    found = sum(idf(s) for s in question_stems if stem_found(s, text_stems))
    return found / total if total else 0.0


def stem_found(s: str, text_stems: set[str]) -> bool:
    """The stem, or a compound ending in it ("quake" in "earthquake")."""
    return s in text_stems or (
        len(s) >= 4 and any(len(t) > len(s) + 2 and t.endswith(s) for t in text_stems)
    )


def sentence_stems(text: str) -> set[str]:
    return set(_sentence_stems(text))  # a copy: the caller may add to it


@functools.lru_cache(maxsize=8192)  # a sentence is a candidate, and its successor's context
def _sentence_stems(text: str) -> frozenset[str]:
    return frozenset(content_stems(text)) | acronyms(text)


def score_candidates(
    info: QuestionInfo,
    candidates: list[Candidate],
    query_vector: np.ndarray,
    idf: Callable[[str], float],
    embed: Callable[[list[str]], np.ndarray],
    w: Weights,
) -> None:
    """Set each candidate's scores, its similarity to the question by MiniLM (`embed`)
    among them."""
    question_lower = info.text.lower()
    known: dict[str, frozenset[str]] = {}
    names = info.names
    speaker = speaker_name(info.speaker) if info.speaker else ""
    for c in candidates:
        own = sentence_stems(c.text)
        around = own | sentence_stems(c.context) | set(content_stems(c.hit.chunk.title))
        c.lexical = coverage(idf, info.stems, own)
        c.window = coverage(idf, info.stems, around)
        if info.context_stems:
            steer = coverage(idf, info.context_stems, around)
            c.window = (1 - w.context_steer) * c.window + w.context_steer * steer
        if names:
            window_text = f"{c.hit.chunk.title} {c.context} {c.text}"
            passage_text = f"{c.hit.chunk.title} {c.hit.chunk.text}"
            in_window = sum(mentions(window_text, e) for e in names)
            in_passage = sum(mentions(passage_text, e) for e in names)
            c.entity = (w.entity_in_window * in_window + w.entity_in_passage * in_passage) / len(
                names
            )
        chunk = c.hit.chunk
        if chunk.chunk_id not in known:
            known[chunk.chunk_id] = names_in(chunk.text)
        c.kind = slot_filled(info, c.text, question_lower, known[chunk.chunk_id])
        if info.speaker:
            said = speakers.said_by(speaker, c.text, c.context, c.attribution)
            c.speech = w.speech_named if said == 1.0 else (w.speech_mention if said else 0.0)
            if c.speech and speakers.quotes(c.text):
                c.speech += w.speech_quote  # the person's own words
        rank_prior = 1.0 / (1.0 + c.hit_rank)
        c.score = (
            w.lexical * c.lexical
            + w.window * c.window
            + w.entity * c.entity
            + w.rank * rank_prior
            + w.kind * c.kind
        )
        if info.speaker:
            # what X said *about Y*: of X's sentences, the one on the topic
            c.score += w.speech * c.speech + w.topic * coverage(idf, info.topic, own)
    if info.speaker and any(x[:1].isupper() for x in speaker.split()):  # a named speaker
        _others_speaking(speaker, sorted(candidates, key=lambda c: -c.score)[: w.semantic_pool], w)
    # every sentence is compared with the question by meaning: the passages' sentence
    # vectors are stored at ingest (rag/vector_cache.py), and a fact worded unlike the
    # question ("jailed" for "a prison sentence") ranked low on shared words alone
    if candidates:
        vectors = embed([c.text for c in candidates])
        for c, similarity in zip(candidates, vectors @ query_vector, strict=True):
            c.semantic = float(similarity)
            c.score += w.semantic * c.semantic
    if info.speaker:
        _quotes_ride_on_their_introduction(candidates, w)
    if w.filler_meaning and candidates:
        pool = sorted(candidates, key=lambda c: -c.score)[: w.semantic_pool]
        _fillers_by_meaning(info, [c for c in pool if c.kind >= 1.0], known, embed, w)


FILLER_REACH = 4  # words either side of a filler read as what the filler is about


def is_common_word(token: str) -> bool:
    """A lower-case content word: no name, figure, question word or stopword."""
    lower = token.lower()
    return (
        token[:1].islower()
        and len(lower) > 2
        and lower not in STOPWORDS
        and lower not in QUESTION_WORDS
        and not any(ch.isdigit() for ch in lower)
    )


def _plain_words(text: str, wanted: set[str] | None = None) -> list[str]:
    """The text's common words (`is_common_word`), lower-cased, each once, and only those
    whose stem is `wanted` when given."""
    out: list[str] = []
    for x in words(text):
        lower = x.lower()
        if is_common_word(x) and (wanted is None or stem(lower) in wanted) and lower not in out:
            out.append(lower)
    return out


def filler_meaning(
    info: QuestionInfo,
    sentence: str,
    known: frozenset[str],
    embed: Callable[[list[str]], np.ndarray],
) -> float | None:
    """How near in meaning the words around the sentence's filler of the asked kind
    are to the question's words: for each common word of the question, the best MiniLM
    cosine of a word within `FILLER_REACH` of a filler, averaged. "How much did harbour
    trade expand?" is about "cargo grew 12% at the harbour", not "rents stayed near 40
    pounds" in the same story. None when the sentence has no filler or no words near it."""
    asked = _plain_words(info.text, set(info.stems))
    if not asked:
        return None
    tokens = words(sentence)
    positions = filler_positions(info, tokens, known)
    if not positions:
        return None
    near = {
        j
        for i in positions
        for j in range(max(0, i - FILLER_REACH), min(len(tokens), i + FILLER_REACH + 1))
        if j not in positions
    }
    around = _plain_words(" ".join(tokens[j] for j in sorted(near)))
    if not around:
        return None
    vectors = embed([*asked, *around])
    sims = vectors[: len(asked)] @ vectors[len(asked) :].T
    return float(sims.max(axis=1).mean())


def _fillers_by_meaning(
    info: QuestionInfo,
    pool: Sequence[Candidate],
    known: dict[str, frozenset[str]],
    embed: Callable[[list[str]], np.ndarray],
    w: Weights,
) -> None:
    """Of the best sentences that hold the kind asked for, the one whose filler stands
    among words meaning what the question asks goes first (`Weights.filler_meaning`).
    Only their order changes: they trade scores among themselves, so no sentence gains
    on the others, and support (which reads the best scores) stays as it was."""
    nearness = {
        id(c): filler_meaning(info, c.text, known.get(c.hit.chunk.chunk_id, frozenset()), embed)
        for c in pool
    }
    held = [c for c in pool if nearness[id(c)] is not None]
    # fillers of one story: the best one's (another story's sentence stays where it is)
    held = [c for c in held if held and c.article_id == held[0].article_id]
    if len(held) < 2:
        return  # nothing to choose between
    scores = sorted((c.score for c in held), reverse=True)
    order = sorted(held, key=lambda c: -(c.score + w.filler_meaning * (nearness[id(c)] or 0.0)))
    for c, score in zip(order, scores, strict=True):
        c.score = score


def _others_speaking(speaker: str, pool: Sequence[Candidate], w: Weights) -> None:
    """Of the best sentences said to report X, those the shared speech analysis
    (`rag.speech`) finds reporting somebody else ("Y said he had suspended X") only
    mention X: they lose the speech score."""
    for c in pool:
        if c.speech < w.speech_named - 1e-9 or not mentions(c.text, speaker):
            continue  # a bare quote after X's introduction keeps its speaker
        if speaks_here(speaker, c) is False:
            c.score -= w.speech * (c.speech - w.speech_mention)
            c.speech = w.speech_mention


def speaks_here(speaker: str, c: Candidate) -> bool | None:
    """`rag.speech`'s verdict on whether the candidate reports `speaker` speaking, read
    in its passage (None: it cannot tell, or the sentence is not found there)."""
    sentences = chunk_sentences(c.hit.chunk)
    index = next((i for i, text in enumerate(sentences) if text == c.text), None)
    return None if index is None else speakers.speaks_for(speaker, sentences, index)


def _quotes_ride_on_their_introduction(candidates: list[Candidate], w: Weights) -> None:
    """X's own words follow the sentence that introduces them ("Skipper Ingvall says his
    start tactics are easy. 'Don't break and don't collide…'"): the quote is as relevant
    as its introduction."""
    full = w.speech_named + w.speech_quote
    by_end = {(c.hit.chunk.chunk_id, c.end): c for c in candidates}
    for c in candidates:
        if c.speech < full - 1e-9:
            continue
        intro = next(
            (
                by_end[(c.hit.chunk.chunk_id, end)]
                for end in range(c.start - 1, c.start - 4, -1)
                if (c.hit.chunk.chunk_id, end) in by_end
            ),
            None,
        )
        if intro is not None and intro.speech >= w.speech_mention:  # it names X
            c.score = max(c.score, w.quote_ride * intro.score)


def adjacent(ranked: Sequence[Candidate], c: Candidate, after: bool) -> Candidate | None:
    """The sentence of the same article just after (or before) `c`, if it was retrieved."""
    for other in ranked:
        if other.article_id != c.article_id:
            continue
        gap = other.start - c.end if after else c.start - other.end
        if 0 < gap <= 3:
            return other
    return None
