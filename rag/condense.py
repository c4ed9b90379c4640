"""Turn a follow-up question into a standalone one, using the conversation so far.

Offline, two moves, both conservative:
- a personal pronoun is replaced by a person named in the previous question
  ("Who is Kaja Kallas?" → "What did she say about Article 5?" becomes
  "What did Kaja Kallas say about Article 5?");
- otherwise, when the follow-up leans on context (a pronoun, "that", or no names of its
  own), the previous question is appended in parentheses as context. The answerer
  weighs the parenthesised context less than the question itself, so it steers
  retrieval to the right article without changing what is asked.
With an LLM configured, `llm.py` condenses instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag import lexicon
from rag.terms import entities
from rag.types import Turn

_PERSONAL = re.compile(r"\b(he|she|him|his|her|hers)\b", re.IGNORECASE)
_CONTEXTUAL = re.compile(
    r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|"
    r"there|then|the same|the other)\b",
    re.IGNORECASE,
)
_POSSESSIVE = {"his", "hers"}
# Capitalised words that make a phrase an organisation, a place or a title, not a person
# (general English, kept as data in rag/lexicon/not_person.txt).
NOT_PERSON = lexicon.words("not_person")
_CONTEXT_SUFFIX = re.compile(r"\s*\(context: .*\)\s*$")


def previous_user_question(history: Sequence[Turn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "user" and turn.content.strip():
            return turn.content.strip()
    return None


def person_names(text: str) -> list[str]:
    """Capitalised phrases of two or more words that look like a person's name."""
    found = []
    for name in entities(text):
        parts = name.split()
        if len(parts) < 2 or any(p.lower().strip("'’s") in NOT_PERSON for p in parts):
            continue
        if name.endswith(("'s", "’s")):
            continue
        found.append(name)
    return found


_SAID = re.compile(
    r"\b(?:did|does|has|had|is|was)\s+(?P<who>[A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+)*)\s+"
    r"(?:say|said|tell|told|claim|think|argue|warn|describe|mean|announce|suggest)\b"
)


def _speaker(question: str) -> list[str]:
    """The named speaker of a "What did X say…" question, even a single surname."""
    match = _SAID.search(question)
    return [match.group("who")] if match else []


def strip_context(question: str) -> tuple[str, str]:
    """Split a condensed question into the question and its appended context."""
    match = _CONTEXT_SUFFIX.search(question)
    if not match:
        return question, ""
    context = match.group().strip()[len("(context: ") : -1]
    return question[: match.start()], context


def condense(question: str, history: Sequence[Turn]) -> str:
    """A standalone version of `question` (unchanged when it needs no context)."""
    previous = previous_user_question(history)
    if not previous:
        return question
    previous, _ = strip_context(previous)
    # "Who beat Gutnick?" asks for someone not yet named: "he" next is probably the answer.
    # "Who is Kaja Kallas?" names its subject: "she" next is Kallas.
    asks_for_person = bool(
        re.match(r"^\s*(who|whom|whose|which)\b", previous, re.IGNORECASE)
    ) and not re.match(r"^\s*(?i:who)\s+(?i:is|was|are|were)\s+[A-Z]", previous)
    people = person_names(previous) or _speaker(previous)
    if people and not asks_for_person and _PERSONAL.search(question):
        person = people[0]  # the subject of the previous question

        def replace(match: re.Match[str]) -> str:
            return f"{person}'s" if match.group().lower() in _POSSESSIVE else person

        return _PERSONAL.sub(replace, question, count=1)
    own_names = [e for e in entities(question) if not e.isdigit()]
    if own_names and not _CONTEXTUAL.search(question):
        return question
    return f"{question.rstrip()} (context: {previous.rstrip('?')})"
