"""Fitting the citation checker's gate on claim sets, judged set by set held out.

`python -m evals.claims_fit SET.jsonl ... [--corpus DIR] [--write] [--json]` runs the
checker's rules on every claim of every set (`rag eval --claims` format; each file is one
set), then:

- prints, per check and per set, how many faithful and unfaithful claims it fired on and
  how many it was the reason for dropping (rules alone): a check that fires on as many
  faithful claims as unfaithful ones on sets it was not made on is one to narrow;
- fits the gate (`rag/verify_gate.py`: logistic regression over which checks fired and how
  closely the claim follows its passage, on the claims no hard reason (number, date)
  drops; L2-regularised, Newton's method in numpy) and its cut (the probability that
  best balances faithful kept and unfaithful dropped over the training sets) leaving
  out each set in turn, and reports the left-out set's faithful kept and unfaithful
  dropped beside the rules alone;
- with `--write`, fits on all sets and writes `rag/verify_gate.json` (weights, cut folded
  into the bias, and the leave-one-set-out figures it was judged by).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.claims import (
    ROOT,
    ClaimResult,
    corpus_chunks,
    corpus_idf,
    evaluate_claims,
    load_claims,
)
from rag.config import load_settings
from rag.verify import SUPPORT_THRESHOLD
from rag.verify_gate import CHECKS, FITTED, HARD, MEASURES, RULES_ONLY, Gate, Signals

L2 = 1.0  # ridge on the standardised features (the pooled data hold ~1,000 findings)


def features(signals: Signals) -> list[float]:
    """One row of the design matrix: an indicator per check, then the measures."""
    fired = set(signals.fired)
    return [1.0 if c in fired else 0.0 for c in CHECKS] + [signals.measure(m) for m in MEASURES]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2) -> tuple[float, np.ndarray]:
    """(bias, weights) of an L2-regularised logistic regression, in x's own units."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.c_[(x - mean) / scale, np.ones(len(x))]
    w = np.zeros(z.shape[1])
    penalty = np.r_[np.full(z.shape[1] - 1, l2), 0.0]
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (p - y) + penalty * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    weights = w[:-1] / scale
    bias = float(w[-1] - np.sum(w[:-1] * mean / scale))
    return bias, weights


def gate_of(bias: float, weights: np.ndarray, cut: float, fitted: dict[str, Any]) -> Gate:
    """The gate with the cut's log-odds moved into the bias (drop when log-odds >= 0)."""
    names = list(CHECKS)
    return Gate(
        bias=round(bias - float(np.log(cut / (1 - cut))), 4),
        checks={c: round(float(v), 4) for c, v in zip(names, weights[: len(names)], strict=True)},
        measures={
            m: round(float(v), 4) for m, v in zip(MEASURES, weights[len(names) :], strict=True)
        },
        fitted=fitted,
    )


def kept_by(result: ClaimResult, gate: Gate, threshold: float = SUPPORT_THRESHOLD) -> bool:
    """Whether the checker keeps the claim with this gate (hard drops stay dropped)."""
    if result.signals is None:  # dropped before any rule was weighed (or never scored)
        return not result.rule and result.score >= threshold
    return not gate.drops(result.signals) and result.score >= threshold


def shares(results: Sequence[ClaimResult], gate: Gate) -> tuple[float, float]:
    """(faithful kept, unfaithful dropped) with this gate."""
    faithful = [r for r in results if r.item.faithful]
    unfaithful = [r for r in results if not r.item.faithful]
    kept = sum(kept_by(r, gate) for r in faithful) / max(len(faithful), 1)
    dropped = sum(not kept_by(r, gate) for r in unfaithful) / max(len(unfaithful), 1)
    return kept, dropped


def fit_gate(train: Sequence[ClaimResult], l2: float = L2) -> Gate:
    """The gate fitted on these claims: weights on those where a check fired, then the cut
    that maximises faithful kept + unfaithful dropped over all of them."""
    # what a hard reason drops (`verify_gate.HARD`) is not the model's to weigh
    rows = [
        r
        for r in train
        if r.signals is not None and r.signals.fired and not HARD & set(r.signals.reasons)
    ]
    x = np.array([features(r.signals) for r in rows if r.signals is not None])
    y = np.array([0.0 if r.item.faithful else 1.0 for r in rows])
    bias, weights = fit_logistic(x, y, l2)
    best: tuple[float, float] = (-1.0, 0.5)
    for cut in np.linspace(0.05, 0.95, 91):
        gate = gate_of(bias, weights, float(cut), {})
        kept, dropped = shares(train, gate)
        if kept + dropped > best[0] + 1e-9:
            best = (kept + dropped, float(cut))
    return gate_of(bias, weights, best[1], {"cut": round(best[1], 3)})


def check_table(by_set: dict[str, list[ClaimResult]]) -> dict[str, dict[str, dict[str, int]]]:
    """Per check, per set: faithful/unfaithful claims it fired on, and was the reason for."""
    table: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for name, results in by_set.items():
        fired: Counter[tuple[str, str]] = Counter()
        for r in results:
            label = "faithful" if r.item.faithful else "unfaithful"
            if r.signals is None:
                if r.rule or r.score < SUPPORT_THRESHOLD:
                    fired[("score", f"{label}_reason")] += 1
                continue
            for check in r.signals.fired:
                fired[(check, label)] += 1
            if r.signals.fired:
                fired[(r.signals.fired[0], f"{label}_reason")] += 1
            elif r.score < SUPPORT_THRESHOLD:
                fired[("score", f"{label}_reason")] += 1
        for (check, what), count in fired.items():
            table[check].setdefault(name, {})[what] = count
    return dict(table)


def leave_one_out(by_set: dict[str, list[ClaimResult]], l2: float = L2) -> dict[str, Any]:
    """For each set: the gate fitted on the others, scored on it, beside the rules alone."""
    out: dict[str, Any] = {}
    for name, held in by_set.items():
        train = [r for other, rs in by_set.items() if other != name for r in rs]
        gate = fit_gate(train, l2)
        kept, dropped = shares(held, gate)
        rules_kept, rules_dropped = shares(held, RULES_ONLY)
        out[name] = {
            "kept": round(kept, 3),
            "dropped": round(dropped, 3),
            "rules_kept": round(rules_kept, 3),
            "rules_dropped": round(rules_dropped, 3),
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.claims_fit", description=__doc__)
    parser.add_argument("sets", nargs="+", metavar="SET", help="claim sets (JSON Lines)")
    parser.add_argument("--corpus", default=str(ROOT / "corpus"), help="the sets' corpus")
    parser.add_argument("--write", action="store_true", help=f"write {FITTED.name}")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--l2", type=float, default=L2)
    args = parser.parse_args(argv)
    from rag.pipeline import build_embedder

    settings = load_settings()
    started = time.perf_counter()
    chunks = corpus_chunks(Path(args.corpus), settings)
    idf = corpus_idf(list(chunks.values()))
    embedder = build_embedder(settings)
    by_set = {
        Path(path).stem: evaluate_claims(
            load_claims(Path(path)), chunks, embedder, idf, threshold=-1.0, gate=RULES_ONLY
        )
        for path in args.sets
    }
    body: dict[str, Any] = {
        "sets": {name: len(rs) for name, rs in by_set.items()},
        "checks": check_table(by_set),
        "leave_one_set_out": leave_one_out(by_set, args.l2),
    }
    gate = fit_gate([r for rs in by_set.values() for r in rs], args.l2)
    body["gate"] = gate.to_json()
    body["seconds"] = round(time.perf_counter() - started, 1)
    if args.write:
        fitted = {
            **gate.fitted,
            "l2": args.l2,
            "sets": body["sets"],
            "leave_one_set_out": body["leave_one_set_out"],
            "how": "python -m evals.claims_fit " + " ".join(Path(p).name for p in args.sets),
        }
        Gate(gate.bias, gate.checks, gate.measures, fitted).save()
        load_gate_cache_clear()
    if args.json:
        print(json.dumps(body, indent=2))
        return 0
    print(_report(body))
    return 0


def load_gate_cache_clear() -> None:
    from rag.verify_gate import load_gate

    load_gate.cache_clear()


def _report(body: dict[str, Any]) -> str:
    names = list(body["sets"])
    lines = ["per check: fired on faithful/unfaithful (reason for faithful/unfaithful dropped)"]
    lines.append(f"{'check':16} " + " ".join(f"{n[:14]:>18}" for n in names))
    for check, per_set in sorted(body["checks"].items()):
        cells = []
        for n in names:
            c = per_set.get(n, {})
            cells.append(
                f"{c.get('faithful', 0)}/{c.get('unfaithful', 0)}"
                f" ({c.get('faithful_reason', 0)}/{c.get('unfaithful_reason', 0)})"
            )
        lines.append(f"{check:16} " + " ".join(f"{x:>18}" for x in cells))
    lines.append("")
    lines.append("left-out set: gate kept / dropped (rules alone kept / dropped)")
    for n, row in body["leave_one_set_out"].items():
        lines.append(
            f"{n:16} {row['kept']:.3f} / {row['dropped']:.3f}"
            f"   ({row['rules_kept']:.3f} / {row['rules_dropped']:.3f})"
        )
    rows = list(body["leave_one_set_out"].values())
    mean = [sum(r[k] for r in rows) / len(rows) for k in ("kept", "dropped")]
    rules = [sum(r[k] for r in rows) / len(rows) for k in ("rules_kept", "rules_dropped")]
    lines.append(f"{'mean':16} {mean[0]:.3f} / {mean[1]:.3f}   ({rules[0]:.3f} / {rules[1]:.3f})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
