"""Per-check precision on claim sets the checker had not seen: each set run on old code.

A rule made on a set's misses looks precise on that set. The honest figure for a check is
what it did on a set written after the code: `python -m evals.claims_history --corpus DIR
SET@COMMIT ...` takes each set with the commit of the code before the set was first
looked at, extracts that code (`git archive COMMIT rag evals`) into a temporary folder,
runs the checker's signals there in a child process (the reason each part of the checker
gives, the support measures) and prints, per reason and per set, the faithful and
unfaithful claims it was the reason for dropping, then leave-one-set-out figures of two
calibrations over these runs: a floor on the lexical share below which a reason does not
count, and a logistic gate over the reasons and measures, each with its cut chosen so
that the training sets lose no drop. `--json` prints the figures, `--dumps DIR` keeps the
per-claim signals.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

from evals.claims import ROOT
from evals.claims_fit import fit_logistic
from rag.config import environment_for_child

# Runs inside the old code's tree (PYTHONPATH): only functions every pass has had.
_DUMP = r"""
import json, sys
from pathlib import Path
from evals import claims as ev
from rag.config import load_settings
from rag.pipeline import build_embedder
from rag.types import Hit
from rag import verify, verify_rules as vr
from rag.terms import content_stems
corpus, claims, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
settings = load_settings()
chunks = ev.corpus_chunks(corpus, settings)
idf = ev.corpus_idf(list(chunks.values()))
texts = ev.article_texts(chunks.values()) if hasattr(ev, "article_texts") else {}
emb = ev.CachedEmbedder(build_embedder(settings))
with out.open("w") as fh:
    for item in ev.load_claims(claims):
        chunk = chunks[item.chunk_id]
        hit = Hit(chunk, 1.0)
        try:
            passage = verify.Passage.of(1, hit, texts.get(chunk.article_id, ""))
        except TypeError:
            passage = verify.Passage.of(1, hit)
        claim = verify.strip_markers(item.claim.rstrip().rstrip(".") + " [1].")
        table = {s.text: emb.embed([s.text])[0] for s in passage.sentences if not s.hostile}
        vector = emb.embed([claim])[0]
        asked = frozenset(content_stems(item.question))
        try:
            sem, lex, ent, best = verify.support_features(claim, vector, passage, table, idf, asked)
        except TypeError:
            sem, lex, ent, best = verify.support_features(claim, vector, passage, table, idf)
        try:
            shares = vr.clause_shares(claim, passage, idf, asked)
        except TypeError:
            shares = vr.clause_shares(claim, passage, idf)
        clause = min([1.0, *(s for _p, s in shares)])
        weak = [p for p, s in shares if s < verify.CLAUSE_SUPPORT]
        said = verify._said_otherwise(weak, passage, table, emb) if weak else True
        row = dict(
            id=item.id, label=item.label, kind=item.kind, semantic=sem, lexical=lex,
            names=ent, score=verify.support_score(sem, lex, ent),
            fact=vr.fact_reason(claim, passage), clause=clause,
            clause_weak=clause < verify.CLAUSE_SUPPORT and not said,
            meaning=vr.meaning_reason(claim, passage, best) if best else None,
        )
        fh.write(json.dumps(row) + "\n")
"""

THRESHOLD, NEAR = 0.60, 0.75  # the support threshold and its "about something else" share
HARD = ("number", "date")  # reasons no calibration weighs away (rag/verify_gate.HARD)
FACTS = ("number", "date", "entity")
MEANINGS = ("speaker", "negation", "antonym", "role", "number", "date", "entity")
MEASURES = ("semantic", "lexical", "names", "clause")


def dump_at(commit: str, claims: Path, corpus: Path, out: Path) -> None:
    """Run the signals of the checker at `commit` on a claim set, into `out` (JSON Lines)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "rag", "evals"],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="claims-history-") as tree:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        env = environment_for_child({"PYTHONPATH": tree})
        subprocess.run(
            [sys.executable, "-c", _DUMP, str(corpus), str(claims), str(out)],
            check=True,
            env=env,
            cwd=tree,
        )


def unsupported(row: dict[str, Any]) -> bool:
    """Dropped before any rule: too little of the claim is in the passage."""
    score = float(row["score"])
    return score < THRESHOLD and (row["fact"] is None or score < NEAR * THRESHOLD)


def reason(row: dict[str, Any], counts: Callable[[str, dict[str, Any]], bool]) -> str | None:
    """The reason the checker of that commit drops the claim for (None: kept), counting
    only the reasons `counts` lets through."""
    if unsupported(row):
        return "unsupported"
    found = [row["fact"], "clause" if row["clause_weak"] else None, row["meaning"]]
    found = [f for f in found if f and counts(f, row)]
    if found:
        return str(found[0])
    return "unsupported" if float(row["score"]) < THRESHOLD else None


def everything(_reason: str, _row: dict[str, Any]) -> bool:
    return True


def shares(
    rows: Sequence[dict[str, Any]], dropped: Callable[[dict[str, Any]], bool]
) -> tuple[float, float]:
    faithful = [r for r in rows if r["label"] == "faithful"]
    twisted = [r for r in rows if r["label"] != "faithful"]
    kept = sum(not dropped(r) for r in faithful) / max(len(faithful), 1)
    caught = sum(dropped(r) for r in twisted) / max(len(twisted), 1)
    return kept, caught


def reason_table(by_set: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, list[int]]]:
    """Per reason, per set: [faithful, unfaithful] claims it was the reason for dropping."""
    table: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for name, rows in by_set.items():
        counted: Counter[tuple[str, bool]] = Counter()
        for r in rows:
            why = reason(r, everything)
            if why:
                counted[(why, r["label"] == "faithful")] += 1
        for why in {w for w, _f in counted}:
            table[why][name] = [counted[(why, True)], counted[(why, False)]]
    return dict(table)


def floor_loso(by_set: dict[str, list[dict[str, Any]]], why: str) -> dict[str, Any]:
    """A floor on the lexical share for one reason, chosen on the other sets (most faithful
    kept with no drop lost there), scored on the left-out set."""
    grid = [round(0.5 + 0.025 * i, 3) for i in range(17)]
    out: dict[str, Any] = {}

    def dropped_with(floor: float) -> Callable[[dict[str, Any]], bool]:
        def counts(r: str, row: dict[str, Any]) -> bool:
            return r != why or float(row["lexical"]) >= floor

        return lambda row: reason(row, counts) is not None

    rules = dropped_with(0.0)
    for name, held in by_set.items():
        others = [rows for other, rows in by_set.items() if other != name]
        allowed = [
            f
            for f in grid
            if all(shares(rows, dropped_with(f))[1] >= shares(rows, rules)[1] for rows in others)
        ] or [0.0]
        best = max(allowed, key=lambda f: (sum(shares(r, dropped_with(f))[0] for r in others), -f))
        kept, caught = shares(held, dropped_with(best))
        base_kept, base_caught = shares(held, rules)
        out[name] = {
            "floor": best,
            "kept": round(kept - base_kept, 3),
            "dropped": round(caught - base_caught, 3),
        }
    return out


def _features(row: dict[str, Any]) -> list[float]:
    x = [1.0 if row["fact"] == f else 0.0 for f in FACTS]
    x.append(1.0 if row["clause_weak"] else 0.0)
    x += [1.0 if row["meaning"] == m else 0.0 for m in MEANINGS]
    return x + [float(row[m]) for m in MEASURES]


def _findings(row: dict[str, Any]) -> bool:
    return bool(row["fact"] or row["clause_weak"] or row["meaning"])


def _hard(row: dict[str, Any]) -> bool:
    return row["fact"] in HARD or row["meaning"] in HARD


def gate_loso(by_set: dict[str, list[dict[str, Any]]], l2: float = 1.0) -> dict[str, Any]:
    """The logistic gate over reasons and measures fitted on the other sets, its cut the
    one keeping most faithful claims there with no drop lost, scored on the left-out set."""
    out: dict[str, Any] = {}
    for name, held in by_set.items():
        others = [rows for other, rows in by_set.items() if other != name]
        train = [
            r
            for rows in others
            for r in rows
            if _findings(r) and not _hard(r) and not unsupported(r)
        ]
        x = np.array([_features(r) for r in train])
        y = np.array([0.0 if r["label"] == "faithful" else 1.0 for r in train])
        bias, weights = fit_logistic(x, y, l2)

        def dropped_at(
            cut: float, bias: float = bias, weights: np.ndarray = weights
        ) -> Callable[[dict[str, Any]], bool]:
            shift = float(np.log(cut / (1 - cut)))

            def dropped(row: dict[str, Any]) -> bool:
                if reason(row, everything) is None:
                    return False
                if unsupported(row) or _hard(row) or not _findings(row):
                    return True
                return bias - shift + float(np.dot(weights, _features(row))) >= 0

            return dropped

        def rules(row: dict[str, Any]) -> bool:
            return reason(row, everything) is not None

        cuts = [
            c
            for c in np.linspace(0.05, 0.99, 95)
            if all(shares(r, dropped_at(c))[1] >= shares(r, rules)[1] for r in others)
        ]
        cut = max(cuts, key=lambda c: sum(shares(r, dropped_at(c))[0] for r in others))
        kept, caught = shares(held, dropped_at(float(cut)))
        base_kept, base_caught = shares(held, rules)
        out[name] = {
            "cut": round(float(cut), 2),
            "kept": round(kept - base_kept, 3),
            "dropped": round(caught - base_caught, 3),
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.claims_history", description=__doc__)
    parser.add_argument("runs", nargs="+", metavar="SET@COMMIT")
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    parser.add_argument("--dumps", help="keep each run's per-claim signals in this folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(args.dumps or tempfile.mkdtemp(prefix="claims-history-"))
    folder.mkdir(parents=True, exist_ok=True)
    by_set: dict[str, list[dict[str, Any]]] = {}
    for run in args.runs:
        path, _at, commit = run.rpartition("@")
        if not path or not commit:
            print(f"error: {run!r} is not SET@COMMIT", file=sys.stderr)
            return 2
        name = Path(path).stem
        out = folder / f"{name}@{commit}.jsonl"
        if not out.exists():
            dump_at(commit, Path(path).resolve(), Path(args.corpus).resolve(), out)
        by_set[name] = [json.loads(line) for line in out.read_text().splitlines() if line]
    body: dict[str, Any] = {
        "rules": {
            n: dict(
                zip(
                    ("kept", "dropped"),
                    shares(rs, lambda r: reason(r, everything) is not None),
                    strict=True,
                )
            )
            for n, rs in by_set.items()
        },
        "reasons": reason_table(by_set),
        "speaker_floor": floor_loso(by_set, "speaker"),
        "gate": gate_loso(by_set),
    }
    if args.json:
        print(json.dumps(body, indent=2))
        return 0
    names = list(by_set)
    print(
        "rules as they were: "
        + ", ".join(
            f"{n} kept {v['kept']:.3f} dropped {v['dropped']:.3f}" for n, v in body["rules"].items()
        )
    )
    print("reason: faithful/unfaithful dropped for it, per set")
    for why, per in sorted(body["reasons"].items()):
        cells = " ".join(f"{'/'.join(map(str, per.get(n, [0, 0]))):>9}" for n in names)
        print(f"{why:12} {cells}")
    for label in ("speaker_floor", "gate"):
        print(f"{label}, left-out set (change in kept / dropped):")
        for n, row in body[label].items():
            print(f"  {n:14} {row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
