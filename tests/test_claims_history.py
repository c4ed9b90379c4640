"""evals/claims_history.py on per-claim signals written for these tests (no old code run)."""

from __future__ import annotations

from typing import Any

from evals.claims_history import everything, floor_loso, gate_loso, reason, reason_table


def _row(label: str, lexical: float, meaning: str | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "label": label,
        "kind": "paraphrase" if label == "faithful" else "speaker",
        "semantic": 0.8,
        "lexical": lexical,
        "names": 1.0,
        "score": 0.8,
        "fact": None,
        "clause": 0.8,
        "clause_weak": False,
        "meaning": meaning,
    }
    row.update(extra)
    return row


def _set() -> list[dict[str, Any]]:
    """'speaker' misfires on reworded faithful claims (low lexical share), never on twists."""
    rows = [_row("faithful", 0.6) for _ in range(6)]
    rows += [_row("faithful", 0.5, "speaker") for _ in range(2)]
    rows += [_row("unfaithful", 0.9, "speaker") for _ in range(4)]
    rows += [_row("unfaithful", 0.8, fact="number") for _ in range(4)]
    return rows


def test_the_reason_is_the_first_finding_in_the_order_the_checker_judged() -> None:
    row = _row("unfaithful", 0.9, "speaker", fact="entity", clause_weak=True)
    assert reason(row, everything) == "entity"
    assert reason(row, lambda r, _row: r != "entity") == "clause"
    assert reason(_row("faithful", 0.9, score=0.3), everything) == "unsupported"
    assert reason(_row("faithful", 0.9), everything) is None


def test_the_reason_table_counts_faithful_and_unfaithful_drops_per_set() -> None:
    table = reason_table({"a": _set()})
    assert table["speaker"]["a"] == [2, 4]
    assert table["number"]["a"] == [0, 4]


def test_a_lexical_floor_for_a_misfiring_check_is_chosen_on_the_other_sets() -> None:
    figures = floor_loso({"a": _set(), "b": _set()}, "speaker")
    for row in figures.values():
        assert 0.5 < row["floor"] <= 0.9
        assert row["kept"] == 0.25 and row["dropped"] == 0.0


def test_the_gate_learns_to_keep_what_a_misfiring_check_drops_without_losing_drops() -> None:
    figures = gate_loso({"a": _set(), "b": _set(), "c": _set()})
    for row in figures.values():
        assert row["kept"] == 0.25 and row["dropped"] == 0.0
