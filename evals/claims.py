"""Claim verification: does the citation checker keep faithful claims and drop the others?

A claim set is JSON Lines, one claim cited to one passage of the shipped corpus:

    {"id": "c0001", "chunk_id": "lee/lee-286#0", "question": "Who was arrested?",
     "claim": "Malaysian police arrested a 41-year-old man.", "label": "faithful",
     "kind": "paraphrase", "source": "own", "half": "fit"}

`label` is `faithful` or `unfaithful`; `kind` says how an unfaithful claim was made from a
faithful one (`negation`, `antonym`, `speaker`, `role`, `number`, `date`, `entity`,
`invented`) or what a faithful one is (`paraphrase`, `verbatim`, `combined`); `half`
splits the passages in two (`fit`/`held-out`) so that figures can be reported on passages
no rule was tuned on. `evals/claims_gen.py` writes such sets.

`rag eval --claims FILE` runs the checker in-process (no index, no server: the passages
are cut from the corpus the same way ingest cuts them, and the checker weighs words by
their IDF over those passages, as it does over the index) and reports, per kind, the share
of unfaithful claims dropped and of faithful ones kept, the reasons given, and with
`--out DIR` a plot of both shares across the support threshold.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunk import chunk_article
from rag.config import Settings
from rag.embed import Embedder
from rag.errors import BadInputError
from rag.load import discover, load_file
from rag.types import Chunk, Hit
from rag.verify import SUPPORT_THRESHOLD, check
from rag.verify_gate import Gate, Signals

ROOT = Path(__file__).resolve().parent.parent
UNFAITHFUL_KINDS = (
    "negation",
    "antonym",
    "speaker",
    "role",
    "number",
    "date",
    "entity",
    "invented",
)
FAITHFUL_KINDS = ("paraphrase", "verbatim", "combined")
TARGET_DROPPED, TARGET_KEPT = 0.90, 0.90


@dataclass(frozen=True, slots=True)
class ClaimItem:
    """One claim cited to one passage, and whether the passage supports it."""

    id: str
    chunk_id: str
    question: str
    claim: str
    label: str  # "faithful" | "unfaithful"
    kind: str
    source: str = ""  # "helper" | "own" | "sentence"
    half: str = ""  # "fit" | "held-out"
    original: str = ""  # the faithful claim an unfaithful one was made from

    @property
    def faithful(self) -> bool:
        return self.label == "faithful"

    def to_json(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "chunk_id": self.chunk_id,
            "question": self.question,
            "claim": self.claim,
            "label": self.label,
            "kind": self.kind,
            "source": self.source,
            "half": self.half,
        }
        if self.original:
            body["original"] = self.original
        return body


def load_claims(path: Path) -> list[ClaimItem]:
    """The claims of a JSON Lines file; a BadInputError names the first bad line."""
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadInputError(f"cannot read claim set {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            item = ClaimItem(
                id=str(row.get("id", f"line{number}")),
                chunk_id=row["chunk_id"],
                question=row.get("question", ""),
                claim=row["claim"],
                label=row["label"],
                kind=row["kind"],
                source=row.get("source", ""),
                half=row.get("half", ""),
                original=row.get("original", ""),
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise BadInputError(f"{path}:{number}: not a claim ({exc})") from None
        if item.label not in ("faithful", "unfaithful"):
            raise BadInputError(f"{path}:{number}: label must be faithful or unfaithful")
        items.append(item)
    return items


def corpus_chunks(corpus: Path, settings: Settings) -> dict[str, Chunk]:
    """The corpus's passages by chunk id, cut as `rag ingest` cuts them."""
    files, _ignored, _missing = discover([corpus])
    chunks: dict[str, Chunk] = {}
    for f in files:
        for article in load_file(f.path, f.article_id, f.root, settings.max_bytes).articles:
            for chunk in chunk_article(
                article, settings.chunk_tokens, settings.chunk_overlap_sentences
            ):
                chunks[chunk.chunk_id] = chunk
    return chunks


def article_texts(chunks: Iterable[Chunk]) -> dict[str, str]:
    """Each article's text by id, its passages joined in order (overlaps repeated)."""
    parts: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        parts.setdefault(chunk.article_id, []).append(chunk)
    return {a: " ".join(c.text for c in sorted(cs, key=lambda c: c.n)) for a, cs in parts.items()}


def corpus_idf(chunks: Sequence[Chunk]) -> Callable[[str], float]:
    """The checker's word weights over these passages, as the index computes them."""
    from rag.keyword import KeywordIndex

    index = KeywordIndex(None)  # in memory
    index.rebuild(list(chunks))
    return index.idf


@dataclass(frozen=True, slots=True)
class ClaimResult:
    item: ClaimItem
    score: float  # the passage's support score
    rule: str  # a reason that drops the claim whatever the threshold ("" if none)
    reason: str  # the reason given at the threshold in use ("" when kept)
    clause: float = 1.0  # the checker's clause support (verify_rules.clause_support)
    signals: Signals | None = None  # what the rules found, for fitting the gate


class CachedEmbedder:
    """An embedder that remembers passage sentences, which many claims share."""

    def __init__(self, embedder: Embedder) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.dim = embedder.dim
        self.cache: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.inner.embed(missing), strict=True))
        return np.stack([self.cache[t] for t in texts])


def evaluate_claims(
    items: Sequence[ClaimItem],
    chunks: dict[str, Chunk],
    embedder: Embedder,
    idf: Callable[[str], float],
    threshold: float = SUPPORT_THRESHOLD,
    meaning: bool = True,
    gate: Gate | None = None,
) -> list[ClaimResult]:
    """Check each claim against its one passage, cited as [1] (`gate`: the fitted one)."""
    cached = CachedEmbedder(embedder)
    articles = article_texts(chunks.values())
    results = []
    for item in items:
        chunk = chunks.get(item.chunk_id)
        if chunk is None:
            raise BadInputError(f"claim {item.id}: no passage {item.chunk_id} in the corpus")
        hits = [Hit(chunk, 1.0)]
        text = f"{item.claim.rstrip().rstrip('.')} [1]."
        loose = check(
            text,
            hits,
            cached,
            item.question,
            idf,
            threshold=-1.0,
            meaning=meaning,
            articles=articles,
            gate=gate,
        )
        detail = loose.details[0]
        score = detail.scores.get(1, 0.0)
        rule = detail.code
        reason = rule or ("unsupported" if score < threshold else "")
        results.append(
            ClaimResult(item, score, rule, reason, detail.clause.get(1, 1.0), detail.signals.get(1))
        )
    return results


def kept(result: ClaimResult, threshold: float) -> bool:
    return not result.rule and result.score >= threshold


def summarize_claims(
    results: Sequence[ClaimResult], threshold: float = SUPPORT_THRESHOLD
) -> dict[str, Any]:
    """Per kind: how many claims, the share dropped (unfaithful) or kept (faithful), reasons."""
    by_kind: dict[str, list[ClaimResult]] = {}
    for r in results:
        by_kind.setdefault(r.item.kind, []).append(r)
    kinds: dict[str, Any] = {}
    for kind, rows in sorted(by_kind.items(), key=lambda kv: _kind_order(kv[0])):
        faithful = rows[0].item.faithful
        good = sum(kept(r, threshold) == faithful for r in rows)
        reasons = Counter(r.reason for r in rows if r.reason)
        kinds[kind] = {
            "label": "faithful" if faithful else "unfaithful",
            "claims": len(rows),
            "kept" if faithful else "dropped": round(good / len(rows), 3),
            "reasons": dict(reasons.most_common()),
        }
    faithful_rows = [r for r in results if r.item.faithful]
    unfaithful_rows = [r for r in results if not r.item.faithful]
    return {
        "claims": len(results),
        "threshold": threshold,
        "faithful_kept": _share(faithful_rows, lambda r: kept(r, threshold)),
        "unfaithful_dropped": _share(unfaithful_rows, lambda r: not kept(r, threshold)),
        "kinds": kinds,
    }


def _share(rows: Sequence[ClaimResult], test: Callable[[ClaimResult], bool]) -> float | None:
    return round(sum(map(test, rows)) / len(rows), 3) if rows else None


def _kind_order(kind: str) -> tuple[int, str]:
    order = [*FAITHFUL_KINDS, *UNFAITHFUL_KINDS]
    return (order.index(kind) if kind in order else len(order), kind)


def sweep(results: Sequence[ClaimResult]) -> list[dict[str, float]]:
    """Faithful kept and unfaithful dropped at each support threshold from 0.30 to 0.90."""
    faithful = [r for r in results if r.item.faithful]
    unfaithful = [r for r in results if not r.item.faithful]
    points = []
    for step in range(30, 91, 2):
        t = step / 100
        kept_good = sum(kept(r, t) for r in faithful) / max(len(faithful), 1)
        dropped_bad = sum(not kept(r, t) for r in unfaithful) / max(len(unfaithful), 1)
        points.append(
            {
                "threshold": t,
                "faithful_kept": round(kept_good, 3),
                "unfaithful_dropped": round(dropped_bad, 3),
            }
        )
    return points


def plot_tradeoff(points: Sequence[dict[str, float]], path: Path, threshold: float) -> None:
    """Both shares against the threshold, with the one in use marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    xs = [p["threshold"] for p in points]
    ax.plot(xs, [p["faithful_kept"] for p in points], label="faithful kept")
    ax.plot(xs, [p["unfaithful_dropped"] for p in points], label="unfaithful dropped")
    ax.axvline(threshold, color="grey", linestyle=":", label=f"in use ({threshold:g})")
    ax.axhline(TARGET_KEPT, color="lightgrey", linewidth=0.8)
    ax.set_xlabel("support threshold")
    ax.set_ylabel("share of claims")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left")
    ax.set_title("Citation checker: faithful kept vs unfaithful dropped")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table_lines(summary: dict[str, Any]) -> list[str]:
    lines = [f"{'kind':<12} {'label':<11} {'claims':>6} {'share':>6}  reasons"]
    for kind, row in summary["kinds"].items():
        share = row.get("kept", row.get("dropped"))
        what = "kept" if row["label"] == "faithful" else "dropped"
        reasons = ", ".join(f"{k} {v}" for k, v in row["reasons"].items())
        lines.append(
            f"{kind:<12} {row['label']:<11} {row['claims']:>6} {share:>6.3f}  {what}; {reasons}"
        )
    lines.append(
        f"all: faithful kept {summary['faithful_kept']}, "
        f"unfaithful dropped {summary['unfaithful_dropped']} (threshold {summary['threshold']})"
    )
    return lines


def main(args: Any, settings: Settings) -> int:
    """`rag eval --claims FILE [--json] [--out DIR] [--corpus DIR]`."""
    from rag.pipeline import build_embedder

    path = Path(args.claims)
    items = load_claims(path)
    if getattr(args, "limit", None):
        items = items[: args.limit]
    corpus = Path(getattr(args, "corpus", None) or ROOT / "corpus")
    started = time.perf_counter()
    chunks = corpus_chunks(corpus, settings)
    results = evaluate_claims(
        items, chunks, build_embedder(settings), corpus_idf(list(chunks.values()))
    )
    seconds = time.perf_counter() - started
    body: dict[str, Any] = {"claims_file": str(path), "seconds": round(seconds, 1)}
    body["all"] = summarize_claims(results)
    halves = sorted({r.item.half for r in results if r.item.half})
    for half in halves:
        body[half] = summarize_claims([r for r in results if r.item.half == half])
    points = sweep(results)
    body["sweep"] = points
    if getattr(args, "out", None):
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        plot = out / "claims-tradeoff.png"
        plot_tradeoff(points, plot, SUPPORT_THRESHOLD)
        missed = [
            {
                **r.item.to_json(),
                "score": round(r.score, 3),
                "reason": r.reason,
                "clause": round(r.clause, 3),
            }
            for r in results
            if kept(r, SUPPORT_THRESHOLD) != r.item.faithful
        ]
        (out / "claims-scored.jsonl").write_text(
            "".join(
                json.dumps(
                    {**r.item.to_json(), "score": r.score, "rule": r.rule, "clause": r.clause}
                )
                + "\n"
                for r in results
            ),
            encoding="utf-8",
        )
        (out / "claims-missed.jsonl").write_text(
            "".join(json.dumps(m) + "\n" for m in missed), encoding="utf-8"
        )
        body["report"] = {"plot": str(plot), "missed": str(out / "claims-missed.jsonl")}
    if getattr(args, "json", False):
        print(json.dumps(body, indent=2))
    else:
        print(f"{len(items)} claims from {path}, {seconds:.0f} s")
        for name in ["all", *halves]:
            print(f"\n[{name}]")
            print("\n".join(table_lines(body[name])))
        if "report" in body:
            print(f"\nplot: {body['report']['plot']}", file=sys.stdout)
    return 0
