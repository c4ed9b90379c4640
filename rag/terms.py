"""Words, stems and named entities: the shared vocabulary of BM25, the answerer and the checker."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*[A-Za-z0-9]|[A-Za-z0-9]")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can could couldn't did didn't do does doesn't doing
    don't down during each few for from further had hadn't has hasn't have haven't having he he'd
    he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in
    into is isn't it it's its itself let's me more most mustn't my myself no nor not of off on
    once only or other ought our ours ourselves out over own same shan't she she'd she'll she's
    should shouldn't so some such than that that's the their theirs them themselves then there
    there's these they they'd they'll they're they've this those through to too under until up
    very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's
    which while who who's whom why why's with won't would wouldn't you you'd you'll you're you've
    your yours yourself yourselves will may might must shall us one ones also just according
    said say says saying tell told does did mr mrs ms dr""".split()
)
# Words that only shape a question; they say nothing about its subject.
QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how many much long far old kind sort type
    happened happen happens did do does tell describe explain give name list mention mentioned
    reported report reportedly according article articles news story stories
    think view views position opinion stance comment comments""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(word.lower().replace("’", "'")))  # type: ignore[attr-defined]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where each of `words(text)` stands in `text`."""
    return [m.span() for m in _WORD.finditer(text)]


def content_stems(text: str, extra_stop: frozenset[str] = frozenset()) -> list[str]:
    """Stems of the words that carry meaning (no stopwords), in order, with repeats."""
    out = []
    for word in words(text):
        lower = word.lower().replace("’", "'")
        if lower in STOPWORDS or lower in extra_stop:
            continue
        if lower.endswith("'s"):
            lower = lower[:-2]
        out.append(stem(lower))
    return out


# a name word: capitalised ("Kallas"), all capitals ("NATO"), or capitals with figures
# ("U2", "G8", "A380", "MP3"; tried first, so that "MP3" is not cut to "MP")
_FIGURED = r"[A-Z][A-Za-z]*\d[A-Za-z\d]*"
NAME_WITH_FIGURES = re.compile(_FIGURED)  # match with fullmatch: "U2" is a name all the same
_NAME_WORD = rf"(?:{_FIGURED}\b|[A-Z][a-zA-Z'’\-]+|[A-Z]{{2,}})"
_NAME = re.compile(rf"\b{_NAME_WORD}(?:\s+(?:of|de|van|von|al|bin|the|and)?\s*{_NAME_WORD})*")
_NUMBER = re.compile(r"\b\d[\d,.:]*\b")


def entities(text: str) -> list[str]:
    """Capitalised phrases and numbers: names, places, organisations, figures.

    The first word of the text is kept only when it is not a common word (so
    "Kallas said" keeps "Kallas", "What did" keeps nothing).
    """
    found: list[str] = []
    for match in _NAME.finditer(text):
        phrase = match.group().strip()
        parts = phrase.split()
        # drop leading common words ("What", "The", "How") that are capitalised by position
        while parts and (parts[0].lower() in STOPWORDS or parts[0].lower() in QUESTION_WORDS):
            parts = parts[1:]
        while parts and parts[-1].lower() in {"of", "de", "van", "von", "al", "bin", "the", "and"}:
            parts = parts[:-1]
        if parts:
            found.append(" ".join(parts))
    found.extend(m.group() for m in _NUMBER.finditer(text))
    return found
