"""Who a sentence reports: the answerer's view of `rag.speech`, the shared analysis of
speakers (used by the citation checker too).

Until `rag.speech` lands this module keeps the answerer's former patterns; it is the one
place that changes when it does.
"""

from __future__ import annotations

import re

from rag.answer.mentions import mentions

_SPEECH = re.compile(
    r"\b(said|says|say|told|tells|telling|claimed|claims|added|adds|argued|argues|stated|"
    r"states|warned|warns|insisted|insists|believes|believed|described|describes|explained|"
    r"explains|announced|announces|according to|urged|urges|suggested|suggests|noted|notes|"
    r"asked|asks|called|calls|wrote|writes|predicted|predicts|admitted|admits|denied|denies|"
    r"confirmed|confirms|signalled|indicated|emphasised|emphasized)\b",
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


def same_entity(a: str, b: str) -> bool:
    """Whether two names name the same one ("Kallas" and "Kaja Kallas"; "Nato", "NATO")."""
    return mentions(a, b) or mentions(b, a)
