"""The checker's gate: are a claim's findings strong enough to drop its citation?

The checker's rules (`rag/verify_rules.py`) each find one way a claim may say something
else than its passage: a number, date or name the passage lacks, a clause the passage
does not hold, another speaker, a flipped polarity, a swapped role. On claim sets written
by people who never saw the rules, some rules drop almost as many faithful paraphrases as
twisted claims: they misread reworded text, while a twist keeps the passage's words and
changes one thing. So a finding does not drop a citation by itself; a logistic model over
which checks fired and how closely the claim follows its passage (semantic, lexical and
name support, the weakest clause's share) decides, and the first finding names the reason.

The weights sit in `verify_gate.json`, fitted by `python -m evals.claims_fit` on claim
sets with leave-one-set-out figures (see evals/README.md). Without the file every finding
drops, as the rules alone would.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rag.verify_rules import MEANING_CHECKS

FITTED = Path(__file__).with_name("verify_gate.json")

# The checks whose findings the gate weighs (`Signals.fired` holds some of these names):
# the facts (`verify_rules.fact_reason`: a number, year/month/weekday or name the passage
# does not state), a clause it does not hold (`clause_support`), then the meaning checks
# (`verify_rules.MEANING_CHECKS`, in the order they are judged).
CHECKS = ("number", "date", "entity", "clause", *MEANING_CHECKS)
# How closely the claim follows its passage (`verify.support_features`, `clause_support`).
MEASURES = ("semantic", "lexical", "names", "clause")


@dataclass(frozen=True, slots=True)
class Signals:
    """What the checker found about one claim and one cited passage."""

    semantic: float  # best MiniLM cosine with a passage sentence (or two adjacent ones)
    lexical: float  # IDF-weighted share of the claim's own words the passage holds
    names: float  # share of the claim's names the passage gives
    clause: float  # the weakest clause's share of words held (1.0 when none is judged)
    fired: tuple[str, ...] = ()  # the checks that found something, in the order judged
    reasons: tuple[str, ...] = ()  # the reasons they gave (`verify.REASONS`)

    def measure(self, name: str) -> float:
        return {
            "semantic": self.semantic,
            "lexical": self.lexical,
            "names": self.names,
            "clause": self.clause,
        }[name]


@dataclass(frozen=True, slots=True)
class Gate:
    """A logistic model: drop when the log-odds that the claim is unfaithful reach 0.

    `bias` holds the cut (the fitted log-odds of the chosen probability moved into it);
    a check without a weight counts fully (`UNWEIGHED`), so a new check drops until fitted."""

    bias: float = 0.0
    checks: dict[str, float] = field(default_factory=dict)
    measures: dict[str, float] = field(default_factory=dict)
    fitted: dict[str, Any] = field(default_factory=dict)  # how and on what it was fitted

    def log_odds(self, signals: Signals) -> float:
        total = self.bias
        total += sum(self.checks.get(name, UNWEIGHED) for name in set(signals.fired))
        total += sum(w * signals.measure(m) for m, w in self.measures.items())
        return total

    def probability(self, signals: Signals) -> float:
        z = self.log_odds(signals)
        return 1.0 / (1.0 + math.exp(-z)) if z > -50 else 0.0

    def drops(self, signals: Signals) -> bool:
        """Whether the findings drop the citation (never when no check found anything)."""
        if not signals.fired:
            return False
        if HARD & set(signals.reasons):
            return True  # a number or date the passage does not state is never weighed away
        if not self.checks and not self.measures:
            return True  # no fitted model: the rules alone decide
        return self.log_odds(signals) >= 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "bias": self.bias,
            "checks": self.checks,
            "measures": self.measures,
            "fitted": self.fitted,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Gate:
        return cls(
            bias=float(data.get("bias", 0.0)),
            checks={str(k): float(v) for k, v in data.get("checks", {}).items()},
            measures={str(k): float(v) for k, v in data.get("measures", {}).items()},
            fitted=dict(data.get("fitted", {})),
        )

    def save(self, path: Path = FITTED) -> Path:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return path


# Reasons that drop whatever the weights say: on unseen sets a missing or changed number or
# date was right far more often than not (held out: 8 faithful to 38 twists for numbers),
# and a checker that lets "40" through for "14" is worse than none.
HARD = frozenset({"number", "date"})
UNWEIGHED = 100.0  # the weight of a check the gate was not fitted on: it drops alone
RULES_ONLY = Gate()  # every finding drops


@cache
def load_gate(path: Path = FITTED) -> Gate:
    """The fitted gate (`verify_gate.json`), or the rules alone when there is none."""
    if not path.exists():
        return RULES_ONLY
    return Gate.from_json(json.loads(path.read_text(encoding="utf-8")))
