"""`rag bench --update`: what adding a few articles to a big index costs (issue 15, item 6).

Rows:
- adding 10 articles to an index of `--update-size` passages (default 100,000): the `rag
  ingest` process's own figure (`seconds` in its JSON), less the 10 articles' embedding
  (the model's load and its warm embedding of exactly those passages, measured apart);
  with the ingest's wall time and peak memory beside it;
- time until a running `rag serve` answers from them (a question only they answer, asked
  every 0.2 s; measured from the moment the ingest process ends, and from its start);
- the serve's worst answer time while that happens (from just before the ingest starts
  until the first answer from the new articles).

The big index is made the way `rag bench` makes its synthetic corpora (the shipped
corpus's sentences recombined), but its vectors come from a fast deterministic fake
embedder, not the model: embedding 100,000 passages on 2 cores takes about an hour, and
these rows time the index updates, not the vectors. The 10 new articles are the dated
fixture articles (`evals/dated-corpus/`), embedded by the real model in `rag ingest`.

`--code DIR` runs the ingest and the serve from another checkout (e.g. today's `main`), so
the same rows can be measured before and after a change: the big index is built once by
this checkout (Chroma plus its keyword index) and, for the other checkout, copied and
opened once by it so it builds its own keyword/BM25 files before the clock starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.bench.measure import ROOT, peak_rss_mb
from rag.bench.synthetic import save_material

DATED = ROOT / "evals" / "dated-corpus"
# Answerable only from the new articles (their names appear nowhere in the big index).
PROBE = "Why did engineers close the Harbourton bridge over the Lissen River?"
PROBE_IDS = ("harbourton-bridge-closed", "harbourton-bridge-reopens", "harbourton-bridge-approved")
# Questions the big index answers, asked in turn with the probe (so the worst answer time
# covers ordinary questions too).
OTHERS = (
    "What did the Prime Minister say about the economy?",
    "How many people were killed in the attack?",
)
TARGETS = {"beyond_embedding_s": 5.0, "answerable_after_ingest_s": 5.0, "worst_answer_s": 1.0}
API_KEY = "bench-secret"


def fake_vectors(texts: list[str], dim: int = 384) -> np.ndarray:
    """Deterministic unit vectors from each text's hash (fast; not meaningful)."""
    rows = []
    for text in texts:
        seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
        rows.append(np.random.default_rng(seed).normal(size=dim))
    vectors = np.asarray(rows, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def new_articles(work: Path, count: int = 10) -> Path:
    """`count` dated fixture articles in a folder of their own."""
    folder = work / "new-articles"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    dated = sorted(
        p for p in DATED.iterdir() if p.suffix in (".txt", ".md") and p.stem.upper() != "README"
    )
    chosen = [p for p in dated if "history" not in p.stem][:count]
    for path in chosen:
        shutil.copy(path, folder / path.name)
    return folder


def material(corpus: Path) -> dict[str, Any]:
    """The corpus's passages (as ingest chunks them) with fake vectors."""
    from rag.bench.corpus import _load_articles
    from rag.chunk import chunk_article
    from rag.config import load_settings
    from rag.retrieve import passage_for_embedding

    settings = load_settings()
    chunks = [c for a in _load_articles(corpus, settings) for c in chunk_article(a)]
    vectors = fake_vectors([passage_for_embedding(c) for c in chunks])
    return {
        "chunks": [
            {"article_id": c.article_id, "title": c.title, "text": c.text, "published": None}
            for c in chunks
        ],
        "vectors": vectors,
    }


def _env(code: Path) -> dict[str, str]:
    from rag.config import environment_for_child

    env = environment_for_child(
        {"PYTHONPATH": str(code), "CHROMA_HOST": "", "RAG_API_KEY": API_KEY}
    )
    env.pop("RAG_INDEX_DIR", None)
    return env


def build_index(work: Path, size: int, log: Any) -> Path:
    """The big index, built by this checkout's bench worker (Chroma + keyword index)."""
    index = work / f"update-{size}"
    if (index / "chroma").exists():
        log(f"reusing the {size:,}-passage index in {index}")
        return index
    spec = {"work": str(work), "index": str(index), "size": size, "real_vectors": False}
    spec_path = work / f"spec-update-{size}.json"
    spec_path.write_text(json.dumps(spec))
    log(f"building a {size:,}-passage index (fake vectors) …")
    done = subprocess.run(
        [sys.executable, "-m", "rag.bench", "build", str(spec_path)],
        env=_env(ROOT),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"building the index failed: {done.stderr[-2000:]}")
    return index


def prepared_copy(index: Path, code: Path, work: Path, log: Any) -> Path:
    """A copy of the big index, opened once by `code` so its own files exist."""
    target = work / f"{index.name}-{hashlib.sha1(str(code).encode()).hexdigest()[:8]}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(index, target)
    log(f"opening it once with {code} …")
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "What happened?", "--index", str(target)],
        env=_env(code),
        cwd=code,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"opening the index with {code} failed: {done.stderr[-2000:]}")
    return target


def embedding_cost(folder: Path) -> dict[str, float]:
    """Loading the model and embedding the new articles' passages (warm), measured apart."""
    from rag.chunk import chunk_article
    from rag.config import load_settings
    from rag.load import discover, load_file
    from rag.pipeline import build_embedder
    from rag.retrieve import passage_for_embedding

    settings = load_settings()
    files, _, _ = discover([folder])
    articles = [
        a
        for f in files
        for a in load_file(f.path, f.article_id, f.root, settings.max_bytes).articles
    ]
    passages = [passage_for_embedding(c) for a in articles for c in chunk_article(a)]
    started = time.perf_counter()
    embedder = build_embedder(settings)
    embedder.embed(["warm up"])
    loaded = time.perf_counter()
    runs = []
    for _ in range(3):
        began = time.perf_counter()
        embedder.embed(passages)
        runs.append(time.perf_counter() - began)
    return {
        "model_load_s": round(loaded - started, 2),
        "embed_s": round(sorted(runs)[1], 2),
        "new_passages": len(passages),
    }


# Run with `python -c` in a child whose PYTHONPATH is the checkout measured (this one or
# `--code`), so it uses only what every checkout has: ingest, chunking, the embedder.
_WARM_INGEST = """
import json, sys, time
from pathlib import Path
from rag.config import load_settings, prepare_offline_caches
prepare_offline_caches()
import chromadb  # noqa: F401 - imported once, as in a running process
from rag.chunk import chunk_article
from rag.ingest import ingest
from rag.load import discover, load_file
from rag.pipeline import build_embedder
from rag.retrieve import passage_for_embedding
from rag.types import Article
spec = json.loads(sys.argv[1])
settings = load_settings(index_dir=Path(spec["index"]))
chunk_article(Article("warm", "Warm up", "One sentence. Another one.", None, "warm"))
embedder = build_embedder(settings)
embedder.embed(["warm up"])
files, _, _ = discover([Path(spec["folder"])])
articles = [a for f in files for a in load_file(f.path, f.article_id, f.root, 10**7).articles]
passages = [passage_for_embedding(c) for a in articles for c in chunk_article(a)]
runs = []
for _ in range(3):
    began = time.perf_counter()
    embedder.embed(passages)
    runs.append(time.perf_counter() - began)
began = time.perf_counter()
report = ingest([Path(spec["folder"])], settings, lambda: embedder, quiet=True)
took = time.perf_counter() - began
print(json.dumps({"warm_ingest_s": round(took, 2), "warm_embed_s": round(sorted(runs)[1], 2),
                  "embedded": report.embedded}))
"""


def warm_ingest(index: Path, code: Path, folder: Path) -> dict[str, Any]:
    """Ingest `folder` into `index` in a warmed-up process of `code`: the ingest's own time
    with imports done and the model loaded, and that process's warm embedding of the same
    passages (what `rag bench` calls warm)."""
    spec = json.dumps({"index": str(index), "folder": str(folder)})
    done = subprocess.run(
        [sys.executable, "-c", _WARM_INGEST, spec],
        env=_env(code),
        cwd=code,
        capture_output=True,
        text=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"warm ingest with {code} failed: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(lines[-1])
    figures["warm_beyond_embedding_s"] = round(
        figures["warm_ingest_s"] - figures["warm_embed_s"], 2
    )
    return figures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Poller:
    """Asks the serve a question every `interval` seconds and times every answer."""

    url: str
    interval: float = 0.2
    answers: list[tuple[float, float, bool, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def ask(self, question: str) -> tuple[float, bool]:
        body = json.dumps({"question": question}).encode()
        request = urllib.request.Request(
            self.url + "/api/ask",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"},
        )
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return time.perf_counter() - began, False
        took = time.perf_counter() - began
        cited = {c["article_id"] for c in answer.get("citations", [])}
        return took, bool(cited & set(PROBE_IDS))

    def run(self) -> None:
        turn = 0
        while not self.stop.is_set():
            question = PROBE if turn % 2 == 0 else OTHERS[(turn // 2) % len(OTHERS)]
            sent = time.perf_counter()
            took, fresh = self.ask(question)
            self.answers.append((sent, took, fresh and question == PROBE, question))
            turn += 1
            time.sleep(self.interval)


def measure(index: Path, code: Path, folder: Path, log: Any) -> dict[str, Any]:
    """Serve `index` with `code`, ingest `folder` into it with `code`, time both."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--index", str(index), "--port", str(port)],
        env=_env(code),
        cwd=code,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        poller = Poller(url)
        deadline = time.monotonic() + 600
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline or serve.poll() is not None:
                    raise RuntimeError("rag serve did not start") from None
                time.sleep(0.5)
        for question in (PROBE, *OTHERS, PROBE):  # warm: models loaded, caches filled
            poller.ask(question)
        thread = threading.Thread(target=poller.run, daemon=True)
        thread.start()
        time.sleep(2.0)
        log(f"ingesting {folder.name} with {code} while the serve answers …")
        started = time.perf_counter()
        ingest = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "ingest", str(folder), "--index", str(index)]
            + ["--json", "--quiet"],
            env=_env(code),
            cwd=code,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        peak: float | None = None
        while ingest.poll() is None:
            seen = peak_rss_mb(ingest.pid)
            if seen is not None:
                peak = max(peak or 0.0, seen)
            time.sleep(0.02)
        ended = time.perf_counter()
        out = ingest.stdout.read() if ingest.stdout else ""
        report = json.loads(out.strip().splitlines()[-1])
        limit = ended + 180
        while time.perf_counter() < limit:
            if any(fresh and sent >= ended for sent, _, fresh, _ in poller.answers):
                break
            time.sleep(0.1)
        time.sleep(1.0)
        poller.stop.set()
        thread.join(timeout=130)
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
    first = next((sent for sent, _, fresh, _ in poller.answers if fresh), None)
    first_after = next(
        (sent + took for sent, took, fresh, _ in poller.answers if fresh and sent >= ended), None
    )
    during = [
        took
        for sent, took, _, _ in poller.answers
        if sent >= started - 0.5 and (first_after is None or sent <= first_after)
    ]
    return {
        "ingest_seconds": report.get("seconds"),
        "ingest_wall_s": round(ended - started, 2),
        "ingest_peak_rss_mb": peak,
        "embedded": report.get("embedded"),
        "answerable_after_ingest_s": None
        if first_after is None
        else round(max(first_after - ended, 0.0), 2),
        "answerable_after_start_s": None
        if first_after is None
        else round(first_after - started, 2),
        "first_fresh_answer_during_ingest": first is not None and first < ended,
        "worst_answer_s": round(max(during), 2) if during else None,
        "answers_timed": len(during),
        # Every timed answer: seconds from the ingest's start, seconds taken, from the new
        # articles? (to see whether a slow answer met the ingest or the serve's reload)
        "timeline": [
            [round(sent - started, 2), round(took, 2), fresh]
            for sent, took, fresh, _ in poller.answers
        ],
    }


def run(code: Path | None, size: int, corpus: Path, work: Path | None, log: Any) -> dict[str, Any]:
    """The update rows for this checkout, and for `code` when given."""
    keep = work is not None
    work = work or Path(tempfile.mkdtemp(prefix="rag-bench-update-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not (work / "material.json").exists():
            save_material(material(corpus), work)
        index = build_index(work, size, log)
        folder = new_articles(work)
        cost = embedding_cost(folder)
        rows: dict[str, Any] = {"passages": size, "new_articles": 10, **cost}
        for name, checkout in (("this", ROOT), ("other", code)):
            if checkout is None:
                continue
            copy = prepared_copy(index, checkout, work, log)
            log(f"warm ingest of the 10 articles with {checkout} …")
            warm = warm_ingest(copy, checkout, folder)
            shutil.rmtree(copy, ignore_errors=True)
            copy = prepared_copy(index, checkout, work, log)
            figures = {**measure(copy, checkout, folder, log), **warm}
            seconds = figures["ingest_seconds"] or figures["ingest_wall_s"]
            figures["beyond_embedding_s"] = round(
                seconds - cost["embed_s"] - cost["model_load_s"], 2
            )
            figures["code"] = str(checkout)
            rows[name] = figures
            shutil.rmtree(copy, ignore_errors=True)
        rows["targets"] = TARGETS
        return rows
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def render(rows: dict[str, Any]) -> str:
    """A Markdown table: this checkout's figures, the other's beside them, the targets."""
    other = rows.get("other")
    header = "| figure | this checkout |" + (" other checkout |" if other else "") + " target |"
    lines = [header, "|---|---|" + ("---|" if other else "") + "---|"]

    def row(label: str, key: str, unit: str, target: str) -> None:
        mine = rows["this"].get(key)
        cells = [f"{mine}{unit}" if mine is not None else "n/a"]
        if other:
            theirs = other.get(key)
            cells.append(f"{theirs}{unit}" if theirs is not None else "n/a")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")

    size = f"{rows['passages']:,}"
    row(
        f"add 10 articles to {size} passages, beyond embedding (warm process)",
        "warm_beyond_embedding_s",
        " s",
        "< 5 s",
    )
    row("  warm ingest", "warm_ingest_s", " s", "")
    row("  its embedding of the 10 articles (subtracted)", "warm_embed_s", " s", "")
    row(
        "  `rag ingest` process: own time less model load and embedding",
        "beyond_embedding_s",
        " s",
        "",
    )
    row("  its own time (JSON `seconds`, imports included)", "ingest_seconds", " s", "")
    row("  its wall time (process start to exit)", "ingest_wall_s", " s", "")
    row("  its peak memory", "ingest_peak_rss_mb", " MB", "")
    row(
        "running serve answers from them, after the ingest ends",
        "answerable_after_ingest_s",
        " s",
        "< 5 s",
    )
    row("  … after the ingest starts", "answerable_after_start_s", " s", "")
    row("serve's worst answer time meanwhile", "worst_answer_s", " s", "< 1 s")
    lines.append(
        f"\nFor the `rag ingest` process row, subtracted as the 10 articles' own embedding: "
        f"loading the model ({rows['model_load_s']} s) and embedding their "
        f"{rows['new_passages']} passages warm ({rows['embed_s']} s), measured apart."
    )
    return "\n".join(lines)


def main(args: Any) -> int:
    """`rag bench --update [--update-size N] [--code DIR] [--workdir DIR] [--json]`."""
    from rag.errors import BadInputError

    code = Path(args.code).resolve() if getattr(args, "code", None) else None
    if code is not None and not (code / "rag" / "cli.py").exists():
        raise BadInputError(f"--code {code}: not a newsrag checkout (no rag/cli.py)")
    corpus = Path(getattr(args, "corpus", None) or ROOT / "corpus")
    work = Path(args.workdir) if getattr(args, "workdir", None) else None

    def log(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    rows = run(code, int(args.update_size), corpus, work, log)
    rows["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(rows) if getattr(args, "json", False) else render(rows))
    return 0
