"""Composition: the chosen sentences as a cited answer, and refusals.

An answer is the best grounded sentence, plus a sentence only when it grounds a part of
the question the first lacks (the date, count or name asked for, or the speaker's own
words), or says who "she" / "the boat" of the first sentence is. No topical padding.

A refusal says the articles don't say first. When the best sentence is about the
question's subject (the speaker is quoted, or its names are there) but lacks what was
asked, the refusal goes on to say, cited, what the articles do say.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rag import lexicon
from rag.answer.candidates import Candidate, adjacent, sentence_stems, stem_found
from rag.answer.question import ASKED_KINDS, QuestionInfo
from rag.answer.weights import Weights
from rag.types import Answer, Citation

_BRACKETED_NUMBER = re.compile(r"\[(\d+)\]")


@lru_cache(maxsize=1)
def _anaphor() -> re.Pattern[str]:
    nouns = "|".join(sorted(lexicon.words("anaphor_nouns")))
    return re.compile(
        r"^\W*(?i:he|she|they|it|his|her|their|its|this|these|those|"
        rf"the (?:[\w-]+ ){{0,2}}(?:{nouns}))\b(?!,? [A-Z])"
    )


def leans_back(sentence: str) -> bool:
    """Whether the sentence opens with a pronoun or "the boat"-like phrase whose referent
    was named before it."""
    return bool(_anaphor().match(sentence))


def words_of(chosen: Sequence[Candidate]) -> int:
    """How many words the chosen sentences make together."""
    return sum(len(c.text.split()) for c in chosen)


def select(info: QuestionInfo, ranked: Sequence[Candidate], w: Weights) -> list[Candidate]:
    """The best sentence, then only sentences that ground what it lacks."""
    best = ranked[0]
    chosen = [best]
    same = [c for c in ranked[1:] if c.article_id == best.article_id]
    worthy = [c for c in same if c.score >= w.needed_ratio * best.score]
    full_quote = w.speech_named + w.speech_quote - 1e-9
    if info.speaker and best.speech < full_quote:
        # "What did X say": X's own words, when the best sentence only reports them
        quote = next((c for c in worthy if c.speech >= full_quote), None)
        if quote is not None:
            chosen.append(quote)
    if info.asks in ASKED_KINDS or info.asks == "thing":
        # the date, count or name asked for (or the thing "what X" names), when the best
        # sentence lacks it or another holds it more surely (beside the noun asked for)
        fillers = [c for c in worthy if c.kind >= max(best.kind, 0.99) + 0.01 and c not in chosen]
        if fillers:  # the surest filler of the slot first, then the best scored
            chosen.append(max(fillers, key=lambda c: (c.kind, c.score)))
    following = adjacent(ranked, best, after=True)
    elaborates = (
        following is not None
        and following not in chosen
        and (info.asks is None or best.kind < 1.0 or (best.kind < 1.1 and following.kind >= 1.0))
        and following.score >= w.following_ratio * best.score
    )
    # News leads restate the question; the detail or the quote usually follows: a second
    # sentence is due when nothing particular is asked, or the best sentence lacks it or
    # holds it only loosely (a name, not the name beside the noun asked for). It goes to
    # the best scored of that following sentence and the runner-ups of the same story
    # scoring nearly as well as the best (`close_ratio`), which often hold the fact
    # the lead only frames; further runner-ups join only within the word budget.
    close = [c for c in same if c.score >= w.close_ratio * best.score and c not in chosen]
    if elaborates and following is not None and following not in close:
        close.append(following)
    # when a kind of thing is asked (a date, a count), the sentences holding it come first
    extras = sorted(close, key=lambda c: (-min(c.kind, 1.0) if info.asks else 0.0, -c.score))
    for c in extras:
        if len(chosen) >= w.max_sentences:
            break
        if elaborates or words_of([*chosen, c]) <= w.word_budget:
            chosen.append(c)
            elaborates = False
    if leans_back(best.text):
        before = adjacent(ranked, best, after=False)
        if before is not None and before not in chosen:
            chosen.insert(1, before)
    have = set().union(*(sentence_stems(c.text) for c in chosen))
    lacking = [s for s in info.stems if not stem_found(s, have)]
    if len(chosen) == 1 and len(lacking) >= w.runner_up_lacking * len(info.stems):
        # the best sentence holds under half of the question's words ("… and how much did
        # it raise?"): a close runner-up of the same story that holds some of the rest
        for c in same:
            if c.score < w.runner_up_ratio * best.score:
                break
            if any(stem_found(s, sentence_stems(c.text)) for s in lacking):
                chosen.append(c)
                break
    return chosen[: w.max_sentences]


def refusal(question: str, standalone: str | None = None) -> Answer:
    """The plain refusal: nothing relevant was found; no citations."""
    topic = (standalone or question).strip().rstrip("?")
    return Answer(
        question=question,
        answer=f"The indexed articles don't say. I found nothing that answers: “{topic}?”",
        citations=(),
        refused=True,
        mode="extractive",
        condensed_question=standalone,
    )


def explained_refusal(
    question: str,
    info: QuestionInfo,
    closest: Candidate,
    missing: Sequence[str],
    standalone: str | None = None,
) -> Answer:
    """A refusal that says what is missing, then what the articles do say, cited."""
    lacking = _listed(missing)
    if info.speaker:
        topic = info.topic_text or lacking
        head = f"The articles don't say what {info.speaker} said about {topic}."
        lead = f"{_surname(info.speaker)} is quoted saying:"
    else:
        head = f"The articles don't say: they don't mention {lacking} in this connection."
        lead = "The closest they come:"
    cited = compose(question, [closest], standalone)
    return Answer(
        question=question,
        answer=f"{head} {lead} {cited.answer}",
        citations=cited.citations,
        refused=True,
        mode="extractive",
        condensed_question=standalone,
    )


def _surname(name: str) -> str:
    parts = name.split()
    return parts[-1] if parts and parts[0][:1].isupper() else name[:1].upper() + name[1:]


def _listed(parts: Sequence[str]) -> str:
    quoted = [f"“{p}”" for p in dict.fromkeys(parts)]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def compose(question: str, chosen: Sequence[Candidate], standalone: str | None) -> Answer:
    """Number the chosen sentences in reading order; adjacent ones share one citation."""
    ordered = sorted(chosen, key=lambda c: (-_best_rank(c, chosen), c.start))
    groups: list[list[Candidate]] = []
    for c in ordered:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and last.hit.chunk.chunk_id == c.hit.chunk.chunk_id
            and 0 <= c.start - last.end <= 3
        ):
            groups[-1].append(c)
        else:
            groups.append([c])
    parts: list[str] = []
    citations: list[Citation] = []
    for n, group in enumerate(groups, start=1):
        first, last = group[0], group[-1]
        chunk = first.hit.chunk
        quote = chunk.text[first.start - chunk.char_start : last.end - chunk.char_start]
        text = " ".join(" ".join(c.text.split()) for c in group)
        # A bracketed number in the article ("4 billion [3]") would read as a citation
        # marker; in the answer text it becomes "(3)". The quote stays verbatim.
        text = _BRACKETED_NUMBER.sub(r"(\1)", text)
        parts.append(f"{text} [{n}]")
        citations.append(
            Citation(
                n=n,
                chunk_id=chunk.chunk_id,
                article_id=chunk.article_id,
                title=chunk.title,
                published=chunk.published,
                source=chunk.source,
                quote=quote,
                char_start=first.start,
                char_end=first.start + len(quote),
                score=max(c.score for c in group),
                verified=True,
            )
        )
    return Answer(
        question=question,
        answer=" ".join(parts),
        citations=tuple(citations),
        refused=False,
        mode="extractive",
        condensed_question=standalone,
    )


def _best_rank(c: Candidate, chosen: Sequence[Candidate]) -> float:
    """Group sentences by article, articles in order of their best sentence."""
    return max(o.score for o in chosen if o.article_id == c.article_id)
