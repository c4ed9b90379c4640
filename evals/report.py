"""The eval report: Markdown and HTML with tables and PNG plots, plus per-question rows.

OUT/report.md, OUT/report.html   tables, plots, the worst-answered questions
OUT/plots/*.png                  metrics per configuration, hit@k, latency, per type
OUT/metrics.json                 every metric of every configuration
OUT/results-CONFIG.jsonl         one row per question: answer, scores, what was retrieved
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.runner import (
    HEADLINE,
    LOWER_IS_BETTER,
    WORST,
    badness,
    by_overlap,
    compare,
    fmt,
    per_type,
)

LABELS = {
    "hit@3": "hit@3",
    "mrr": "MRR",
    "passage_hit@3": "passage hit@3",
    "answer_match": "answer match",
    "token_f1": "token F1",
    "citation_validity": "citation validity",
    "citation_precision": "citation precision",
    "citation_recall": "citation recall",
    "refusal_accuracy": "refusal accuracy",
    "false_refusal_rate": "false-refusal rate",
    "latency_p50_ms": "p50 ms",
    "latency_p95_ms": "p95 ms",
    "faithfulness": "faithfulness",
    "answer_relevancy": "answer relevancy",
    "hit@1": "hit@1",
    "hit@5": "hit@5",
    "hit@10": "hit@10",
    "recall@5": "recall@5",
    "passage_mrr": "passage MRR",
    "passage_recall@5": "passage recall@5",
    "accuracy": "accuracy",
    "question_overlap": "question/article word overlap",
}
RETRIEVAL_COLUMNS = (
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "mrr",
    "recall@5",
    "passage_hit@3",
    "passage_mrr",
    "passage_recall@5",
)
ANSWER_COLUMNS = (
    "answer_match",
    "article_cited",
    "median_answer_words",
    "token_f1",
    "citation_validity",
    "citation_precision",
    "citation_recall",
    "refusal_accuracy",
    "false_refusal_rate",
    "accuracy",
    "faithfulness",
    "answer_relevancy",
)
PLOTTED = (
    "hit@3",
    "mrr",
    "passage_hit@3",
    "answer_match",
    "token_f1",
    "citation_precision",
    "citation_recall",
    "refusal_accuracy",
    "false_refusal_rate",
)
CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#1d2430}table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #d4d9e0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}img{max-width:100%;border:1px solid #e3e6ea}
code{background:#f3f4f6;padding:1px 4px;border-radius:3px}h2{border-bottom:1px solid #d4d9e0}
blockquote{color:#47505e;border-left:3px solid #c9ced6;margin:0;padding-left:1em}"""


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def metric_table(runs: dict[str, dict[str, Any]], columns: Sequence[str]) -> str:
    present = [c for c in columns if any(run.get(c) is not None for run in runs.values())]
    return md_table(
        ["config", *(LABELS.get(c, c) for c in present)],
        [[name, *(fmt(c, run.get(c)) for c in present)] for name, run in runs.items()],
    )


# -- plots ------------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_metrics(runs: dict[str, dict[str, Any]], path: Path) -> None:
    """Grouped bars: one group per metric, one bar per configuration."""
    import numpy as np

    plt = _pyplot()
    names = list(runs)
    metrics = [k for k in PLOTTED if any(r.get(k) is not None for r in runs.values())]
    x = np.arange(len(metrics))
    width = 0.8 / max(len(names), 1)
    fig, ax = plt.subplots(figsize=(11, 4.2), dpi=100)
    for i, name in enumerate(names):
        values = [runs[name].get(k) or 0.0 for k in metrics]
        ax.bar(x + (i - (len(names) - 1) / 2) * width, values, width, label=name)
    labels = [LABELS.get(k, k) + (" ↓" if k in LOWER_IS_BETTER else "") for k in metrics]
    ax.set_xticks(x, labels, rotation=20, ha="right")
    ax.set_ylim(0, 1.22)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel("score (↓: lower is better)")
    ax.set_title("Metrics per configuration")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(ncols=min(len(names), 6), fontsize=8, loc="upper center", frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_hit_at_k(rows_by_config: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """Share of answerable questions with a gold article in the top k, k = 1…10."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ks = list(range(1, 11))
    lowest = 1.0
    for name, rows in rows_by_config.items():
        answerable = [r for r in rows if r["answerable"]]
        if not answerable:
            continue
        curve = [
            sum(1 for r in answerable if r["gold_ranks"] and r["gold_ranks"][0] <= k)
            / len(answerable)
            for k in ks
        ]
        ax.plot(ks, curve, marker="o", markersize=3, label=name)
        lowest = min(lowest, curve[0])
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("hit@k (gold article in top k)")
    ax.set_ylim(max(0.0, lowest - 0.05), 1.005)
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Retrieval: hit@k")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_latency(rows_by_config: dict[str, list[dict[str, Any]]], path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    everything = [r["latency_ms"] for rows in rows_by_config.values() for r in rows]
    top = max(everything) if everything else 1.0
    bins = [top * i / 30 for i in range(31)]
    for name, rows in rows_by_config.items():
        ax.hist(
            [r["latency_ms"] for r in rows], bins=bins, histtype="step", linewidth=1.5, label=name
        )
    ax.set_xlabel("warm time per question, timings_ms.total (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency distribution")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_per_type(types_by_config: dict[str, dict[str, dict[str, Any]]], path: Path) -> None:
    """Share correct per question type (answered with an alias, or rightly refused)."""
    import numpy as np

    plt = _pyplot()
    names = list(types_by_config)
    kinds = sorted({k for t in types_by_config.values() for k in t})
    x = np.arange(len(kinds))
    width = 0.8 / max(len(names), 1)
    fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
    for i, name in enumerate(names):
        values = [(types_by_config[name].get(k) or {}).get("correct") or 0.0 for k in kinds]
        ax.bar(x + (i - (len(names) - 1) / 2) * width, values, width, label=name)
    counts = types_by_config[names[0]] if names else {}
    ax.set_xticks(x, [f"{k}\n(n={counts.get(k, {}).get('questions', 0)})" for k in kinds])
    ax.set_ylim(0, 1.22)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel("share correct")
    ax.set_title("Per question type: answered with a gold alias, or rightly refused")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(ncols=min(len(names), 6), fontsize=8, loc="upper center", frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_tradeoff(curves: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """Refusal of unanswerable questions against false refusal of answerable ones, one
    point per refusal threshold."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=100)
    for name, curve in curves.items():
        xs = [p["false_refusal_rate"] or 0.0 for p in curve]
        ys = [p["refusal_accuracy"] or 0.0 for p in curve]
        ax.plot(xs, ys, marker=".", label=name)
        for p in curve[::5]:
            ax.annotate(
                f"{p['threshold']:.2f}",
                (p["false_refusal_rate"] or 0.0, p["refusal_accuracy"] or 0.0),
                fontsize=7,
            )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("false refusal (answerable questions refused)")
    ax.set_ylabel("refusal (unanswerable questions refused)")
    ax.set_title("Refusal against false refusal across thresholds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def near_miss_section(rows_by_config: dict[str, list[dict[str, Any]]], plots: Path) -> list[str]:
    """Per kind of generated near-miss: variants refused, their originals refused; and the
    refusal/false-refusal trade-off across thresholds."""
    from evals.runner import per_variant, tradeoff

    lines: list[str] = []
    variants = {name: per_variant(rows) for name, rows in rows_by_config.items()}
    first = next(iter(rows_by_config))
    if variants[first]:
        lines += [
            "## Near-miss variants by kind",
            "",
            "Each variant is an answerable question changed so that no article answers it "
            "(`evals/nearmiss.py`); refused is the share of variants refused (higher is "
            "better), originals refused the share of the questions they came from that were "
            "refused (lower is better).",
            "",
            md_table(
                ["config", "kind", "variants", "refused", "originals", "originals refused"],
                [
                    [
                        name,
                        kind,
                        v["variants"],
                        fmt("x", v["refused"]),
                        v["originals"],
                        fmt("x", v["originals_refused"]),
                    ]
                    for name, kinds in variants.items()
                    for kind, v in kinds.items()
                ],
            ),
            "",
        ]
    curves = {name: tradeoff(rows) for name, rows in rows_by_config.items()}
    curves = {name: c for name, c in curves.items() if c}
    if curves:
        plot_tradeoff(curves, plots / "tradeoff.png")
        lines += [
            "## Refusal against false refusal",
            "",
            "Had the answerer refused below each threshold of its support score (labels on "
            "the curve), this share of unanswerable questions would be refused and this "
            "share of answerable ones wrongly refused.",
            "",
            "![refusal against false refusal](plots/tradeoff.png)",
            "",
        ]
    return lines


# -- the report -------------------------------------------------------------------------------


def comparison_section(rows_by_config: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Paired differences against the first configuration, with bootstrap intervals."""
    compared = compare(rows_by_config)
    if not compared:
        return []
    first = next(iter(rows_by_config))
    metrics = ["hit@3", "mrr", "answer_match", "accuracy"]
    rows = []
    for name, by_metric in compared.items():
        row: list[Any] = [name]
        for metric in metrics:
            d = by_metric.get(metric)
            row.append(
                "–"
                if d is None
                else f"{d['delta']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}] ({d['changed']} q)"
            )
        rows.append(row)
    return [
        f"### Compared with `{first}`",
        "",
        f"Mean difference from `{first}` over the same questions, with a 95 % paired bootstrap "
        "interval and the number of questions whose score differs. An interval that "
        "contains 0 means the gold set cannot tell the two apart.",
        "",
        md_table(["config", *(LABELS.get(k, k) for k in metrics)], rows),
        "",
    ]


def worst_section(rows: Sequence[dict[str, Any]], count: int = WORST) -> list[str]:
    """The worst-answered questions with their answer and the top passages retrieved."""
    lines: list[str] = []
    for row in sorted(rows, key=badness)[:count]:
        verdict = "refused" if row["refused"] else "answered"
        lines += [f"### {row['id']} ({row['type']}) — {verdict}", ""]
        for earlier in row["context"]:
            lines.append(f"- earlier in the conversation: {cell(earlier)}")
        lines.append(f"- question: **{cell(row['question'])}**")
        if row.get("standalone"):
            lines.append(f"- condensed to: {cell(row['standalone'])}")
        gold = ", ".join(row["answers"]) or "(unanswerable: should refuse)"
        lines.append(
            f"- gold answers: {cell(gold)}; articles: {cell(', '.join(row['article_ids']) or '–')}"
        )
        lines.append(f"- answer: {cell(row['answer'])}")
        if row["correct"]:
            verdict_line = "right"
        elif not row["answerable"]:
            verdict_line = "wrong: should have refused"
        elif row["refused"]:
            verdict_line = "wrong: refused an answerable question"
        else:
            verdict_line = "wrong: no gold answer in the text"
        scores = [verdict_line]
        if row["answerable"]:
            ranks = row.get("gold_ranks") or []
            scores += [
                f"F1 {row['f1']:.2f}",
                f"gold article first at rank {ranks[0]}"
                if ranks
                else "gold article not in the top 10",
            ]
        if row["citation_problems"]:
            scores.append("citation problems: " + "; ".join(row["citation_problems"]))
        lines += [f"- {cell(', '.join(scores))}", ""]
        gold_ids = set(row["article_ids"])
        table_rows = []
        for p in row["retrieved"][:5]:
            snippet = " ".join(p["text"].split())
            table_rows.append(
                [
                    p["rank"],
                    p["vector_rank"] or "–",
                    p["bm25_rank"] or "–",
                    ("**" + p["chunk_id"] + "**") if p["article_id"] in gold_ids else p["chunk_id"],
                    snippet[:220] + ("…" if len(snippet) > 220 else ""),
                ]
            )
        lines += [
            md_table(
                ["rank", "vector", "BM25", "chunk (bold: gold article)", "passage"], table_rows
            ),
            "",
        ]
    return lines


def write_report(
    out_dir: Path,
    gold_path: Path,
    runs: dict[str, dict[str, Any]],
    rows_by_config: dict[str, list[dict[str, Any]]],
    calibration: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Write the report files under `out_dir`; returns their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = out_dir / "plots"
    plots.mkdir(exist_ok=True)
    types_by_config = {name: per_type(rows) for name, rows in rows_by_config.items()}
    plot_metrics(runs, plots / "metrics.png")
    plot_hit_at_k(rows_by_config, plots / "hit_at_k.png")
    plot_latency(rows_by_config, plots / "latency.png")
    plot_per_type(types_by_config, plots / "per_type.png")

    first = next(iter(runs))
    sample = rows_by_config[first]
    kinds = ", ".join(f"{v['questions']} {k}" for k, v in types_by_config[first].items())
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Evaluation report",
        "",
        f"Gold set `{gold_path}`: {len(sample)} questions ({kinds}). "
        f"Configurations: {', '.join(f'`{n}`' for n in runs)}. Run {when}. "
        "Metric definitions: `evals/README.md`.",
        "",
        "## Headline",
        "",
        metric_table(runs, HEADLINE),
        "",
        "![metrics per configuration](plots/metrics.png)",
        "",
        *comparison_section(rows_by_config),
        "## Retrieval",
        "",
        "Over answerable questions. Article level: a passage from a gold article. Passage "
        "level: a passage from a gold article that contains a gold answer.",
        "",
        metric_table(runs, RETRIEVAL_COLUMNS),
        "",
        "![hit@k](plots/hit_at_k.png)",
        "",
        "## Answers, citations and refusals",
        "",
        metric_table(runs, ANSWER_COLUMNS),
        "",
        "## Latency",
        "",
        metric_table(runs, ("latency_p50_ms", "latency_p95_ms")),
        "",
        "![latency](plots/latency.png)",
        "",
        "## Per question type",
        "",
        "Share correct: an answerable question answered with a gold alias, an unanswerable "
        "one refused.",
        "",
    ]
    kinds_all = sorted({k for t in types_by_config.values() for k in t})
    lines += [
        md_table(
            ["type", "n", *types_by_config],
            [
                [
                    k,
                    types_by_config[first].get(k, {}).get("questions", 0),
                    *(
                        fmt("x", types_by_config[n].get(k, {}).get("correct"))
                        for n in types_by_config
                    ),
                ]
                for k in kinds_all
            ],
        ),
        "",
        "![per type](plots/per_type.png)",
        "",
    ]
    overlap = runs[first].get("question_overlap")
    if overlap is not None:
        bands = {name: by_overlap(rows) for name, rows in rows_by_config.items()}
        lines += [
            "## How much the questions reuse their articles' words",
            "",
            f"On average {overlap:.0%} of an answerable question's content words occur in "
            "its gold article. Questions worded like their article are easy for BM25 and for "
            "an extractive answerer; the bands below show how the scores hold up as questions "
            "paraphrase more, which is the better guide to questions real users ask.",
            "",
            md_table(
                [
                    "words shared",
                    "n",
                    *(f"{n} hit@1" for n in bands),
                    *(f"{n} answer match" for n in bands),
                ],
                [
                    [
                        band["band"],
                        band["questions"],
                        *(fmt("x", bands[n][i]["hit@1"]) for n in bands),
                        *(fmt("x", bands[n][i]["answer_match"]) for n in bands),
                    ]
                    for i, band in enumerate(bands[first])
                ],
            ),
            "",
        ]
    lines += near_miss_section(rows_by_config, plots)
    if calibration is not None:
        lines += [
            "## Refusal threshold calibration",
            "",
            f"Best threshold {calibration['best']} (accuracy "
            f"{calibration['accuracy_at_best']:.3f}); the current "
            f"{calibration['current']} gives {calibration['accuracy_at_current']:.3f}; "
            f"chosen on one half and scored on the other: "
            f"{calibration['two_fold_accuracy']:.3f}.",
            "",
            md_table(
                ["threshold", "accuracy", "refusal accuracy", "false refusals", "answer match"],
                [
                    [
                        r["threshold"],
                        fmt("x", r["accuracy"]),
                        fmt("x", r["refusal_accuracy"]),
                        fmt("x", r["false_refusal_rate"]),
                        fmt("x", r["answer_match"]),
                    ]
                    for r in calibration["sweep"]
                ],
            ),
            "",
        ]
    lines += [
        f"## Worst-answered questions (`{first}`)",
        "",
        "Wrong first, then by token F1 and the rank of the first gold passage.",
        "",
    ]
    lines += worst_section(sample)

    markdown = "\n".join(lines) + "\n"
    md_path = out_dir / "report.md"
    md_path.write_text(markdown, encoding="utf-8")
    html_path = out_dir / "report.html"
    html_path.write_text(render_html(markdown), encoding="utf-8")
    (out_dir / "metrics.json").write_text(
        json.dumps({"gold": str(gold_path), "configs": runs, "per_type": types_by_config}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    for name, rows in rows_by_config.items():
        with (out_dir / f"results-{name}.jsonl").open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"markdown": str(md_path), "html": str(html_path), "plots": str(plots)}


def render_html(markdown: str) -> str:
    """Markdown → a standalone HTML page; raw HTML in article text is shown as text."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape('Evaluation report')}</title><style>{CSS}</style></head>"
        f"<body>\n{body}</body></html>\n"
    )
