"""Answerability: may the chosen sentence be given as the answer?

Two checks, both needed:

- **support**: a score of how well the best sentences answer the question (coverage,
  names, similarity, and whether one holds the kind of thing asked for), compared with
  `Weights.refuse_below`;
- **grounding**: every required part of the question is found in the chosen sentence or
  its attribution context (the sentence before it, the sentence that names the speaker,
  the title; for names, numbers and dates also the article's other retrieved passages):
  the speaker of "what did X say", labelled names with their number ("Article 6" is not
  "Article 5"), other names ("Nato" is "NATO"), numbers ("three decades" is "30 years"),
  dates ("the 10th century" is "the 900s"), the topic Y of "what did X say about Y" and
  the question's common words (by stem, compound, or MiniLM similarity of the words above
  `Weights.ground_similarity`). A part that is missing means a refusal; so is one the
  best sentences state otherwise (`rag.answer.relation`: parties swapped, event denied,
  figure or name changed, no price asked for, the question's verb nowhere beside them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag import clauses, lexicon
from rag.answer import speakers
from rag.answer.candidates import Candidate, adjacent, sentence_stems, speaks_here, stem_found
from rag.answer.meaning import Meaning, close_in_meaning
from rag.answer.mentions import mentions
from rag.answer.normal import (
    date_spans,
    has_labelled,
    quantities,
    same_quantity,
    spans_agree,
)
from rag.answer.question import ASKED_KINDS, QuestionInfo, speaker_name
from rag.answer.relation import age_stated, bound_met, contradictions
from rag.answer.roles import question_verb, reversed_roles
from rag.answer.slots import unnamed
from rag.answer.weights import Weights
from rag.speech import _canonical_stem as canonical
from rag.speech import _stem as speech_stem
from rag.terms import QUESTION_WORDS, STOPWORDS, content_stems, stem, words


def asked_words(info: QuestionInfo) -> frozenset[str]:
    """Words that shape the question rather than state what must be found: the noun of
    "what date" / "which country" / "what proportion" (the answer supplies it), and the
    verbs and nouns of asking what someone said ("respond", "view", "warning")."""
    out = set(lexicon.words("question_speech_verbs") | lexicon.words("opinion_nouns"))
    match = re.search(r"\b(?:what|which|whose|how)\s+([a-z]+)", info.text.lower())
    if match:
        out.add(match.group(1))
    return frozenset(out)


def support(
    info: QuestionInfo,
    ranked: Sequence[Candidate],
    w: Weights,
    meaning: Meaning | None = None,
) -> float:
    """How well the best sentences answer the question, on a 0–1-ish scale.

    When the question asks for a kind of thing (a date, a number, a name), only a
    sentence that holds one can carry full support; the best of the top few does.
    With `meaning`, a reworded question's common words count as covered by words of
    like meaning (`support_soft`).
    """

    def of(c: Candidate) -> float:
        value = w.support_window * c.window + w.support_lexical * c.lexical
        value += w.support_entity * c.entity + w.support_semantic * max(c.semantic, 0.0)
        if meaning is not None and w.support_soft:
            value += w.support_soft * max(meaning.coverage(c) - c.window, 0.0)
        if info.speaker:
            value += w.support_speech * (min(c.speech, 1.0) - 0.5)
        if c.kind > 1.0:
            value += w.direct_bonus  # "69 asylum seekers", "the hotel du Palais"
        return value

    if info.asks in ASKED_KINDS:
        filled = [of(c) for c in ranked[: w.slot_pool] if c.kind >= 1.0]
        if unnamed(info, ranked) and not any(c.kind > 1.0 for c in ranked[: w.slot_pool]):
            # The best sentence speaks of "a gunman" and names none: the article does
            # not know the name, and a name elsewhere is somebody else's.
            return min([of(ranked[0]), *filled]) - w.unnamed_penalty
        if filled:
            return max(filled)
        return of(ranked[0]) - (w.slot_penalty if info.asks == "reason" else w.missing_penalty)
    return of(ranked[0])


_NOUN_NEGATION = re.compile(
    r"\b(?:with\s+no|without)\s+[\w'’\-]+(?:\s+[a-z][\w\-]*){0,2}"
    # "Labour's decision not to return", "its pledge not to raise fees": the negation
    # belongs to the noun before it
    r"|(?:['’]s|\b(?:the|its|their|his|her|a|an))\s+[a-z]+\s+not\s+to\s+[a-z]+"
)


@dataclass(frozen=True, slots=True)
class Grounding:
    """Which parts of the question a candidate grounds."""

    missing: tuple[str, ...]
    grounded: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


_DETERMINERS = frozenset("a an the this that these those its his her their our my your".split())


@functools.cache
def _light_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in lexicon.words("light_verbs"))


def _light(verb: str) -> bool:
    """Whether a verb is a light verb in any form ("using" as "use")."""
    return stem(verb.lower()) in _light_stems()


@functools.cache
def _irregular() -> frozenset[str]:
    """Both forms of the irregular verbs ("drive", "drove")."""
    return frozenset(w for pair in lexicon.pairs("irregular_verbs") for w in pair)


class Grounder:
    """Grounds a question's parts in candidate sentences. `embed` gives MiniLM vectors
    of words (cached by the answerer), for common words no stem matches."""

    def __init__(
        self,
        info: QuestionInfo,
        ranked: Sequence[Candidate],
        idf: Callable[[str], float],
        embed: Callable[[list[str]], np.ndarray],
        w: Weights,
    ) -> None:
        self.info = info
        self.idf = idf
        self.embed = embed
        self.w = w
        self.ranked = ranked
        # the best sentences say who did it to whom the other way round
        self.reversed = any(reversed_roles(info.text, c.text) for c in ranked[: w.ground_pool])
        self.contradicted = contradictions(info, [c.text for c in ranked[: w.ground_pool]])
        self._stem_cache: dict[str, set[str]] = {}
        # the question's verb must be beside one of the best sentences (not only somewhere
        # in the story); which of them answers is left to the ranking
        verb = None if info.speaker else question_verb(info.text)
        if verb is not None and _light(verb):
            verb = None  # "are they using", "will it make": no meaning of its own to find
        best = ranked[: w.ground_pool]
        self.verb_missing = verb if verb and not any(self.verb_here(verb, c) for c in best) else ""
        # "in places with no electricity", "without a licence": the negation describes a
        # noun of the question, it does not deny its event
        self.negated = info.negated and clauses.negated(_NOUN_NEGATION.sub(" ", info.text))
        self.articles: dict[str, str] = {}
        for c in ranked:
            chunk = c.hit.chunk
            known = self.articles.get(chunk.article_id, f"{chunk.title}\n")
            if chunk.text not in known:
                self.articles[chunk.article_id] = f"{known}\n{chunk.text}"
        self.published = {c.article_id: c.hit.chunk.published or "" for c in ranked}
        speaker_stems = set(content_stems(info.speaker or ""))
        name_stems = {stem(p) for e in (*info.entities, *info.labelled) for p in words(e)}
        shaping = asked_words(info)
        self.words = {  # the question's common words, stem → as written
            stem(x.lower()): x.lower().removesuffix("'s").removesuffix("’s")
            for x in words(info.text)
            if x.lower() not in STOPWORDS
            and x.lower() not in QUESTION_WORDS
            and x.lower() not in shaping
            and x[:1].islower()
            and not x.isdigit()
            and stem(x.lower()) not in speaker_stems | name_stems
        }

    def ground(self, c: Candidate) -> Grounding:
        info = self.info
        missing: list[str] = []
        grounded: list[str] = []
        near = self.near(c)
        article = self.articles.get(c.article_id, near)
        if info.speaker and info.speaker_required:
            (grounded if self.speaks(c) else missing).append(info.speaker)
        if (
            self.negated
            and info.asks != "reason"
            and not (clauses.negated(c.text) or clauses.negated(c.context))
        ):
            missing.append("not")  # "who did not win": the sentence says who won
        if self.reversed or reversed_roles(info.text, near):  # it, its neighbours, the best
            missing.append("who did it to whom")
        missing.extend(self.contradicted)
        if self.verb_missing:
            missing.append(self.verb_missing)  # "Why was X removed": X was only tried
        for label in info.labelled:
            # What X said about "Article 6" must be in X's words; elsewhere in the article.
            where = self.own_words(c) if info.speaker_required else article
            (grounded if has_labelled(where, label) else missing).append(label)
        for name in (*info.names, *info.role_names):
            (grounded if mentions(article, name) else missing).append(name)
        stated = quantities(article)
        for q in info.quantities:
            ok = any(same_quantity(q, s) for s in stated) or bound_met(info.text, q, stated)
            ok = ok or age_stated(q, info.text, article)
            (grounded if ok else missing).append(q.text)
        if info.dates:
            spans = date_spans(article)
            year = self.published.get(c.article_id, "")[:4]
            if year.isdigit():
                spans.append((int(year), int(year)))
            for asked in date_spans(info.text):
                ok = any(spans_agree(asked, s) for s in spans)
                first, last = asked
                shown = str(first) if first == last else f"{first}–{last}"
                (grounded if ok else missing).append(shown)
        share, unmatched = self.common_words(c, info.speaker_required)
        if share < (self.w.topic_grounded if info.speaker_required else self.w.ground_share):
            missing.extend(unmatched)
        return Grounding(tuple(missing), tuple(grounded))

    def verb_here(self, verb: str, c: Candidate) -> bool:
        """Whether the verb is in the sentence or the words around it (the one before and
        after, the title): by stem, a synonym's ("backing" / "support"), or a word MiniLM
        puts close to it."""
        near = self.near(c)
        stems = self._stems(near)
        if stem_found(stem(verb), stems) or speech_stem(verb) in {canonical(s) for s in stems}:
            return True
        return bool(self.similar_words([stem(verb)], [verb], near))

    @staticmethod
    def own_words(c: Candidate) -> str:
        """The speaker's words around a sentence: the sentence, and the one before it when
        this one only continues it ("she said", a bare quote)."""
        return f"{c.context}\n{c.text}" if speakers.points_back(c.text) else c.text

    def speaks(self, c: Candidate) -> bool:
        """Whether the sentence reports the question's speaker: by `rag.speech` when it
        names who speaks (directly, "she said", or a quote after the introduction); when
        it names nobody, a sentence that names the speaker or reports speech in a passage
        that does. A speaker the question describes without a name ("the monarch", "the
        boss of the firm") is any speaker whose description shares a word, by stem or
        meaning, with the sentence or the one before it."""
        speaker = speaker_name(self.info.speaker or "")
        if not any(x[:1].isupper() for x in words(speaker)):
            return self.described_speaks(c, speaker)
        chunk = c.hit.chunk
        verdict = speaks_here(speaker, c)
        if verdict is not None and (verdict or not mentions(c.text, speaker)):
            return verdict
        said = speakers.said_by(speaker, c.text, c.context, c.attribution)
        # a sentence that only names X ("X was ruled out with an injury") is not X speaking
        return said >= 1.0 or (speakers.reports_speech(c.text) and mentions(chunk.text, speaker))

    def described_speaks(self, c: Candidate, description: str) -> bool:
        """Whether a sentence reporting speech (or the quote it continues) is by someone
        the sentence, the one before it or the title describes as `description` does."""
        if not (speakers.reports_speech(c.text) or speakers.points_back(c.text)):
            return False
        described = [
            x.lower() for x in words(description) if x.lower() not in STOPWORDS and len(x) > 2
        ]
        if not described:
            return True
        text = f"{c.hit.chunk.title}\n{c.attribution}\n{c.context}\n{c.text}"
        stems = [stem(x) for x in described]
        have = self._stems(text)
        if any(stem_found(s, have) for s in stems):
            return True
        return bool(self.similar_words(stems, described, text))

    def near(self, c: Candidate) -> str:
        """The sentence with what frames it: the title, the sentence naming the speaker,
        the sentence before and the one after (when retrieved)."""
        following = adjacent(self.ranked, c, after=True)
        after = following.text if following is not None else ""
        return f"{c.hit.chunk.title}\n{c.attribution}\n{c.context}\n{c.text}\n{after}"

    def common_words(self, c: Candidate, topic_only: bool) -> tuple[float, list[str]]:
        """The IDF-weighted share of the question's common words that the candidate's
        article grounds, and the words it does not. The words may be anywhere in the
        article's retrieved passages: an extractive answer quotes one sentence of a story
        that states the rest around it. For "what did X say about Y" only Y's words count,
        and only in the passage that quotes X: Y elsewhere in the story is another topic
        the article pairs with somebody else."""
        info = self.info
        wanted = {s: x for s, x in self.words.items() if not topic_only or s in info.topic}
        if not wanted:
            return 1.0, []
        text = self.articles.get(c.article_id, f"{c.hit.chunk.title}\n{c.hit.chunk.text}")
        if topic_only:
            # Y must be in the passage that quotes X, not only somewhere in the story
            # (X's own sentence alone is too narrow: "he added" quotes stand apart)
            text = f"{c.hit.chunk.title}\n{c.hit.chunk.text}"
        around = self._stems(text)
        weight = {s: self.idf(s) * (self.w.relation if s == info.relation else 1.0) for s in wanted}
        total = sum(weight.values()) or 1.0
        threshold = self.w.topic_grounded if topic_only else self.w.ground_share
        unmatched = [s for s in wanted if not stem_found(s, around)]
        if 1.0 - sum(weight[s] for s in unmatched) / total >= threshold:
            return 1.0 - sum(weight[s] for s in unmatched) / total, []
        # Y's words by meaning must be closer than the rest: a word of the same field
        # ("spending" for "debt") is another topic of the same story
        # (a verb of Y, "being given the award", "wanted to drive", keeps the usual
        # closeness: the event may be told in other words, the thing must be named)
        strict = [s for s in unmatched if topic_only and not self.verb_like(wanted[s])]
        similar = self.similar([s for s in unmatched if s not in strict], text, None)
        similar |= self.similar(strict, text, self.w.topic_similarity)
        lost = [s for s in unmatched if s not in similar]
        return 1.0 - sum(weight[s] for s in lost) / total, [wanted[s] for s in lost]

    def verb_like(self, word: str) -> bool:
        """Whether a word of the question reads as a verb: a light or irregular verb, an
        -ed or -ing form, or after "to" ("wanted to drive")."""
        lower = word.lower()
        if lower in lexicon.words("light_verbs") or lower in _irregular():
            return True
        if lower.endswith(("ed", "ing")) and len(lower) > 5:
            # "the first meeting", "a revived firm": after a determiner it names a thing
            before = re.search(rf"(\w+)\s+(?:\w+\s+)?{re.escape(lower)}\b", self.info.text, re.I)
            return before is None or before.group(1).lower() not in _DETERMINERS
        return bool(re.search(rf"\bto\s+{re.escape(lower)}\b", self.info.text, re.IGNORECASE))

    def _stems(self, text: str) -> set[str]:
        found = self._stem_cache.get(text)
        if found is None:
            found = sentence_stems(text)
            # "break-up" holds "break", "long-term" holds "term"
            for compound in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)+", text):
                found |= set(content_stems(compound.replace("-", " ")))
            self._stem_cache[text] = found
        return found

    def similar(self, unmatched: list[str], text: str, closeness: float | None) -> set[str]:
        """Question stems that some word of the text means nearly the same as (MiniLM
        cosine at or above `closeness`, by default `ground_similarity`)."""
        asked = [self.words[s] for s in unmatched]
        return self.similar_words(unmatched, asked, text, closeness)

    def similar_words(
        self, stems: list[str], asked: list[str], text: str, closeness: float | None = None
    ) -> set[str]:
        """The `stems` (written `asked`) that some word of the text means nearly (MiniLM),
        at `closeness` or by default `ground_similarity`."""
        own = list(
            dict.fromkeys(
                x.lower()
                for x in words(text)
                if x.lower() not in STOPWORDS and not x.isdigit() and len(x) > 2
            )
        )
        threshold = self.w.ground_similarity if closeness is None else closeness
        return close_in_meaning(stems, asked, own, self.embed, threshold)
