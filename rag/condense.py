"""Turn a follow-up question into a standalone one, using the conversation so far.

Offline, a follow-up that leans on the previous turn ("What did she say about Article 5?"
after "Who is Kaja Kallas?") gets the previous question's names put back: a personal
pronoun is replaced by the last person-like name, and a question with no names of its
own gets the previous topic appended. With an LLM configured, `llm.py` condenses instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.terms import entities
from rag.types import Turn

_PERSONAL = re.compile(r"\b(he|she|him|her|his|hers|they|them|their)\b", re.IGNORECASE)
_THING = re.compile(r"\b(it|its|this|that|there|these|those)\b", re.IGNORECASE)
_POSSESSIVE = {"his", "her", "hers", "their"}


def last_user_turns(history: Sequence[Turn], count: int = 2) -> list[str]:
    return [t.content for t in history if t.role == "user"][-count:]


def names_in(text: str) -> list[str]:
    return [e for e in entities(text) if not e.isdigit()]


def condense(question: str, history: Sequence[Turn]) -> str:
    """A standalone version of `question` (unchanged when it needs no context)."""
    previous = last_user_turns(history)
    if not previous:
        return question
    own = names_in(question)
    context_names: list[str] = []
    for text in reversed(previous):
        context_names = names_in(text)
        if context_names:
            break
    if not context_names:
        return question
    person = max(context_names, key=lambda n: (len(n.split()) > 1, len(n)))
    if _PERSONAL.search(question):
        def replace(match: re.Match[str]) -> str:
            word = match.group()
            return f"{person}'s" if word.lower() in _POSSESSIVE else person

        return _PERSONAL.sub(replace, question, count=1)
    if own and not _THING.search(question):
        return question
    topic = " ".join(n for n in context_names if n not in own)
    if not topic:
        return question
    base = question.rstrip().rstrip("?")
    return f"{base} ({topic})?"
