"""The checker's gate (rag/verify_gate.py) and its fitting (evals/claims_fit.py), on
signals and claims written for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from evals.claims import ClaimItem, ClaimResult
from evals.claims_fit import features, fit_gate, fit_logistic, kept_by, leave_one_out
from rag.verify_gate import CHECKS, RULES_ONLY, UNWEIGHED, Gate, Signals, load_gate


def _signals(*fired: str, lexical: float = 0.8) -> Signals:
    return Signals(semantic=0.8, lexical=lexical, names=1.0, clause=0.8, fired=fired)


def test_without_fitted_weights_every_finding_drops_and_no_finding_keeps() -> None:
    assert RULES_ONLY.drops(_signals("speaker"))
    assert RULES_ONLY.drops(_signals("role-conflict", lexical=0.1))
    assert not RULES_ONLY.drops(_signals())


def test_a_weak_check_alone_does_not_drop_but_with_a_strong_one_it_does() -> None:
    gate = Gate(bias=-2.0, checks={"role-conflict": 0.5, "number": 4.0})
    assert not gate.drops(_signals("role-conflict"))
    assert gate.drops(_signals("number"))
    assert gate.drops(_signals("role-conflict", "number"))


def test_a_finding_on_a_claim_that_keeps_the_passage_words_weighs_more() -> None:
    gate = Gate(bias=-3.0, checks={"speaker": 1.0}, measures={"lexical": 3.0})
    assert gate.drops(_signals("speaker", lexical=0.95))  # one word changed: a twist
    assert not gate.drops(_signals("speaker", lexical=0.4))  # reworded: the rule misreads


def test_the_gate_never_drops_a_claim_no_check_found_anything_in() -> None:
    gate = Gate(bias=5.0, checks={"speaker": 1.0})
    assert not gate.drops(_signals())


def test_a_check_the_gate_was_not_fitted_on_drops_by_itself() -> None:
    gate = Gate(bias=-3.0, checks={"speaker": 1.0})
    assert gate.log_odds(_signals("a-new-check")) >= UNWEIGHED - 3.0
    assert gate.drops(_signals("a-new-check"))


def test_the_gate_survives_its_json_file(tmp_path: Path) -> None:
    gate = Gate(bias=-1.5, checks={"date": 2.0}, measures={"clause": -1.0}, fitted={"cut": 0.6})
    path = gate.save(tmp_path / "gate.json")
    assert json.loads(path.read_text())["checks"] == {"date": 2.0}
    assert load_gate(path) == gate
    assert load_gate(tmp_path / "missing.json") is RULES_ONLY


def test_the_features_are_one_indicator_per_check_then_the_measures() -> None:
    row = features(Signals(0.7, 0.6, 0.5, 0.4, ("speaker", "number")))
    assert len(row) == len(CHECKS) + 4
    assert row[CHECKS.index("speaker")] == 1.0 and row[CHECKS.index("number")] == 1.0
    assert sum(row[: len(CHECKS)]) == 2.0
    assert row[len(CHECKS) :] == [0.7, 0.6, 0.5, 0.4]


def test_logistic_fit_finds_the_feature_that_separates_the_labels() -> None:
    rng = np.random.default_rng(3)
    x = np.c_[rng.integers(0, 2, 200), rng.normal(size=200)]
    y = x[:, 0].astype(float)  # only the first feature says the label
    bias, weights = fit_logistic(x.astype(float), y, l2=1.0)
    assert weights[0] > 3.0
    assert abs(weights[1]) < 1.0
    assert bias + weights[0] > 0 > bias


def _result(
    n: int, faithful: bool, fired: tuple[str, ...], lexical: float, kind: str
) -> ClaimResult:
    item = ClaimItem(
        id=f"t{n}",
        chunk_id="doc#0",
        question="What did the mayor say?",
        claim="The mayor said the bridge would reopen.",
        label="faithful" if faithful else "unfaithful",
        kind=kind,
    )
    signals = Signals(0.8, lexical, 1.0, 0.8, fired)
    rule = fired[0] if fired else ""
    return ClaimResult(item, 0.8, rule, rule, 0.8, signals)


def _toy_sets() -> dict[str, list[ClaimResult]]:
    """Two sets where 'speaker' misfires on reworded faithful claims and 'number' never does."""
    sets: dict[str, list[ClaimResult]] = {}
    for s in ("a", "b"):
        rows = []
        for k in range(10):
            rows.append(_result(k, True, (), 0.6, "paraphrase"))
            rows.append(_result(10 + k, True, ("speaker",), 0.4, "paraphrase"))
            rows.append(_result(20 + k, False, ("speaker",), 0.95, "speaker"))
            rows.append(_result(30 + k, False, ("number",), 0.9, "number"))
        sets[s] = rows
    return sets


def test_the_fitted_gate_keeps_reworded_claims_a_misfiring_check_would_drop() -> None:
    sets = _toy_sets()
    gate = fit_gate([r for rs in sets.values() for r in rs])
    faithful = [r for r in sets["a"] if r.item.faithful]
    twists = [r for r in sets["a"] if not r.item.faithful]
    assert all(kept_by(r, gate) for r in faithful)
    assert not any(kept_by(r, gate) for r in twists)
    assert sum(kept_by(r, RULES_ONLY) for r in faithful) == 10  # the rules drop the other ten


def test_leave_one_set_out_scores_each_set_on_a_gate_fitted_without_it() -> None:
    figures = leave_one_out(_toy_sets())
    assert set(figures) == {"a", "b"}
    for row in figures.values():
        assert row["rules_kept"] == 0.5 and row["rules_dropped"] == 1.0
        assert row["kept"] == 1.0 and row["dropped"] == 1.0


def test_a_number_or_date_the_passage_does_not_state_drops_whatever_the_weights() -> None:
    gate = Gate(bias=-50.0, checks={"aligned-change": 0.0})
    changed_date = Signals(0.9, 0.3, 1.0, 0.9, ("aligned-change",), ("date",))
    changed_name = Signals(0.9, 0.3, 1.0, 0.9, ("aligned-change",), ("entity",))
    assert gate.drops(changed_date)
    assert not gate.drops(changed_name)


def test_the_checker_records_every_check_that_fired_and_the_gate_decides(real_embedder) -> None:
    from rag.verify import check
    from tests.test_verify import SHED, hits_of

    claim = "Police chased the driver for 40 kilometres after he ran out of fuel. [1]"
    ruled = check(claim, hits_of(SHED), real_embedder, gate=RULES_ONLY)
    (detail,) = ruled.details
    assert detail.code == "antonym"
    signals = detail.signals[1]
    assert signals.fired and "antonym" in signals.reasons
    assert 0.0 < signals.lexical <= 1.0 and 0.0 < signals.semantic <= 1.0
    # a gate that does not trust these checks keeps the claim; one that does drops it
    lenient = Gate(bias=-50.0, checks=dict.fromkeys(signals.fired, 0.0))
    (kept,) = check(claim, hits_of(SHED), real_embedder, gate=lenient).details
    assert kept.code == "" and kept.supported == [1]
    strict = Gate(bias=1.0, checks=dict.fromkeys(signals.fired, 0.0))
    (dropped,) = check(claim, hits_of(SHED), real_embedder, gate=strict).details
    assert dropped.code == "antonym"


def test_a_changed_date_is_dropped_even_by_a_gate_that_trusts_no_check(real_embedder) -> None:
    from rag.verify import check
    from tests.test_verify import SHED, hits_of

    claim = "Fourteen sheds burned at the Orrin allotments last week. [1]"
    lenient = Gate(bias=-50.0, checks=dict.fromkeys(CHECKS, 0.0))
    (detail,) = check(claim, hits_of(SHED), real_embedder, gate=lenient).details
    assert detail.code == "date"


def test_meaning_findings_name_every_check_that_fires_not_only_the_first() -> None:
    from rag.chunk import chunk_article
    from rag.types import Article, Hit
    from rag.verify import Passage
    from rag.verify_rules import MEANING_CHECKS, meaning_findings, meaning_reason

    article = Article(
        article_id="bridge",
        title="Bridge works",
        text=(
            "Mayor Ann Lo said the river bridge would reopen to traffic in May. "
            "Engineer Tom Reed said the old tunnel was unsafe for lorries."
        ),
        published=None,
        source="bridge.txt",
    )
    passage = Passage.of(1, Hit(chunk_article(article, max_tokens=400)[0], 1.0))
    best = passage.sentences[0]
    twisted = "Tom Reed said the river bridge would not reopen to traffic in May."
    found = list(meaning_findings(twisted, passage, best))
    assert found == [("speaker", "speaker"), ("negation", "polarity")]
    assert {check for _reason, check in found} <= set(MEANING_CHECKS)
    assert meaning_reason(twisted, passage, best) == "speaker"
    faithful = "Ann Lo said the river bridge would reopen to traffic in May."
    assert list(meaning_findings(faithful, passage, best)) == []
