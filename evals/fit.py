"""`rag eval --fit`: fit the answerer's refusal threshold(s) by k-fold cross-validation.

    rag eval --fit --min-refusal 0.8   # news, holdout, starter, nearmiss, paraphrase, blind4/5-dev
    rag eval --fit --folds 10 --sets news,nearmiss --no-write --json
    rag eval --fit --sets news,holdout,/elsewhere/blind.jsonl --no-write   # a set by path

Every question of the gold sets is retrieved once (its passages and vector cached).
The answerer then answers the cached passages once per point of a small grid over its
support weights (`support_soft`, `soft_similarity`: no retrieval, sentence vectors
cached across points), with the support threshold off, recording per question its
support, whether it refused anyway (an ungrounded part), whether the answer holds a gold
alias, cites a gold article, and how long it is. The support threshold is then swept by
arithmetic over those records, so the whole fit costs one retrieval pass and a few
answering passes.

Fitting: the questions are split into k folds by *group* (a generated near-miss or a
paraphrase goes with the question it was made from, so no fold is scored on variants of
questions it was fitted on); for each fold the parameters are chosen on the other k-1
folds and scored on it. The figures reported are those held-out-fold scores, never the
training ones. The values written to the weights file are then chosen on all questions.

The objective is balanced: the mean of (answerable questions answered with a gold
alias) and (unanswerable questions refused, averaged over the gold sets), so the 300-odd
generated near-misses outvote neither the answerable questions nor the hand-written
unanswerable ones, under a cap on false refusals (`--max-false-refusals`,
0.08 by default: the issue's bound on refusing the near-misses' originals). Every point of
false refusal above the cap costs ten points of objective, so when no value meets the cap
the least-bad one wins. `--min-refusal R` adds a floor the same way: every point of
(unanswerable refused, averaged over the sets) under R costs ten points, so the
threshold cannot fall until the hand-written unanswerable questions are answered.

Parameters fitted (rag/answer/weights.json, `weights`): `refuse_below` (swept over
the records) and `support_soft`, `soft_similarity` (one answering pass per grid point;
`ground_share` and `ground_similarity` were fitted so before and keep their values).
Another weight of `rag.answer.weights.Weights` joins by adding a `Param` to `REANSWERED`
(costs a pass per value) or, when it acts on recorded features only, to `SWEPT`.
"""

from __future__ import annotations

import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from evals import metrics as m
from evals.gold import GoldItem, load_gold
from rag.errors import BadInputError

HERE = Path(__file__).resolve().parent
DEFAULT_SETS = (
    "news",
    "holdout",
    "starter",
    "nearmiss",
    "paraphrase",
    "blind4-dev",
    "blind5-dev",
)
DEFAULT_FOLDS = 5
MAX_FALSE_REFUSALS = 0.08
MIN_REFUSAL = 0.0  # off unless asked (`--min-refusal`)
OVER_CAP_COST = 10.0


@dataclass(frozen=True, slots=True)
class Sample:
    """What one question's answer would be at any threshold (refusal off when recorded)."""

    set: str
    id: str
    group: str
    answerable: bool
    support: float
    blocked: bool  # refused whatever the threshold: an ungrounded part, no passages
    matched: bool  # the unrefused answer holds a gold alias
    cited: bool  # ... and cites a gold article
    words: int


@dataclass(frozen=True, slots=True)
class Param:
    """A fitted value: its name in the weights file, section, and the grid searched."""

    name: str
    section: str
    grid: tuple[float, ...]


REFUSE_BELOW = Param("refuse_below", "weights", tuple(round(0.2 + 0.01 * i, 2) for i in range(61)))
PARAMS = (REFUSE_BELOW,)  # swept over recorded support
SWEPT = PARAMS
REANSWERED = (
    Param("support_soft", "weights", (0.0, 0.6, 0.9)),
    Param("soft_similarity", "weights", (0.45, 0.5)),
)


def refused(sample: Sample, values: dict[str, float]) -> bool:
    return sample.blocked or sample.support < values["refuse_below"]


@dataclass
class Scores:
    answerable: int = 0
    unanswerable: int = 0
    matched: int = 0
    cited: int = 0
    false_refusals: int = 0
    refused: int = 0
    words: list[int] = field(default_factory=list)

    def add(self, sample: Sample, is_refused: bool) -> None:
        if sample.answerable:
            self.answerable += 1
            if is_refused:
                self.false_refusals += 1
            else:
                self.matched += sample.matched
                self.cited += sample.cited
                self.words.append(sample.words)
        else:
            self.unanswerable += 1
            self.refused += is_refused

    def figures(self) -> dict[str, float | int | None]:
        def share(n: int, d: int) -> float | None:
            return n / d if d else None

        return {
            "answerable": self.answerable,
            "unanswerable": self.unanswerable,
            "answer_match": share(self.matched, self.answerable),
            "article_cited": share(self.cited, self.answerable),
            "false_refusal_rate": share(self.false_refusals, self.answerable),
            "refusal_accuracy": share(self.refused, self.unanswerable),
            "median_answer_words": statistics.median(self.words) if self.words else None,
        }


def score(samples: Sequence[Sample], values: dict[str, float]) -> Scores:
    out = Scores()
    for s in samples:
        out.add(s, refused(s, values))
    return out


def objective(
    samples: Sequence[Sample],
    values: dict[str, float],
    cap: float = MAX_FALSE_REFUSALS,
    floor: float = MIN_REFUSAL,
) -> float:
    """Balanced: mean of (answerable answered right) and (unanswerable refused, averaged
    over the gold sets so the hundreds of generated near-misses count as one set beside the
    hand-written ones), less ten times any false refusal above `cap` and ten times any
    shortfall of that averaged refusal under `floor` (a cap alone lets the threshold fall
    until the hand-written unanswerable questions are answered)."""
    figures = score(samples, values).figures()
    by_set: dict[str, list[Sample]] = {}
    for s in samples:
        if not s.answerable:
            by_set.setdefault(s.set, []).append(s)
    refusal = [sum(refused(s, values) for s in group) / len(group) for group in by_set.values()]
    parts = [figures["answer_match"]] if isinstance(figures["answer_match"], float) else []
    mean_refused = sum(refusal) / len(refusal) if refusal else 1.0
    if refusal:
        parts.append(mean_refused)
    value = sum(parts) / len(parts) if parts else 0.0
    false_refusals = figures["false_refusal_rate"]
    if isinstance(false_refusals, float) and false_refusals > cap:
        value -= OVER_CAP_COST * (false_refusals - cap)
    if mean_refused < floor:
        value -= OVER_CAP_COST * (floor - mean_refused)
    return value


def choose(
    samples: Sequence[Sample],
    params: Sequence[Param] = PARAMS,
    cap: float = MAX_FALSE_REFUSALS,
    floor: float = MIN_REFUSAL,
) -> dict[str, float]:
    """The grid point with the best objective (coordinate-wise, the middle of a plateau)."""
    values = {p.name: p.grid[len(p.grid) // 2] for p in params}
    for _ in range(2):  # coordinate ascent; one pass is exact for a single parameter
        for p in params:
            results = [objective(samples, {**values, p.name: g}, cap, floor) for g in p.grid]
            top = max(results)
            winners = [g for g, r in zip(p.grid, results, strict=True) if r >= top - 1e-12]
            values[p.name] = winners[len(winners) // 2]
    return values


class Grouped(Protocol):
    @property
    def group(self) -> str: ...


G = TypeVar("G", bound=Grouped)


def folds_of(samples: Sequence[G], k: int, seed: int = 14) -> list[list[G]]:
    """k folds by group, shuffled with a fixed seed, as even as the groups allow (the
    answer fit's samples and the retrieval fit's recorded questions alike)."""
    groups = sorted({s.group for s in samples})
    random.Random(seed).shuffle(groups)
    which = {g: i % k for i, g in enumerate(groups)}
    folds: list[list[G]] = [[] for _ in range(k)]
    for s in samples:
        folds[which[s.group]].append(s)
    return [f for f in folds if f]


def cross_validate(
    samples: Sequence[Sample],
    k: int,
    params: Sequence[Param] = PARAMS,
    cap: float = MAX_FALSE_REFUSALS,
    floor: float = MIN_REFUSAL,
) -> dict[str, Any]:
    """Held-out-fold figures: each fold scored with values chosen on the others."""
    if k < 2:
        raise BadInputError("--folds must be at least 2")
    folds = folds_of(samples, k)
    held = Scores()
    by_set: dict[str, Scores] = {}
    chosen = []
    for i, fold in enumerate(folds):
        train = [s for j, f in enumerate(folds) if j != i for s in f]
        values = choose(train, params, cap, floor)
        chosen.append(values)
        for s in fold:
            r = refused(s, values)
            held.add(s, r)
            by_set.setdefault(s.set, Scores()).add(s, r)
    return {
        "folds": len(folds),
        "chosen_per_fold": chosen,
        "held_out": held.figures(),
        "held_out_by_set": {name: sc.figures() for name, sc in sorted(by_set.items())},
    }


# -- recording the features -------------------------------------------------------------------


def group_of(set_name: str, item: GoldItem) -> str:
    return item.original or f"{set_name}:{item.id}"


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One question's retrieval, done once for every answering pass."""

    set: str
    item: GoldItem
    hits: tuple[Any, ...]
    vector: Any
    standalone: str | None


def retrieve_all(
    pipeline: Any, sets: dict[str, list[GoldItem]], quiet: bool = False
) -> list[Retrieved]:
    """Every distinct question's passages and vector (follow-ups after their context)."""
    from tqdm import tqdm

    from evals.runner import retrieve_standalone

    seen: set[str] = set()
    work = []
    for name, items in sets.items():
        for item in items:
            key = f"{item.question}\x00{'|'.join(item.context)}"
            if key in seen:  # the starter and near-miss sets repeat news questions
                continue
            seen.add(key)
            work.append((name, item))
    out = []
    for name, item in tqdm(work, desc="retrieve", unit="q", file=sys.stderr, disable=quiet):
        hits, vector, standalone = retrieve_standalone(pipeline, item)
        out.append(Retrieved(name, item, tuple(hits), vector, standalone))
    return out


def answer_all(answerer: Any, retrieved: Sequence[Retrieved], weights: Any) -> list[Sample]:
    """Answer every cached question with `weights` (support threshold off), recording what
    any threshold would make of it."""
    answerer.weights = replace(weights, refuse_below=float("-inf"))
    samples = []
    for r in retrieved:
        item = r.item
        reply = answerer.respond(item.question, list(r.hits), r.vector, r.standalone)
        answer, decision = reply.answer, reply.decision
        matched = not answer.refused and m.contains_alias(answer.answer, item.answers)
        cited = not answer.refused and any(
            c.article_id in item.article_ids for c in answer.citations
        )
        samples.append(
            Sample(
                r.set,
                item.id,
                group_of(r.set, item),
                item.answerable,
                float(decision.support),
                bool(answer.refused),  # with the threshold off, only an ungrounded part
                matched,
                cited,
                0 if answer.refused else m.answer_words(answer.answer),
            )
        )
    return samples


Point = tuple[float, ...]


def grid_points(params: Sequence[Param] = REANSWERED) -> list[Point]:
    points: list[Point] = [()]
    for p in params:
        points = [(*point, g) for point in points for g in p.grid]
    return points


def choose_point(
    runs: dict[Point, list[Sample]],
    keep: Sequence[int] | None = None,
    cap: float = MAX_FALSE_REFUSALS,
    floor: float = MIN_REFUSAL,
) -> tuple[Point, dict[str, float], float]:
    """The grid point and threshold with the best objective on the samples at `keep`."""
    best: tuple[Point, dict[str, float], float] | None = None
    for point, samples in runs.items():
        part = samples if keep is None else [samples[i] for i in keep]
        values = choose(part, cap=cap, floor=floor)
        value = objective(part, values, cap, floor)
        if best is None or value > best[2] + 1e-12:
            best = (point, values, value)
    assert best is not None
    return best


def cross_validate_points(
    runs: dict[Point, list[Sample]],
    k: int,
    cap: float = MAX_FALSE_REFUSALS,
    floor: float = MIN_REFUSAL,
) -> dict[str, Any]:
    """Held-out-fold figures when the grid point and threshold are both chosen on the
    other folds."""
    if k < 2:
        raise BadInputError("--folds must be at least 2")
    first = next(iter(runs.values()))
    index = {id(s): i for i, s in enumerate(first)}
    folds = [[index[id(s)] for s in fold] for fold in folds_of(first, k)]
    held = Scores()
    by_set: dict[str, Scores] = {}
    chosen = []
    for i, fold in enumerate(folds):
        train = [j for f, other in enumerate(folds) if f != i for j in other]
        point, values, _ = choose_point(runs, train, cap, floor)
        chosen.append({**dict(zip(REANSWERED_NAMES, point, strict=True)), **values})
        for j in fold:
            sample = runs[point][j]
            r = refused(sample, values)
            held.add(sample, r)
            by_set.setdefault(sample.set, Scores()).add(sample, r)
    return {
        "folds": len(folds),
        "chosen_per_fold": chosen,
        "held_out": held.figures(),
        "held_out_by_set": {name: sc.figures() for name, sc in sorted(by_set.items())},
    }


REANSWERED_NAMES = tuple(p.name for p in REANSWERED)


def gold_path(gold_dir: Path, name: str) -> Path:
    """A set named under evals/gold ("news"), or given by path ("/data/blind.jsonl"): sets
    that must stay outside the repository (others' copyright) join a fit so."""
    if name.endswith(".jsonl") or "/" in name:
        return Path(name).expanduser()
    return gold_dir / f"{name}.jsonl"


def fit(
    pipeline: Any,
    gold_dir: Path,
    set_names: Sequence[str] = DEFAULT_SETS,
    k: int = DEFAULT_FOLDS,
    quiet: bool = False,
    cap: float = MAX_FALSE_REFUSALS,
    floor: float = MIN_REFUSAL,
) -> dict[str, Any]:
    """Retrieve once, answer once per grid point, cross-validate, choose on everything."""
    sets = {}
    for name in set_names:
        path = gold_path(gold_dir, name)
        if not path.exists():
            raise BadInputError(f"no gold set {path}")
        sets[path.stem if path.stem not in sets else str(path)] = load_gold(path)
    answerer = getattr(pipeline, "extractive", None)
    if pipeline.llm is not None or answerer is None or not hasattr(answerer, "respond"):
        raise BadInputError("--fit tunes the offline extractive answerer (RAG_LLM unset)")
    original = answerer.weights
    current = {
        **{name: float(getattr(original, name)) for name in REANSWERED_NAMES},
        "refuse_below": float(original.refuse_below),
    }
    retrieved = retrieve_all(pipeline, sets, quiet=quiet)
    runs: dict[Point, list[Sample]] = {}
    try:
        for point in grid_points():
            if not quiet:
                shown = dict(zip(REANSWERED_NAMES, point, strict=True))
                print(f"fit: answering at {shown}", file=sys.stderr)
            weights = original.updated(dict(zip(REANSWERED_NAMES, point, strict=True)))
            runs[point] = answer_all(answerer, retrieved, weights)
        current_point = tuple(current[name] for name in REANSWERED_NAMES)
        if current_point not in runs:
            runs[current_point] = answer_all(answerer, retrieved, original)
    finally:
        answerer.weights = original
    result = cross_validate_points(runs, k, cap, floor)
    point, values, _ = choose_point(runs, None, cap, floor)
    fitted = {**dict(zip(REANSWERED_NAMES, point, strict=True)), **values}
    result.update(
        questions=len(retrieved),
        sets=list(set_names),
        max_false_refusals=cap,
        min_refusal=floor,
        current=current,
        current_figures=score(runs[current_point], current).figures(),
        fitted=fitted,
        fitted_training_figures=score(runs[point], values).figures(),
        samples=[asdict(s) for s in runs[point]],
    )
    return result


def write(
    values: dict[str, float], note: dict[str, Any] | None = None, path: Path | None = None
) -> Path:
    """Write fitted values into the answerer's weights file (rag/answer/weights.json),
    keeping every other value and section in it."""
    from rag.answer.weights import FITTED, Weights

    target = path or FITTED
    fitted = Weights.load(target).updated(values)
    return fitted.save(target, note=note)


def summary_lines(result: dict[str, Any]) -> list[str]:
    def fmt(v: Any) -> str:
        return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))

    columns = (
        "answer_match",
        "article_cited",
        "false_refusal_rate",
        "refusal_accuracy",
        "median_answer_words",
    )
    lines = [
        f"fit: {result['questions']} questions from {', '.join(result['sets'])}, "
        f"{result['folds']}-fold cross-validation by question group, false refusals capped "
        f"at {result.get('max_false_refusals', MAX_FALSE_REFUSALS)}"
        + (f", refusal floor {result['min_refusal']}" if result.get("min_refusal") else ""),
        f"chosen per fold: {', '.join(str(v) for v in result['chosen_per_fold'])}",
        "held-out-fold figures (each fold scored with values fitted on the others):",
        "  " + "  ".join(["set".ljust(11), *columns]),
    ]
    rows = {**result["held_out_by_set"], "all": result["held_out"]}
    for name, figures in rows.items():
        lines.append(
            "  " + "  ".join([name.ljust(11), *(fmt(figures[c]).ljust(len(c)) for c in columns)])
        )
    lines.append(f"fitted on all questions: {result['fitted']} (was {result['current']})")
    return lines
