"""The `rag` command: one subcommand per front door, errors as exit codes.

Exit codes: 0 ok, 2 bad usage or bad input, 3 index missing or empty, 4 backend failure.
Expected failures print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rag.config import Settings, load_settings, prepare_offline_caches
from rag.errors import BadInputError, RagError
from rag.render import format_answer

if TYPE_CHECKING:
    from rag.answerlog import LoggedPipeline
    from rag.pipeline import Pipeline


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    for flag, field in (
        ("max_bytes", "max_bytes"),
        ("wait", "lock_wait"),
        ("k", "top_k"),
        ("fetch_rate", "fetch_rate"),  # rag ingest/sync --rate
        ("fetch_timeout", "fetch_timeout"),  # rag ingest/sync --timeout
    ):
        value = getattr(args, flag, None)
        if value is not None:
            overrides[field] = value
    return load_settings(**overrides)


# -- commands -------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from rag.fetch import is_url
    from rag.ingest import ingest
    from rag.pipeline import build_embedder

    settings = _settings(args)
    report = ingest(
        [Path(p) for p in args.paths if not is_url(p)],
        settings,
        lambda: build_embedder(settings),
        prune=args.prune,
        quiet=args.quiet,
        urls=[p for p in args.paths if is_url(p)],
    )
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(
            f"{_n(report.articles, 'article')} read, {report.skipped} unchanged, "
            f"{_n(report.chunks, 'chunk')} ({report.embedded} embedded), {report.removed} removed, "
            f"{len(report.failed)} failed, {report.ignored} ignored in {report.seconds:.1f} s"
        )
    for path, error in report.failed:
        print(f"failed: {path}: {error}", file=sys.stderr)
    if report.failed and report.articles == 0:
        return 2
    return 0


def _n(count: int, word: str) -> str:
    """'1 article', '2 articles'."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _open_pipeline(settings: Settings) -> Pipeline:
    from rag.pipeline import build_pipeline

    return build_pipeline(settings)


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.batch is None and not args.question:
        raise BadInputError('give a question: rag ask "What did Kallas say about Article 5?"')
    from rag.dates import DateRange

    dates = DateRange.parse(args.since, args.until)  # bad dates: exit 2 before loading
    if args.batch is not None:
        stream = sys.stdin if args.batch == "-" else _open_text(args.batch)
        questions = [line.strip() for line in stream if line.strip()]
    started = time.perf_counter()
    pipeline: Pipeline | LoggedPipeline = _open_pipeline(settings)
    load_ms = (time.perf_counter() - started) * 1000
    if args.log:  # the CLI logs only when asked to
        from rag.answerlog import AnswerLog

        pipeline = AnswerLog.for_pipeline(pipeline).logging(pipeline, door="cli")
    if args.batch is not None:
        for i, question in enumerate(questions):
            try:
                answer = pipeline.ask(question, k=args.k, dates=dates)
            except BadInputError as exc:
                print(f"line {i + 1}: {exc}", file=sys.stderr)
                from rag.answer import refusal

                answer = refusal(question)
            body = answer.to_json()
            if i == 0:
                body["timings_ms"]["load"] = round(load_ms, 2)
            print(json.dumps(body, ensure_ascii=False), flush=True)
        return 0
    question = " ".join(args.question)
    if args.json:
        answer = pipeline.ask(question, k=args.k, dates=dates)
        body = answer.to_json()
        body["timings_ms"]["load"] = round(load_ms, 2)
        print(json.dumps(body, ensure_ascii=False))
        return 0
    # On a terminal, a generated answer streams as a dim draft while the model writes; the
    # draft is then erased and replaced by the checked answer (claims the citation checker
    # dropped must not stay on screen). Pipes get only the checked answer.
    streaming = pipeline.mode == "llm" and sys.stdout.isatty()
    printed: list[str] = []

    def show(token: str) -> None:
        if not printed:
            sys.stdout.write("\033[2m")
        printed.append(token)
        sys.stdout.write(token)
        sys.stdout.flush()

    try:
        answer = pipeline.ask(question, k=args.k, on_token=show if streaming else None, dates=dates)
    finally:
        if printed:
            sys.stdout.write("\033[0m" + _erase_draft("".join(printed)))
            sys.stdout.flush()
    print(format_answer(answer))
    if answer.id:
        print(f"rag: logged as answer {answer.id} (rag feedback show {answer.id})", file=sys.stderr)
    return 0


def _erase_draft(draft: str) -> str:
    """Terminal codes that move the cursor back to where `draft` began and clear from there."""
    import math
    import shutil

    width = max(shutil.get_terminal_size().columns, 1)
    rows = sum(max(1, math.ceil(len(line) / width)) for line in draft.split("\n"))
    up = f"\033[{rows - 1}A" if rows > 1 else ""
    return f"\r{up}\033[J"


def _open_text(path: str) -> TextIO:
    try:
        return open(path, encoding="utf-8")  # noqa: SIM115 - read fully by the caller
    except OSError as exc:
        raise BadInputError(f"cannot read {path}: {exc.strerror}") from None


def cmd_sync(args: argparse.Namespace) -> int:
    from rag.pipeline import build_embedder
    from rag.sync import main as sync_main

    settings = _settings(args)
    return sync_main(
        args.sources, settings, lambda: build_embedder(settings), args.every, quiet=args.quiet
    )


def cmd_stats(args: argparse.Namespace) -> int:
    from rag.store import ChromaStore

    settings = _settings(args)
    store = ChromaStore(settings)
    articles, chunks = store.count_articles(), store.count_chunks()
    body = {
        "articles": articles,
        "chunks": chunks,
        "index": str(settings.index_dir),
        "store": settings.store_label,
    }
    if args.json:
        print(json.dumps(body))
    else:
        print(
            f"{_n(articles, 'article')}, {_n(chunks, 'chunk')} in {body['index']} ({body['store']})"
        )
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from rag.ingest import delete

    removed = delete(args.article_ids, _settings(args))
    if not removed:
        wanted = ", ".join(args.article_ids)
        print(f"error: no article with id {wanted} in the index", file=sys.stderr)
        return 2
    print(f"removed {removed} of {_n(len(args.article_ids), 'article')}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if getattr(args, "claims", None):  # the citation checker on a claim set (evals/claims.py)
        from evals.claims import main as claims_main

        return int(claims_main(args, _settings(args)))
    if not args.gold and not getattr(args, "fit", False):
        raise BadInputError("rag eval needs --gold FILE (a Q&A set), --claims FILE or --fit")
    from evals.runner import main as eval_main

    return int(eval_main(args, _settings(args)))


def cmd_feedback(args: argparse.Namespace) -> int:
    from rag.feedback import main as feedback_main

    return int(feedback_main(args, _settings(args)))


def cmd_bench(args: argparse.Namespace) -> int:
    if args.update:  # issue 15: the cost of adding a few articles to a big index
        from rag.bench_update import main as update_main

        return int(update_main(args))
    from rag.bench import main as bench_main

    return int(bench_main(args, _settings(args)))


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.api import serve

    serve(_settings(args), host=args.host, port=args.port)
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    import os

    from rag.config import environment_for_child

    app = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    env = environment_for_child({"RAG_INDEX_DIR": str(args.index)} if args.index else None)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(args.port),
        "--server.address",
        args.host,
        "--browser.gatherUsageStats",
        "false",
        "--server.headless",
        "true",
    ]
    sys.stdout.flush()
    # Become Streamlit rather than wait for it, so that a signal to `rag ui` (a process
    # manager stopping it) reaches the server.
    os.execve(sys.executable, command, env)
    return 0  # not reached


# -- parser ---------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (else a usage error, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    """An argparse type: a number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be above zero, got {text}")
    return value


def _ingest_flags(p: argparse.ArgumentParser, quiet_help: str) -> None:
    """What `rag ingest` and `rag sync` both take: size cap, lock wait, quiet, fetching."""
    p.add_argument(
        "--max-bytes",
        type=_positive_int,
        dest="max_bytes",
        help="largest file or page (10 MB)",
    )
    p.add_argument("--wait", type=float, help="seconds to wait for the write lock (30)")
    p.add_argument("--quiet", "-q", action="store_true", help=quiet_help)
    _fetch_flags(p)


def _fetch_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rate",
        type=_positive_float,
        dest="fetch_rate",
        metavar="N",
        help="requests per second to one web host (1)",
    )
    p.add_argument(
        "--timeout",
        type=_positive_float,
        dest="fetch_timeout",
        metavar="S",
        help="seconds per web request (20)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag", description="Question answering over news articles with checked citations."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--index", metavar="DIR", help="index folder (default $RAG_INDEX_DIR or ./.rag)"
        )
        return p

    p = command("ingest", "load files/folders or article pages, RSS/Atom feeds and sitemaps by URL")
    p.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--prune",
        action="store_true",
        help="remove articles whose files are gone (or that a feed/sitemap no longer lists)",
    )
    _ingest_flags(p, quiet_help="no progress bar")
    p.set_defaults(run=cmd_ingest)

    p = command("sync", "ingest what is new or changed in the sources a TOML/YAML file lists")
    p.add_argument("sources", metavar="SOURCES", help="TOML or YAML file listing feeds/folders")
    p.add_argument("--every", metavar="DURATION", help="repeat every 15m, 1h… until stopped")
    _ingest_flags(p, quiet_help="no progress bars")
    p.set_defaults(run=cmd_sync)

    p = command("ask", "answer a question with numbered citations")
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true", help="print one Answer as JSON")
    p.add_argument(
        "--batch", metavar="FILE", help="one question per line (- for stdin); JSON Lines out"
    )
    p.add_argument("-k", type=_positive_int, help="passages to retrieve (5)")
    p.add_argument("--since", metavar="DATE", help="only articles published on or after DATE")
    p.add_argument("--until", metavar="DATE", help="only articles published on or before DATE")
    p.add_argument("--log", action="store_true", help="write the answers to the answer log")
    p.set_defaults(run=cmd_ask)

    p = command("eval", "score the system on a gold Q&A set")
    p.add_argument(
        "--gold", metavar="FILE", help="gold Q&A set, JSON Lines (required unless --fit/--claims)"
    )
    p.add_argument(
        "--claims", metavar="FILE", help="score the citation checker on a claim set instead"
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", metavar="DIR", help="write a Markdown/HTML report with plots")
    p.add_argument("--configs", help="comma-separated configurations to compare")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--corpus", metavar="DIR", help="corpus to index for configuration variants")
    p.add_argument(
        "--write-floors",
        action="store_true",
        dest="write_floors",
        help="record this run's metrics less --margin as evals/floors.json",
    )
    p.add_argument("--margin", type=float, help="noise margin for --write-floors (0.03)")
    p.add_argument("--calibrate", action="store_true", help="sweep the refusal threshold")
    # --fit: evals/fit.py (k-fold cross-validated weights and thresholds)
    p.add_argument("--fit", action="store_true", help="fit thresholds by k-fold CV; write them")
    p.add_argument("--folds", type=int, default=5, help="folds for --fit (5)")
    p.add_argument("--sets", help="gold sets under evals/gold for --fit (news,holdout,...)")
    p.add_argument("--no-write", action="store_true", dest="no_write", help="--fit: report only")
    p.add_argument("--max-false-refusals", type=float, dest="max_false_refusals", help="(0.08)")
    p.add_argument(
        "--min-refusal", type=float, dest="min_refusal", help="--fit: refusal floor (off)"
    )
    p.add_argument(
        "--no-judge",
        action="store_true",
        dest="no_judge",
        help="skip model-judged metrics even when RAG_LLM=openai",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_eval)

    p = command("serve", "HTTP API and embeddable widget")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(run=cmd_serve)

    p = command("ui", "start the Streamlit chat app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(run=cmd_ui)

    p = command("stats", "what the index holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_stats)

    p = command("delete", "remove articles by id")
    p.add_argument("article_ids", nargs="+", metavar="ARTICLE_ID")
    p.add_argument("--wait", type=float)
    p.set_defaults(run=cmd_delete)

    p = command("feedback", "the answer log and its ratings: stats, gold export, one answer")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("stats", help="answers, ratings, refusals, p95 time by door and day")
    a.add_argument("--json", action="store_true")
    a.add_argument("--days", type=float, help="only the last N days")
    a = actions.add_parser("export", help="rated answers as gold JSON Lines for rag eval")
    a.add_argument("--gold", required=True, metavar="FILE")
    a = actions.add_parser("show", help="one logged answer with its rating")
    a.add_argument("answer_id", metavar="ANSWER_ID")
    for a in actions.choices.values():
        a.add_argument("--index", metavar="DIR", default=argparse.SUPPRESS, help="index folder")
    p.set_defaults(run=cmd_feedback)

    p = command("bench", "performance figures")
    p.add_argument("--json", action="store_true")
    p.add_argument("--sizes", default="1000,10000,100000", help="synthetic corpus sizes")
    p.add_argument("--corpus", default="corpus", help="the real corpus to measure")
    p.add_argument("--queries", type=int, default=60, help="timed warm queries per index (60)")
    p.add_argument(
        "--real-embed-max",
        type=int,
        default=1000,
        dest="real_embed_max",
        help="synthetic sizes up to this are embedded by the model, larger get "
        "derived vectors (1000)",
    )
    p.add_argument("--workdir", metavar="DIR", help="keep the bench's indexes in DIR")
    p.add_argument(
        "--update",
        action="store_true",
        help="only the rows for adding 10 articles to a big index while a serve answers",
    )
    p.add_argument("--update-size", type=int, default=100_000, dest="update_size")
    p.add_argument("--code", metavar="DIR", help="with --update: also measure this checkout")
    p.set_defaults(run=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    prepare_offline_caches()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except RagError as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
