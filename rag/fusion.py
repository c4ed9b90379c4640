"""How the retriever's rankings become one, as a pure function: a blend of normalised
scores (the default) or reciprocal rank fusion.

The retriever gathers its signals for a question (`Signals`: the passages nearest its
vector, the passages BM25 ranks best, the articles BM25 over whole articles and the
articles' mean vectors rank best) and `fuse` turns them into one score per passage,
with the weights of `rag.weights.RetrievalWeights`. Kept apart from the searching so
that `python -m evals.retrieval_fit` can gather each gold question's signals once and
fuse them again for every point of a weight grid, exactly as the retriever would.

Fusion, per passage: `vector / (rrf_k + its vector rank)` + `1 / (rrf_k + its BM25
rank)` + `article / (rrf_k + its article's rank)`, the article rank being BM25 over
whole articles fused with the mean-vector ranking (`article_vector` against BM25's 1,
by reciprocal rank with the constant `RRF_K`).
The best `article_bring` articles with no passage among the candidates bring in their
passage nearest the question, scored as the weakest candidate plus its article's share.
`vector_slot` and `article_vector_slot` keep each meaning signal's first choice near the
top: the passage nearest the question, and the passage nearest it in the article whose
mean vector is nearest, rank no lower than their slot. A reworded question shares few
words with its article, and in rank fusion any passage that shares one rare word with
it outranks a passage found by meaning alone, however close; a slot lets the strongest
meaning match reach the passages the answerer reads without reordering the first places.

The blend (`blend` 1, the default since issue 14's retrieval round) reads the scores
behind the rankings instead of their ranks. Per candidate passage:
`blend_keyword` × its BM25 / the best candidate's + `blend_vector` × its cosine, min-max
scaled over the candidates + `blend_article` × its article's score, the article score
being `blend_article_keyword` × the article's BM25 / the best article's + the rest ×
its mean vector's cosine, min-max scaled over all articles. The best `article_bring`
articles by that score with no passage among the candidates bring their passage nearest
the question. Rank fusion throws away how far ahead a first place is: a passage that
shares one rare word with the question gains as much from its keyword rank as one that
shares five, and the article nearest in meaning by a wide margin gains no more than one
nearest by a hair. Scaled scores keep those margins (measured: README, "How retrieval
ranks").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from rag.weights import RetrievalWeights

RRF_K = 60  # within the article ranking, and the default of `rrf_k`
ARTICLE_POOL = 10  # articles ranked per question, per article signal


@dataclass(frozen=True, slots=True)
class Signals:
    """One question's rankings, best first: passage ids (`vector`, `keyword`) and article
    ids (`article_bm25`, `article_vector`); `article_of` maps every passage id named here
    to its article."""

    vector: tuple[str, ...]
    keyword: tuple[str, ...]
    article_bm25: tuple[str, ...]
    article_vector: tuple[str, ...]
    article_of: Mapping[str, str]
    # The scores behind the rankings, for the blend (empty: rank fusion only). Passages:
    # BM25 (`keyword_score`, any passage the keyword search scored) and cosine to the
    # question (`vector_score`, every candidate and every `closest` passage). Articles,
    # already scaled to [0, 1]: BM25 over the best (`article_keyword_score`, every
    # article sharing a word with the question) and the mean vector's cosine min-max
    # scaled over all articles (`article_vector_score`: those articles, the candidates'
    # articles and the nearest few; any other article scores below all of these).
    keyword_score: Mapping[str, float] = field(default_factory=dict)
    vector_score: Mapping[str, float] = field(default_factory=dict)
    article_keyword_score: Mapping[str, float] = field(default_factory=dict)
    article_vector_score: Mapping[str, float] = field(default_factory=dict)
    # The passage nearest the question in each article scored above (for the bring).
    closest: Mapping[str, str] = field(default_factory=dict)

    @property
    def scored(self) -> bool:
        """Whether the scores the blend needs were gathered."""
        return bool(self.vector_score or self.keyword_score)


def rank_articles(
    bm25: Sequence[str], vector: Sequence[str], vector_weight: float, k: int = ARTICLE_POOL
) -> list[str]:
    """The two article rankings fused by reciprocal rank (vector's weight against BM25's 1);
    the best `k`."""
    fused: dict[str, float] = {}
    for rank, article_id in enumerate(bm25[:k], start=1):
        fused[article_id] = fused.get(article_id, 0.0) + 1.0 / (RRF_K + rank)
    for rank, article_id in enumerate(vector[:k], start=1):
        fused[article_id] = fused.get(article_id, 0.0) + vector_weight / (RRF_K + rank)
    return sorted(fused, key=lambda a: (-fused[a], a))[:k]


def add_articles(
    fused: dict[str, float],
    article_of: Mapping[str, str],
    ranked: Sequence[str],
    closest: Callable[[str], str | None],
    weight: float,
    bring: int,
    rrf_k: float = RRF_K,
) -> dict[str, str]:
    """Add the article ranking to the passage scores in `fused` (in place): each passage
    gains weight / (RRF_K + its article's rank); the best `bring` articles with no passage
    among the candidates bring their passage nearest the question (`closest`), scored as
    the weakest candidate plus its article's share. Returns the brought passages' articles
    (passage id → article id)."""
    if weight <= 0:
        return {}
    rank_of = {a: r for r, a in enumerate(ranked, start=1)}
    floor = min(fused.values(), default=0.0)
    for chunk_id in list(fused):
        article = article_of[chunk_id]
        if article in rank_of:
            fused[chunk_id] += weight / (rrf_k + rank_of[article])
    present = {article_of[c] for c in fused}
    brought: dict[str, str] = {}
    for article in ranked[:bring]:
        if article not in present:
            nearest = closest(article)
            if nearest is not None:
                fused[nearest] = floor + weight / (rrf_k + rank_of[article])
                brought[nearest] = article
    return brought


def lift_to(fused: dict[str, float], chunk_id: str, slot: int) -> None:
    """Raise one passage's score (in place) just enough that it ranks `slot` or better
    (1 = first); never lowers it."""
    if slot <= 0:
        return
    mine = fused.get(chunk_id, 0.0)
    ahead = sorted((s for c, s in fused.items() if c != chunk_id), reverse=True)
    if len(ahead) < slot or mine > ahead[slot - 1]:
        fused[chunk_id] = mine
        return
    below = ahead[slot - 1]  # the score now at `slot`: ours must pass it
    if slot == 1:
        fused[chunk_id] = below + abs(below) * 1e-6 + 1e-12
    else:
        above = ahead[slot - 2]
        fused[chunk_id] = (below + above) / 2 if above > below else below + 1e-12


def article_scores(signals: Signals, keyword_share: float) -> dict[str, float]:
    """Every scored article's blend of its scaled BM25 (`keyword_share`) and mean-vector
    cosine (the rest)."""
    ids = {*signals.article_keyword_score, *signals.article_vector_score}
    return {
        a: keyword_share * signals.article_keyword_score.get(a, 0.0)
        + (1.0 - keyword_share) * signals.article_vector_score.get(a, 0.0)
        for a in ids
    }


def blend(
    signals: Signals, weights: RetrievalWeights, closest: Callable[[str], str | None]
) -> tuple[dict[str, float], dict[str, str]]:
    """Every candidate passage's blended score (see the module's docstring), and the
    passages brought in by article evidence (passage id → article id)."""
    article_of = dict(signals.article_of)
    candidates = list(dict.fromkeys((*signals.vector, *signals.keyword)))
    by_article = article_scores(signals, weights.blend_article_keyword)
    present = {article_of[c] for c in candidates if c in article_of}
    brought: dict[str, str] = {}
    if weights.blend_article > 0:
        best = sorted(by_article, key=lambda a: (-by_article[a], a))
        for article in best[: weights.article_bring]:
            if article in present:
                continue
            nearest = signals.closest.get(article) or closest(article)
            if nearest is not None and nearest not in candidates:
                brought[nearest] = article
                article_of[nearest] = article
    cosines = [signals.vector_score[c] for c in candidates if c in signals.vector_score]
    low, high = (min(cosines), max(cosines)) if cosines else (0.0, 0.0)
    spread = high - low
    best_keyword = max((signals.keyword_score.get(c, 0.0) for c in candidates), default=0.0)
    fused: dict[str, float] = {}
    for chunk_id in (*candidates, *brought):
        score = 0.0
        if best_keyword > 0:
            score += weights.blend_keyword * signals.keyword_score.get(chunk_id, 0.0) / best_keyword
        if spread > 0 and chunk_id in signals.vector_score:
            scaled = max(0.0, (signals.vector_score[chunk_id] - low) / spread)
            score += weights.blend_vector * scaled
        score += weights.blend_article * by_article.get(article_of.get(chunk_id, ""), 0.0)
        fused[chunk_id] = score
    return fused, brought


def fuse(
    signals: Signals,
    weights: RetrievalWeights,
    closest: Callable[[str], str | None],
    articles: bool = True,
    vector_weight: float | None = None,
) -> tuple[dict[str, float], dict[str, str]]:
    """Every candidate passage's fused score, and the passages brought in by article
    evidence (passage id → article id: the caller fetches them). `articles` False: the
    passage rankings only; `vector_weight` overrides the weight of the vector ranking
    (1.0 when it is the only one). With `blend` on and the scores gathered, the hybrid
    search blends scaled scores instead (`blend`)."""
    if articles and weights.blend and signals.scored:
        return blend(signals, weights, closest)
    fused: dict[str, float] = {}
    rrf_k = weights.rrf_k
    weight = weights.vector if vector_weight is None else vector_weight
    for rank, chunk_id in enumerate(signals.vector, start=1):
        fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (rrf_k + rank)
    for rank, chunk_id in enumerate(signals.keyword, start=1):
        fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (rrf_k + rank)
    if not articles:
        return fused, {}
    article_of = dict(signals.article_of)
    ranked = rank_articles(signals.article_bm25, signals.article_vector, weights.article_vector)
    brought = add_articles(
        fused, article_of, ranked, closest, weights.article, weights.article_bring, rrf_k
    )
    # Each meaning signal's first choice keeps a place near the top (`vector_slot`,
    # `article_vector_slot`; 0: off): a reworded question's best meaning match is not
    # pushed out of the passages the answerer reads by keyword matches on one rare word.
    if signals.vector:
        lift_to(fused, signals.vector[0], weights.vector_slot)
    if signals.article_vector and weights.article_vector_slot > 0:
        first = signals.article_vector[0]
        nearest = next((c for c in signals.vector if article_of.get(c) == first), None)
        nearest = nearest or closest(first)
        if nearest is not None:
            if nearest not in fused:
                brought[nearest] = first
                fused[nearest] = 0.0
            lift_to(fused, nearest, weights.article_vector_slot)
    return fused, brought
