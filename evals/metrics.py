"""Offline metrics: retrieval, answers, citations, refusals and latency (no network).

Definitions (evals/README.md explains them with examples):

- retrieval, article level: a hit at rank r is a passage from one of the gold
  `article_ids`; hit@k, reciprocal rank of the first hit (MRR), and recall@k (share of
  the gold articles among the top k passages' articles).
- retrieval, passage level: a passage counts when it comes from a gold article *and*
  contains one of the answer aliases (normalised text).
- answers: alias match (a normalised alias occurs in the normalised answer text) and
  SQuAD token F1 (best over aliases); a refusal scores 0 on an answerable question.
- citations, after ALCE (Gao et al., 2023): the answer is split into claims (sentences
  with their [n] markers). Citation recall: share of claims with at least one citation
  whose quote supports them. Citation precision: share of (claim, citation) pairs whose
  quote supports the claim. "Supports" is an offline proxy: an alias in both, or most of
  the claim's key terms in the quote, *and* embedding similarity above a threshold.
- citation validity, the contract's rules: schema-valid JSON, every [n] has a citation
  and every citation is used, `quote == article.text[char_start:char_end]`; a refusal
  that cites what the articles do say keeps the same rules (a plain one has no citations).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.terms import content_stems

MARKER = re.compile(r"\[(\d+)\]")
SUPPORT_SIMILARITY = 0.45  # MiniLM cosine: paraphrases sit ~0.6–0.9, unrelated text < 0.3
SUPPORT_COVERAGE = 0.5  # share of a claim's key terms the quote must hold


# -- text normalisation (SQuAD's) ------------------------------------------------------------

_PUNCT = set(string.punctuation) | {"‘", "’", "“", "”", "–", "—", "…"}


def normalize(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (as SQuAD's evaluator)."""
    text = MARKER.sub(" ", text).lower()
    text = "".join(" " if ch in _PUNCT else ch for ch in text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def contains_alias(text: str, aliases: Iterable[str]) -> bool:
    """Whether a normalised alias occurs in the normalised text on word boundaries."""
    haystack = f" {normalize(text)} "
    for alias in aliases:
        needle = normalize(alias)
        if needle and f" {needle} " in haystack:
            return True
    return False


def token_f1(prediction: str, aliases: Iterable[str]) -> float:
    """SQuAD token F1 between the answer and the best-matching alias."""
    predicted = normalize(prediction).split()
    best = 0.0
    for alias in aliases:
        gold = normalize(alias).split()
        if not predicted or not gold:
            continue
        common = Counter(predicted) & Counter(gold)
        same = sum(common.values())
        if same == 0:
            continue
        precision, recall = same / len(predicted), same / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


# -- retrieval --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetrievedPassage:
    """One retrieved passage as the report shows it."""

    rank: int
    chunk_id: str
    article_id: str
    text: str
    score: float
    vector_rank: int | None
    bm25_rank: int | None


def relevant_flags(
    passages: Sequence[RetrievedPassage], article_ids: Sequence[str], aliases: Sequence[str]
) -> tuple[list[bool], list[bool]]:
    """Per rank: (from a gold article, from a gold article and holding an alias)."""
    gold = set(article_ids)
    article_level = [p.article_id in gold for p in passages]
    passage_level = [
        hit and contains_alias(p.text, aliases)
        for p, hit in zip(passages, article_level, strict=True)
    ]
    return article_level, passage_level


def hit_at(flags: Sequence[bool], k: int) -> float:
    return 1.0 if any(flags[:k]) else 0.0


def reciprocal_rank(flags: Sequence[bool]) -> float:
    for rank, flag in enumerate(flags, start=1):
        if flag:
            return 1.0 / rank
    return 0.0


def article_recall_at(
    passages: Sequence[RetrievedPassage], article_ids: Sequence[str], k: int
) -> float:
    gold = set(article_ids)
    if not gold:
        return 0.0
    return len(gold & {p.article_id for p in passages[:k]}) / len(gold)


def alias_recall_at(
    passages: Sequence[RetrievedPassage],
    article_ids: Sequence[str],
    aliases: Sequence[str],
    k: int,
) -> float:
    """Share of the aliases found in the top k passages of gold articles."""
    if not aliases:
        return 0.0
    gold = set(article_ids)
    texts = [p.text for p in passages[:k] if p.article_id in gold]
    found = sum(1 for alias in aliases if any(contains_alias(t, [alias]) for t in texts))
    return found / len(aliases)


# -- citations --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """A sentence of an answer and the citation numbers attached to it."""

    text: str
    markers: tuple[int, ...]


_MARKERS_AFTER_END = re.compile(r"([.!?][\"”’)]*)\s*((?:\[\d+\]\s*)+)")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")


def split_claims(answer: str) -> list[Claim]:
    """Sentences of an answer with their markers; markers after a full stop stay with
    the sentence before it ("X. [1] Y [2]." → "X [1]." and "Y [2].")."""
    moved = _MARKERS_AFTER_END.sub(lambda m: f" {m.group(2).strip()}{m.group(1)} ", answer)
    claims: list[Claim] = []
    for sentence in _SENTENCE_BREAK.split(moved.strip()):
        markers = tuple(int(n) for n in MARKER.findall(sentence))
        text = re.sub(r"\s+([.!?,;:])", r"\1", " ".join(MARKER.sub(" ", sentence).split()))
        if content_stems(text):
            claims.append(Claim(text=text, markers=markers))
    # "A. B. C. [1]": one marker after a run of sentences cites the whole run, as the
    # extractive answerer writes adjacent sentences of one passage. Each sentence is
    # still checked against that quote; sentences after the last marker stay uncited.
    pending: list[int] = []
    for i, claim in enumerate(claims):
        if not claim.markers:
            pending.append(i)
        else:
            for j in pending:
                claims[j] = Claim(claims[j].text, claim.markers)
            pending = []
    return claims


def lexical_support(quote: str, claim: str, aliases: Sequence[str] = ()) -> bool:
    """An alias in both, or most of the claim's key terms present in the quote."""
    if any(contains_alias(claim, [a]) and contains_alias(quote, [a]) for a in aliases):
        return True
    key_terms = set(content_stems(claim))
    if not key_terms:
        return False
    return len(key_terms & set(content_stems(quote))) / len(key_terms) >= SUPPORT_COVERAGE


Similarity = Callable[[str, str], float]


def embedding_similarity(embedder: Any) -> Similarity:
    """Cosine similarity of two texts under `embedder` (vectors are L2-normalised)."""
    cache: dict[str, np.ndarray] = {}

    def vector(text: str) -> np.ndarray:
        if text not in cache:
            cache[text] = embedder.embed([text])[0]
        return cache[text]

    def similarity(a: str, b: str) -> float:
        return float(np.dot(vector(a), vector(b)))

    return similarity


def supports(
    quote: str, claim: str, aliases: Sequence[str] = (), similarity: Similarity | None = None
) -> bool:
    """Whether `quote` supports `claim`: verbatim, or lexically and semantically.

    Similarity is taken against the quote's closest sentence as well as the whole quote,
    so one short claim is not diluted by a long passage around it.
    """
    # "[3]" inside an article is text, not a marker (answers show it as "(3)").
    quote = quote.replace("[", "(").replace("]", ")")
    if normalize(claim) and f" {normalize(claim)} " in f" {normalize(quote)} ":
        return True
    if not lexical_support(quote, claim, aliases):
        return False
    if similarity is None:
        return True
    parts = [quote, *(s for s in _SENTENCE_BREAK.split(quote) if s.strip() and s != quote)]
    return max(similarity(part, claim) for part in parts) >= SUPPORT_SIMILARITY


@dataclass(frozen=True, slots=True)
class CitationScores:
    """One answer's ALCE-style counts."""

    claims: int
    supported_claims: int
    pairs: int
    supporting_pairs: int

    @property
    def recall(self) -> float | None:
        return self.supported_claims / self.claims if self.claims else None

    @property
    def precision(self) -> float | None:
        return self.supporting_pairs / self.pairs if self.pairs else None


def citation_scores(
    answer: Mapping[str, Any], aliases: Sequence[str] = (), similarity: Similarity | None = None
) -> CitationScores:
    """Citation recall and precision counts of one Answer JSON (zero counts when refused)."""
    if answer.get("refused"):
        return CitationScores(0, 0, 0, 0)
    quotes = {c["n"]: c["quote"] for c in answer.get("citations", [])}
    claims = split_claims(answer.get("answer", ""))
    supported = pairs = supporting = 0
    for claim in claims:
        cited = [quotes[n] for n in claim.markers if n in quotes]
        verdicts = [supports(q, claim.text, aliases, similarity) for q in cited]
        pairs += len(claim.markers)
        supporting += sum(verdicts)
        # ALCE recall judges the cited passages together.
        if any(verdicts) or (
            len(cited) > 1 and supports(" ".join(cited), claim.text, aliases, similarity)
        ):
            supported += 1
    return CitationScores(len(claims), supported, pairs, supporting)


def citation_problems(
    answer: Mapping[str, Any],
    article_text: Callable[[str], str | None],
    schema: Mapping[str, Any] | None = None,
) -> list[str]:
    """Breaches of the contract's citation rules in one Answer JSON (empty when valid)."""
    problems: list[str] = []
    if schema is not None:
        import jsonschema

        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(answer), key=str)
        problems += [f"schema: {e.message}" for e in errors[:3]]
        if errors:
            return problems
    citations = answer.get("citations", [])
    # A refusal may say, cited, what the articles do say (DESIGN.md): same rules.
    used = {int(n) for n in MARKER.findall(answer.get("answer", ""))}
    numbers = [c["n"] for c in citations]
    if len(numbers) != len(set(numbers)):
        problems.append("two citations share a number")
    for n in sorted(used - set(numbers)):
        problems.append(f"[{n}] has no citation")
    for n in sorted(set(numbers) - used):
        problems.append(f"citation {n} is not used in the answer")
    for c in citations:
        text = article_text(c["article_id"])
        if text is None:
            problems.append(f"citation {c['n']}: article {c['article_id']!r} is not in the index")
        elif text[c["char_start"] : c["char_end"]] != c["quote"]:
            problems.append(f"citation {c['n']}: quote differs from the article at its offsets")
        if not c["chunk_id"].startswith(f"{c['article_id']}#"):
            problems.append(f"citation {c['n']}: chunk_id is not of its article")
    return problems


# -- aggregates -------------------------------------------------------------------------------


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def paired_bootstrap(
    baseline: Sequence[float], other: Sequence[float], resamples: int = 2000, seed: int = 7
) -> tuple[float, float, float]:
    """Mean of `other - baseline` over the same questions, with a 95 % bootstrap interval.

    Resampling questions (not configurations) keeps each pair together, so the interval
    says whether a difference between two configurations is more than which questions
    happened to be in the gold set.
    """
    a, b = np.asarray(baseline, dtype=float), np.asarray(other, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("paired_bootstrap needs two equally long, non-empty samples")
    differences = b - a
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, differences.size, size=(resamples, differences.size))
    means = differences[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(differences.mean()), float(low), float(high)


def question_overlap(question: str, article_texts: Sequence[str]) -> float | None:
    """Share of the question's content words (question words aside) found in its articles.

    A gold-set diagnostic: questions that reuse their article's words are easy for BM25
    and flatter every system; real users paraphrase more.
    """
    from rag.terms import QUESTION_WORDS

    asked = set(content_stems(question, extra_stop=QUESTION_WORDS))
    if not asked or not article_texts:
        return None
    present: set[str] = set()
    for text in article_texts:
        present |= set(content_stems(text))
    return len(asked & present) / len(asked)


def answer_words(answer: str) -> int:
    """Words in an answer, citation markers ("[1]") aside."""
    return len(re.findall(r"[\w'’-]+", re.sub(r"\[\d+\]", " ", answer)))
