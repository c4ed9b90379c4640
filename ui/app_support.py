"""What the chat window needs besides layout: shared models, uploads, stats, safe rendering.

Everything here sits on the `rag` library: the pipeline answers, `ingest` adds articles,
`ChromaStore` says what the index holds. Nothing here retrieves or answers on its own.

Article text is shown through `st.markdown` *after* every ASCII punctuation character has
been backslash-escaped (`escape_markdown`), so a `<script>` or `**` in an article is
displayed as those characters; no HTML is ever rendered. Highlights and citation badges
are Streamlit's own markdown directives (`:orange-background[...]`, `:blue-badge[...]`)
wrapped around already-escaped text.
"""

from __future__ import annotations

import contextlib
import re
import string
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import streamlit as st

from rag.config import Settings, prepare_offline_caches
from rag.embed import Embedder
from rag.errors import IndexMissingError, RagError
from rag.ingest import ingest
from rag.load import SUPPORTED_SUFFIXES
from rag.pipeline import Pipeline, build_embedder, build_pipeline
from rag.store import ChromaStore
from rag.types import Answer, Article, Chunk, Citation, IngestReport

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = ROOT / "corpus"  # a module attribute so tests can point it at a small folder
UPLOAD_TYPES = sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES)
EXAMPLE_QUESTIONS = (
    "What did Kallas say about Article 5?",
    "Who is Kaja Kallas?",
    "What pushed the bushfire towards Hill Top?",
)
WARM_UP_QUESTION = "What did the minister say about the plan?"
SEED_ARTICLE_ID = "us-red-lines-ukraine-2024-11-22"
# One colour per citation number: the [n] badge in the answer and its card share it.
COLOURS = ("blue", "green", "orange", "violet", "red", "gray")
LOADS: dict[str, int] = {"embedder": 0, "pipeline": 0}  # how often the caches missed

# -- shared models (one per server process) ----------------------------------------------


@dataclass
class Engine:
    """A pipeline shared by every browser session (each runs in its own thread).

    Questions run concurrently (retrieval and answering only read); the lock keeps two
    sessions from rebuilding the keyword index at once after an ingest.
    """

    pipeline: Pipeline
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> None:
        with self.lock:
            self.pipeline.refresh()


def settings_key(settings: Settings) -> tuple[str, ...]:
    """What identifies an index and a backend (the cache key of the shared pipeline)."""
    return (
        str(settings.index_dir.resolve()),
        settings.chroma_host or "",
        str(settings.chroma_port),
        settings.retrieval,
        str(settings.top_k),
        str(settings.candidates),
        settings.llm,
        settings.llm_model,
        settings.openai_base_url or "",
    )


@st.cache_resource(show_spinner="Loading the embedding model…")
def shared_embedder(batch_size: int, threads: int) -> Embedder:
    """The embedding model, loaded once per server process."""
    from rag.config import load_settings

    LOADS["embedder"] += 1
    settings = load_settings(env={}, embed_batch=batch_size, embed_threads=threads)
    return build_embedder(settings)


def embedder_for(settings: Settings) -> Embedder:
    return shared_embedder(settings.embed_batch, settings.embed_threads)


@st.cache_resource(show_spinner="Opening the index and warming up the models…")
def shared_engine(_settings: Settings, key: tuple[str, ...], mode: str) -> Engine:
    """The pipeline for one index and answer mode, built once per server process.

    Raises IndexMissingError while the index is empty (Streamlit does not cache errors,
    so the next run tries again, e.g. after the first ingest).
    """
    settings = _settings
    if mode == "extractive" and settings.llm != "extractive":
        settings = settings.with_overrides(llm="extractive")
    store = ChromaStore(settings)
    if store.count_chunks() == 0:
        raise IndexMissingError(f"the index at {settings.index_dir} is empty")
    LOADS["pipeline"] += 1
    pipeline = build_pipeline(settings, embedder=embedder_for(settings))
    # The first question after start-up would otherwise pay a second of warm-up (ONNX,
    # the answerer's first run). Warming is an optimisation only, so its failure is not an
    # error, and it never spends a (possibly paid) LLM call.
    with contextlib.suppress(Exception):
        if pipeline.llm is None:
            pipeline.ask(WARM_UP_QUESTION)
        else:
            hits, query_vector = pipeline.retriever.retrieve(WARM_UP_QUESTION, None)
            pipeline.extractive.answer(WARM_UP_QUESTION, hits, query_vector, None)
    return Engine(pipeline)


def open_engine(settings: Settings, mode: str) -> Engine:
    prepare_offline_caches()
    return shared_engine(settings, settings_key(settings), mode)


# -- adding articles ----------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[^\w.\-]+")


def safe_filename(name: str) -> str:
    """A plain file name for an upload: no folders, no leading dots, no odd characters."""
    base = Path(name.replace("\\", "/")).name
    base = _UNSAFE_NAME.sub("-", base).lstrip(".-") or "upload"
    return base[:120]


def uploads_dir(settings: Settings) -> Path:
    return settings.index_dir / "uploads"


def save_uploads(files: Iterable[tuple[str, bytes]], folder: Path) -> list[Path]:
    """Write uploaded files into `folder` under safe names (a re-upload replaces the file)."""
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    for name, data in files:
        target = folder / safe_filename(name)
        stem, suffix = target.stem, target.suffix
        n = 2
        while target in saved:  # two uploads with the same name in one batch
            target = folder / f"{stem}-{n}{suffix}"
            n += 1
        target.write_bytes(data)
        saved.append(target)
    return saved


def add_articles(
    paths: Sequence[Path],
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest files or folders into the index (the same `ingest` the CLI runs)."""
    return ingest(list(paths), settings, embedder_factory, quiet=True, on_progress=on_progress)


def add_uploads(
    files: Iterable[tuple[str, bytes]],
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Save uploaded files beside the index and ingest them; failures come back in the report."""
    paths = save_uploads(files, uploads_dir(settings))
    return add_articles(paths, settings, embedder_factory, on_progress)


def describe_report(report: IngestReport) -> str:
    """One line saying what an ingest did."""
    added = report.articles - report.skipped
    parts = [f"{added} article{'s' if added != 1 else ''} added"]
    if report.skipped:
        parts.append(f"{report.skipped} unchanged")
    parts.append(f"{report.embedded} passages embedded")
    if report.failed:
        parts.append(f"{len(report.failed)} failed")
    return ", ".join(parts) + f" in {report.seconds:.1f} s"


def failed_files(report: IngestReport) -> list[tuple[str, str]]:
    """(file name, reason) for each failure, without the folder the upload was saved in."""
    return [(Path(path).name, error) for path, error in report.failed]


# -- what the index holds -----------------------------------------------------------------


@dataclass(frozen=True)
class IndexStats:
    articles: int
    chunks: int
    last_ingest: datetime | None


def index_stats(settings: Settings, store: ChromaStore | None = None) -> IndexStats:
    """Articles, passages and the time of the last ingest that changed the index."""
    try:
        store = store or ChromaStore(settings)
        articles, chunks = store.count_articles(), store.count_chunks()
    except IndexMissingError:
        articles, chunks = 0, 0
    # Every ingest that changes the index ends by rebuilding the BM25 cache beside it.
    marker = settings.index_dir / "bm25"
    stamps = [p.stat().st_mtime for p in marker.glob("*")] if marker.is_dir() else []
    last = datetime.fromtimestamp(max(stamps), tz=UTC) if stamps and chunks else None
    return IndexStats(articles, chunks, last)


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "never"
    seconds = max(((now or datetime.now(UTC)) - moment).total_seconds(), 0)
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def has_shipped_corpus(store: ChromaStore) -> bool:
    return bool(store.article_hashes([SEED_ARTICLE_ID]))


# -- rendering text safely ------------------------------------------------------------------

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_MARKER = re.compile(r"\[(\d+)\]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_INDENT = re.compile(r"(?:^|(?<=\n))[ \t]+")
_INNER_INDENT = re.compile(r"(?<=\n)[ \t]+")


def escape_markdown(text: str, line_start: bool = True) -> str:
    """Text that Streamlit's markdown shows exactly as written (no HTML, links or styling).

    Every ASCII punctuation character is backslash-escaped (CommonMark shows `\\<` as
    `<`), and indentation at the start of a line is dropped so it never becomes a code
    block. `line_start=False` for a piece that continues a line (its leading space stays).
    """
    text = (_INDENT if line_start else _INNER_INDENT).sub("", text)
    return _PUNCTUATION.sub(r"\\\1", text)


def colour_of(n: int) -> str:
    return COLOURS[(n - 1) % len(COLOURS)]


def badge(n: int) -> str:
    return f":{colour_of(n)}-badge[\\[{n}\\]]"


def answer_markdown(text: str, cited: Iterable[int] = ()) -> str:
    """The answer with each `[n]` marker shown as a badge in its citation's colour."""
    known = set(cited)
    pieces: list[str] = []
    last = 0
    for match in _MARKER.finditer(text):
        n = int(match.group(1))
        if n not in known:
            continue
        pieces.append(escape_markdown(text[last : match.start()], line_start=last == 0))
        pieces.append(badge(n))
        last = match.end()
    pieces.append(escape_markdown(text[last:], line_start=last == 0))
    return "".join(pieces)


def _highlight_piece(piece: str, colour: str) -> str:
    core = " ".join(piece.split())
    if not core:
        return piece
    lead = piece[: len(piece) - len(piece.lstrip())]
    trail = piece[len(piece.rstrip()) :]
    return (
        escape_markdown(lead.replace("\n", " "), line_start=False)
        + f":{colour}-background[**{escape_markdown(core)}**]"
        + escape_markdown(trail.replace("\n", " "), line_start=False)
    )


def highlighted(text: str, start: int, end: int, colour: str = "orange") -> str:
    """`text` as markdown with `text[start:end]` highlighted in place (paragraphs kept)."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if end <= start:
        return escape_markdown(text)
    quote = text[start:end]
    marked: list[str] = []
    last = 0
    for brk in _PARAGRAPH_BREAK.finditer(quote):
        marked.append(_highlight_piece(quote[last : brk.start()], colour))
        marked.append("\n\n")
        last = brk.end()
    marked.append(_highlight_piece(quote[last:], colour))
    return (
        escape_markdown(text[:start])
        + "".join(marked)
        + escape_markdown(text[end:], line_start=False)
    )


def passage_markdown(citation: Citation, chunk: Chunk | None) -> str:
    """The retrieved passage with the cited words highlighted (just the quote if the passage
    is gone from the index)."""
    colour = colour_of(citation.n)
    if chunk is None or not (
        chunk.char_start <= citation.char_start and citation.char_end <= chunk.char_end
    ):
        return highlighted(citation.quote, 0, len(citation.quote), colour)
    offset = chunk.char_start
    return highlighted(chunk.text, citation.char_start - offset, citation.char_end - offset, colour)


def article_markdown(citation: Citation, article: Article | None) -> str:
    """The whole article with the cited words highlighted where they stand."""
    colour = colour_of(citation.n)
    if article is None or article.text[citation.char_start : citation.char_end] != citation.quote:
        return "_The article is no longer in the index._"
    return highlighted(article.text, citation.char_start, citation.char_end, colour)


def paragraph_position(text: str, start: int) -> tuple[int, int]:
    """(n, of) — which paragraph of the article `start` falls in, counting from 1."""
    return (
        len(_PARAGRAPH_BREAK.findall(text[:start])) + 1,
        len(_PARAGRAPH_BREAK.findall(text.strip())) + 1,
    )


def human_date(published: str | None) -> str:
    if not published:
        return "undated"
    try:
        return date.fromisoformat(published[:10]).strftime("%-d %B %Y")
    except ValueError:
        return published


def source_markdown(source: str, settings: Settings) -> str:
    """Where a passage comes from: a link for web pages, else the file (uploads by name)."""
    if re.match(r"https?://", source):
        host = re.sub(r"^https?://", "", source).split("/")[0]
        url = quote(source, safe=":/?#[]@!$&'*+,;=%~")  # no (, ), <, > or spaces left
        return f"[{escape_markdown(host)}]({url})"
    path = Path(source)
    uploads = uploads_dir(settings)
    if path.parts[:1] == (uploads.name,) and (uploads.parent / path).is_file():
        # ingest stores a file's path below the folder ingested: `uploads/harbour.txt`
        return f"uploaded file {escape_markdown(path.relative_to(uploads.name).as_posix())}"
    with contextlib.suppress(ValueError, OSError):
        name = path.resolve().relative_to(uploads.resolve())
        return f"uploaded file {escape_markdown(name.as_posix())}"
    with contextlib.suppress(ValueError, OSError):  # shorter: relative to where the app runs
        return escape_markdown(path.relative_to(Path.cwd()).as_posix())
    return escape_markdown(source)


def card_caption(citation: Citation, settings: Settings) -> str:
    parts = [
        escape_markdown(human_date(citation.published)),
        source_markdown(citation.source, settings),
    ]
    if not citation.verified:
        parts.append("quote not verified")
    return " · ".join(parts)


def answer_caption(answer: Answer, k: int) -> str:
    total = answer.timings_ms.get("total")
    parts = [answer.mode]
    if total is not None:
        parts.append(f"{total / 1000:.2f} s" if total >= 1000 else f"{total:.0f} ms")
    parts.append(f"{k} passage{'' if k == 1 else 's'} searched")
    return " · ".join(parts)


# -- a conversation turn as kept in the session ----------------------------------------------


@dataclass(frozen=True)
class Reply:
    """An answer plus the passages and articles its cards show, fetched when it was given
    (so the cards stay right even if the article is re-ingested later)."""

    answer: Answer
    passages: dict[str, Chunk]
    articles: dict[str, Article]
    k: int
    seconds: float


def make_reply(answer: Answer, store: ChromaStore, k: int, seconds: float) -> Reply:
    chunk_ids = sorted({c.chunk_id for c in answer.citations})
    passages = store.get_chunks(chunk_ids) if chunk_ids else {}
    articles: dict[str, Article] = {}
    for citation in answer.citations:
        if citation.article_id not in articles:
            article = store.get_article(citation.article_id)
            if article is not None:
                articles[citation.article_id] = article
    return Reply(answer, passages, articles, k, seconds)


def short_error(exc: BaseException) -> str:
    """One line for the user; expected failures carry their own message."""
    if isinstance(exc, RagError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"Something went wrong ({type(exc).__name__}). Try again, or see the server log."


def clock() -> float:
    return time.perf_counter()


def uploaded_payloads(files: Iterable[Any]) -> list[tuple[str, bytes]]:
    """(name, bytes) of Streamlit UploadedFile objects."""
    return [(f.name, f.getvalue()) for f in files]
