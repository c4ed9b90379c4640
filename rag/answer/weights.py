"""Every weight and threshold of the extractive answerer, in one frozen object.

The defaults are the values the answerer was tuned to by hand; `rag eval --fit` fits them
by cross-validation over the gold sets and writes the fitted values to `weights.json`
beside this file, which `Weights.load()` reads. A field missing from the file keeps its
default, so adding a weight never breaks an older file; an unknown key is an error, so a
typo is not silently ignored.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

FITTED = Path(__file__).with_name("weights.json")


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of candidate scoring, support, answerability and composition."""

    # -- candidate sentence score (candidates.py) ---------------------------------------
    lexical: float = 0.45  # IDF-weighted share of the question's words in the sentence
    window: float = 0.25  # … in the sentence, the one before it and the title
    entity: float = 0.15  # share of the question's names in the sentence's surroundings
    rank: float = 0.05  # 1/(1+rank) of the passage in retrieval
    kind: float = 0.15  # the sentence holds the kind of thing asked for (date, number…)
    speech: float = 0.3  # "what did X say": the sentence reports X speaking
    topic: float = 0.25  # "what did X say about Y": share of Y's words in the sentence
    semantic: float = 0.35  # MiniLM cosine of sentence and question
    entity_in_window: float = 0.6  # of `entity`: names found near the sentence …
    entity_in_passage: float = 0.4  # … and anywhere in its passage
    context_steer: float = 1 / 3  # share of a follow-up's context in the window score
    speech_named: float = 1.0  # sentence names X and reports speech
    speech_mention: float = 0.4  # sentence names X without reporting speech
    speech_quote: float = 0.2  # bonus when the sentence holds X's own quoted words
    quote_ride: float = 0.95  # a quote scores at least this share of its introduction
    semantic_pool: int = 8  # the best sentences read closely (counts by meaning, rag.speech)
    filler_meaning: float = 0.5  # of the best holding the kind asked, the order by how near
    # in meaning the filler's words are to the question's (candidates.filler_meaning)

    # -- support (answerable.py) --------------------------------------------------------
    support_window: float = 0.35
    support_lexical: float = 0.2
    support_entity: float = 0.25
    support_semantic: float = 0.3
    support_speech: float = 0.1
    direct_bonus: float = 0.1  # the filler stands beside the noun asked for ("69 seekers")
    slot_penalty: float = 0.3  # a reason asked, none of the best sentences gives one
    missing_penalty: float = 0.45  # a date/number/name asked, none of the best gives one
    unnamed_penalty: float = 0.45  # "name of the gunman" but the article says "a gunman"
    support_soft: float = 0.0  # the window's coverage gained by words of like meaning
    soft_similarity: float = 0.45  # MiniLM cosine for a common word to count as covered
    slot_pool: int = 3  # how many of the best sentences may fill the slot
    refuse_below: float = 0.55  # support under this is a refusal

    # -- answerability (answerable.py) ----------------------------------------------------
    ground_similarity: float = 0.5  # MiniLM cosine for a common word of the question to
    # count as grounded by a word of the sentence when no stem matches
    ground_share: float = 0.0  # IDF-weighted share of the question's common words that
    # the sentence and its context must ground
    topic_grounded: float = 0.5  # … of Y's common words, for "what did X say about Y"
    topic_similarity: float = 0.6  # MiniLM cosine for a word of Y to count as said by X
    # (stricter than ground_similarity: "spending" is not "debt")
    relation: float = 1.5  # the relation verb ("won", "founded") weighs this many words
    ground_pool: int = 3  # the best sentences tried, in score order, for a grounded one

    # -- composition (compose.py) ---------------------------------------------------------
    max_sentences: int = 3  # sentences in an answer, at most
    following_ratio: float = 0.6  # the sentence after the best one (a lead's detail)
    # must score this share of it
    runner_up_ratio: float = 0.8  # a runner-up that grounds a word the best lacks must
    # score this share of the best
    runner_up_lacking: float = 0.5  # … and is looked for only when the best sentence lacks
    # this share of the question's words
    close_ratio: float = 0.8  # a runner-up of the best sentence's story scoring this share
    # of it may take the second place, or join within the word budget
    word_budget: int = 45  # words an answer may grow to with close runner-ups (the best
    # sentence and the sentences grounding a missing part are never cut for it)
    needed_ratio: float = 0.5  # a sentence that adds a missing part must score this share
    # of the best one's score

    @classmethod
    def load(cls, path: Path | None = None) -> Weights:
        """The fitted weights (`weights.json`), or the defaults when there is no file."""
        path = path or FITTED
        if not path.exists():
            return cls()
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cls().updated(data.get("weights", data))

    def updated(self, values: dict[str, Any]) -> Weights:
        """A copy with some values changed; unknown names are an error."""
        known = {f.name: f.type for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown answerer weights: {', '.join(unknown)}")
        cast: dict[str, Any] = {
            k: (int(v) if isinstance(getattr(self, k), int) else float(v))
            for k, v in values.items()
        }
        return replace(self, **cast)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: Path | None = None, note: dict[str, Any] | None = None) -> Path:
        """Write these weights (and what they were fitted on) as the fitted-values file."""
        path = path or FITTED
        body: dict[str, Any] = {}
        if path.exists():  # other parts' sections of the one weights file stay (retrieval)
            old = json.loads(path.read_text(encoding="utf-8"))
            body = {k: v for k, v in old.items() if k not in ("weights", "fitted")}
        body.update({"weights": self.to_json(), **({"fitted": note} if note else {})})
        path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        return path
