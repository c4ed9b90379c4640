"""Who a sentence reports: the answerer's view of `rag.speech`, the shared analysis of
speakers (used by the citation checker too).

Scoring every candidate sentence needs a cheap test, so `said_by` is a quick pattern
check used only to rank; the decision whether a sentence really reports the question's
speaker (`speaks_for`) is `rag.speech.attributions`, run on the few sentences the
answerability stage looks at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag import speech
from rag.answer.mentions import mentions

_SPEECH = re.compile(
    r"\b(said|says|say|told|tells|telling|claimed|claims|added|adds|argued|argues|stated|"
    r"states|warned|warns|insisted|insists|believes|believed|described|describes|explained|"
    r"explains|announced|announces|according to|urged|urges|suggested|suggests|noted|notes|"
    r"asked|asks|called|calls|wrote|writes|predicted|predicts|admitted|admits|denied|denies|"
    r"confirmed|confirms|signalled|indicated|emphasised|emphasized|quoted)\b",
    re.IGNORECASE,
)
_PRONOUN_SPEAKER = re.compile(
    r"\b(he|she|they|it)\s+(said|says|told|added|claimed|warned)\b|"
    r"\b(said|says|added)\s+(he|she)\b",
    re.IGNORECASE,
)


def reports_speech(sentence: str) -> bool:
    """Whether the sentence reports someone speaking, or is a quotation."""
    return bool(_SPEECH.search(sentence)) or sentence.lstrip().startswith(("“", '"'))


def names_speaker(sentence: str) -> bool:
    """Whether the sentence reports speech by a named speaker (not "she said")."""
    return bool(_SPEECH.search(sentence)) and not _PRONOUN_SPEAKER.search(sentence)


def points_back(sentence: str) -> bool:
    """Whether the sentence's speaker is given earlier ("she said", or a bare quote)."""
    return bool(_PRONOUN_SPEAKER.search(sentence)) or sentence.lstrip().startswith(("“", '"'))


def quotes(sentence: str) -> bool:
    """Whether the sentence holds someone's own quoted words."""
    return bool(re.search(r"[“\"]", sentence))


def said_by(speaker: str, sentence: str, before: str, attribution: str) -> float:
    """1.0 when the sentence reports `speaker` speaking (named in it, or "she said" / a
    quote after a sentence that names them), 0.5 when it only names them, else 0.0."""
    named_here = mentions(sentence, speaker)
    named_before = (mentions(before, speaker) or mentions(attribution, speaker)) and points_back(
        sentence
    )
    if reports_speech(sentence) and (named_here or named_before):
        return 1.0
    return 0.5 if named_here or named_before else 0.0


def speaks_for(speaker: str, sentences: Sequence[str], i: int) -> bool | None:
    """Whether sentence i of a passage reports `speaker` (True), reports somebody else
    by name (False), or reports no named speaker (None), by `rag.speech`."""
    named = [a.speaker for a in speech.attributions(sentences, i) if a.speaker]
    if not named:
        return None
    return any(speech.same_entity(speaker, other) or mentions(other, speaker) for other in named)
