"""The offline extractive answerer, in stages a newcomer can find:

| module | does |
|---|---|
| `question.py` | the question as typed parts: speaker, topic, names, numbers, dates, kind, verb |
| `normal.py` | numbers, dates, labelled names normalised ("three decades" = "30 years") |
| `mentions.py` | finding the question's names in text (surnames, acronyms, case) |
| `slots.py` | whether a sentence holds the kind of thing asked (date, count, name) |
| `speakers.py` | who a sentence reports (the answerer's view of `rag.speech`) |
| `candidates.py` | candidate sentences and their scores |
| `answerable.py` | support score and grounding of every part: answer or refuse |
| `relation.py` | what the best sentences say otherwise: event denied, figure or name changed |
| `roles.py` | which party of the question's verb stands on which side of it |
| `meaning.py`, `verbs.py` | words of like meaning (MiniLM), verbs of saying and denying |
| `equivalents.py` | one country, faith or party in its other forms ("UK" / "British") |
| `compose.py` | the cited answer, concise; plain and explained refusals |
| `weights.py` | every weight and threshold: one frozen `Weights`, fitted in `weights.json` |
| `base.py` | the `Answerer` and `Condenser` protocols, `Decision` and `Reply` |
| `extractive.py` | `ExtractiveAnswerer`, the stages in order |
"""

from rag.answer.base import Answerer, Condenser, Decision, Reply
from rag.answer.candidates import Candidate
from rag.answer.compose import compose, explained_refusal, refusal
from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.mentions import names_in
from rag.answer.question import QuestionInfo, analyse_question
from rag.answer.slots import slot_filled
from rag.answer.weights import Weights

__all__ = [
    "Answerer",
    "Candidate",
    "Condenser",
    "Decision",
    "ExtractiveAnswerer",
    "QuestionInfo",
    "Reply",
    "Weights",
    "analyse_question",
    "compose",
    "explained_refusal",
    "names_in",
    "refusal",
    "slot_filled",
]
