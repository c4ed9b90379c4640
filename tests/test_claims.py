"""The claim-verification eval (evals/claims.py) and its generator (evals/claims_gen.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from evals.claims import ClaimItem, ClaimResult, load_claims, summarize_claims, sweep
from evals.claims_gen import date, half_of, negation, number, role
from rag.errors import BadInputError

PASSAGE = (
    "The port authority said on Tuesday that 42 cranes would be replaced by 2027. "
    "Officials said Norway has backed the fishing quota, while Iceland has rejected it."
)


def result(kind: str, faithful: bool, score: float, rule: str = "") -> ClaimResult:
    item = ClaimItem("x", "a#0", "", "claim", "faithful" if faithful else "unfaithful", kind)
    return ClaimResult(item, score, rule, rule or ("unsupported" if score < 0.6 else ""))


def test_summary_reports_dropped_for_unfaithful_and_kept_for_faithful_kinds() -> None:
    rows = [
        result("paraphrase", True, 0.9),
        result("paraphrase", True, 0.5),
        result("negation", False, 0.95, "negation"),
        result("negation", False, 0.9),
    ]
    summary = summarize_claims(rows, threshold=0.6)
    assert summary["kinds"]["paraphrase"]["kept"] == 0.5
    assert summary["kinds"]["negation"]["dropped"] == 0.5
    assert summary["kinds"]["negation"]["reasons"] == {"negation": 1}
    assert summary["faithful_kept"] == 0.5 and summary["unfaithful_dropped"] == 0.5


def test_a_higher_threshold_keeps_fewer_faithful_claims() -> None:
    rows = [result("paraphrase", True, s / 10) for s in range(3, 10)]
    kept = [p["faithful_kept"] for p in sweep(rows)]
    assert kept == sorted(kept, reverse=True) and kept[0] > kept[-1]


def test_a_claim_with_an_unknown_label_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "claims.jsonl"
    path.write_text(
        '{"chunk_id": "a#0", "claim": "x", "label": "faithful", "kind": "verbatim"}\n'
        '{"chunk_id": "a#0", "claim": "y", "label": "maybe", "kind": "verbatim"}\n'
    )
    with pytest.raises(BadInputError, match=":2:"):
        load_claims(path)


def test_negation_takes_out_or_puts_in_a_negation() -> None:
    rng = random.Random(1)
    assert negation("The mayor won't resign.", PASSAGE, rng) == "The mayor will resign."
    assert negation("The cranes would be replaced.", PASSAGE, rng) == (
        "The cranes would not be replaced."
    )


def test_number_and_date_changes_use_values_the_passage_never_states() -> None:
    rng = random.Random(1)
    changed = number("The authority will replace 42 cranes.", PASSAGE, rng)
    assert changed and "42" not in changed and changed.split()[4] not in PASSAGE
    moved = date("The cranes will be replaced by 2027.", PASSAGE, rng)
    assert moved and "2027" not in moved
    assert date("It said so on Tuesday.", PASSAGE, rng) not in (None, "It said so on Tuesday.")


def test_role_swap_exchanges_the_two_subjects() -> None:
    swapped = role(
        "Norway has backed the fishing quota, while Iceland has rejected it.",
        PASSAGE,
        random.Random(1),
    )
    assert swapped == "Iceland has backed the fishing quota, while Norway has rejected it."


def test_articles_split_into_two_stable_halves() -> None:
    halves = {half_of(f"lee/lee-{i:03d}") for i in range(20)}
    assert halves == {"fit", "held-out"}
    assert half_of("lee/lee-001") == half_of("lee/lee-001")
