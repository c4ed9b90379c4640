"""Turn the gold sets people bring into our JSON Lines format.

    python -m evals.importers squad dev-v2.0.json --out gold.jsonl --articles-out squad-articles/
    python -m evals.importers csv questions.csv --out gold.jsonl [--corpus-root corpus]

Then `rag ingest squad-articles/` (for SQuAD) and `rag eval --gold gold.jsonl`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from evals.gold import import_csv, import_squad, type_counts, write_gold
from rag.errors import RagError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evals.importers", description="Convert a Q&A set into gold JSON Lines."
    )
    parser.add_argument("format", choices=("squad", "csv"), help="the input's format")
    parser.add_argument("file", help="the SQuAD JSON or question,answer,source CSV file")
    parser.add_argument("--out", "-o", required=True, metavar="FILE", help="gold JSONL to write")
    parser.add_argument(
        "--articles-out",
        metavar="DIR",
        help="squad: write each paragraph as DIR/{article_id}.txt, ready for `rag ingest DIR`",
    )
    parser.add_argument(
        "--corpus-root",
        default="corpus",
        help="csv: folder prefix stripped from source paths to make article ids (corpus)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.format == "squad":
            articles_out = Path(args.articles_out) if args.articles_out else None
            items = import_squad(args.file, articles_out)
        else:
            items = import_csv(args.file, corpus_root=args.corpus_root)
        count = write_gold(items, args.out)
    except RagError as exc:
        print(f"import: {exc}", file=sys.stderr)
        return exc.exit_code
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(type_counts(items).items()))
    print(f"wrote {count} questions ({kinds}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
