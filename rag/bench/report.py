"""The bench's targets and its Markdown tables (what the README's Performance section shows)."""

from __future__ import annotations

from typing import Any


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []

    def check(name: str, value: Any, target: str, met: bool | None) -> None:
        checks.append({"figure": name, "value": value, "target": target, "met": met})

    corpus = report.get("corpus")
    if corpus:
        ratio = corpus["ingest"]["throughput_ratio_to_bare"]
        check("ingest throughput / bare model", ratio, ">= 0.9", ratio is not None and ratio >= 0.9)
        same = corpus["ingest"].get("ratio_to_bare_same_texts")
        check(
            "ingest / bare model on the texts ingest embeds (passages, answer sentences and words)",
            same,
            ">= 0.9",
            same is not None and same >= 0.9,
        )
        over = corpus["ingest"]["time_over_bare"]
        check(
            "ingest time / bare model time",
            over,
            "<= 1.5 (aim 1.1)",
            over is not None and over <= 1.5,
        )
        check(
            "re-ingest unchanged corpus (s)",
            corpus["reingest_seconds"],
            "< 2",
            corpus["reingest_seconds"] < 2,
        )
    for row in report.get("synthetic", []):
        limit = 50 if row["passages"] <= 10_000 else 150
        p50 = row["query_ms"]["total"]["p50"]
        check(f"query p50 at {row['passages']} passages (ms)", p50, f"< {limit}", p50 < limit)
        if row["passages"] >= 100_000:
            rss = row["serve_peak_rss_mb"]
            check(f"serving memory at {row['passages']} passages (MB)", rss, "< 1024", rss < 1024)
    return checks


def _ms(figures: dict[str, Any], key: str) -> str:
    part = figures["query_ms"][key]
    return f"{part['p50']:.1f} / {part['p95']:.1f}"


def render(report: dict[str, Any]) -> str:
    """The figures as Markdown tables (what the README's Performance section shows)."""
    m = report["machine"]
    lines = [
        f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gb']} GB RAM, no GPU; "
        f"Python {m['python']}, onnxruntime {m['onnxruntime']}, chromadb {m['chromadb']}; "
        f"load average {m['load_average_at_start']} at start, "
        f"{m.get('load_average_at_end')} at end.",
        "",
    ]
    c = report.get("corpus")
    if c:
        lines += [
            f"Shipped corpus: {c['articles']} articles, {c['passages']} passages, "
            f"{c['tokens']} tokens",
            "",
            "| figure | value |",
            "|---|---|",
            f"| bare model (MiniLM int8) | {c['bare_model']['seconds']} s, "
            f"{c['bare_model']['tokens_per_second']} tokens/s |",
            f"| ingest (load, chunk, embed, write, BM25) | {c['ingest']['seconds']} s, "
            f"{c['ingest']['tokens_per_second']} tokens/s |",
            f"| ingest throughput / bare model | {c['ingest']['throughput_ratio_to_bare']} |",
            f"| bare model on the passages' sentences and words "
            f"({c['bare_model_all']['answer_texts']} texts) | "
            f"{c['bare_model_all']['answer_texts_seconds']} s |",
            f"| ingest / bare model on the same texts | "
            f"{c['ingest']['ratio_to_bare_same_texts']} |",
            f"| re-ingest, unchanged corpus | {c['reingest_seconds']} s "
            f"(`rag ingest` process: {c['reingest_cli']['process_wall_seconds']} s wall) |",
            f"| query retrieve p50 / p95 | {_ms(c, 'retrieve')} ms |",
            f"| query answer p50 / p95 | {_ms(c, 'answer')} ms |",
            f"| query total p50 / p95 | {_ms(c, 'total')} ms |",
            f"| start-up to first answer (`rag ask`) | {c['startup_to_first_answer_seconds']} s |",
            f"| peak RSS: bench process / `rag ask` | {c['peak_rss_mb']} MB / "
            f"{c['ask_process_peak_rss_mb']} MB |",
            f"| index on disk | {c['index_mb']} MB |",
            "",
        ]
    rows = report.get("synthetic", [])
    if rows:
        lines += [
            "| passages | vectors | build s (write Chroma / BM25) | retrieve p50/p95 ms | "
            "answer p50/p95 ms | total p50/p95 ms | serving RSS MB | index MB |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['passages']} | {r['vectors']} | {r['build_seconds']} "
                f"({r['write_chroma_seconds']} / {r['bm25_seconds']}) | {_ms(r, 'retrieve')} | "
                f"{_ms(r, 'answer')} | {_ms(r, 'total')} | {r['serve_peak_rss_mb']} | "
                f"{r['index_mb']} |"
            )
        lines.append("")
    checks = report.get("targets", [])
    if checks:
        lines += ["| target | value | goal | met |", "|---|---|---|---|"]
        for t in checks:
            lines.append(
                f"| {t['figure']} | {t['value']} | {t['target']} | {'yes' if t['met'] else 'no'} |"
            )
        lines.append("")
    lines += [f"- {note}" for note in report.get("notes", [])]
    return "\n".join(lines)
