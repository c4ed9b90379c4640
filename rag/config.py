"""The one Settings object. This is the only module that reads the environment."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from rag.errors import ConfigError


@dataclass(frozen=True, slots=True)
class EmbedKey:
    """One widget embed key: which page origins may use it and how often."""

    origins: tuple[str, ...]
    per_minute: int


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, built once from the environment and flags, then passed down."""

    index_dir: Path = Path(".rag")
    chroma_host: str | None = None
    chroma_port: int = 8000
    llm: str = "extractive"  # "extractive" | "openai"
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = 30.0
    llm_retries: int = 2
    api_key: str | None = None
    embed_keys: Mapping[str, EmbedKey] = field(default_factory=dict)
    # Retrieval and answering knobs (the eval suite compares variants of these).
    top_k: int = 5
    candidates: int = 20
    retrieval: str = "hybrid"  # "hybrid" | "vector" | "bm25"
    chunk_tokens: int = 160
    chunk_overlap_sentences: int = 1
    embed_batch: int = 32
    embed_threads: int = 0  # 0: one per core
    max_bytes: int = 10_000_000
    max_question_chars: int = 2000
    lock_wait: float = 30.0
    # Fetching pages and feeds by URL (rag/fetch.py): requests per second to one host,
    # seconds per request, and the hosts a chat-window user may add URLs from
    # (RAG_FETCH_ALLOW; the CLI is the operator's and is not limited).
    fetch_rate: float = 1.0
    fetch_timeout: float = 20.0
    fetch_allow: tuple[str, ...] = ()
    # "Now" for relative dates in questions ("this week", "yesterday"): RAG_NOW (YYYY-MM-DD);
    # None means the date of the newest article in the index (rag/recency.py).
    now: date | None = None
    # The answer log (rag/answerlog.py): RAG_LOG=off disables it, RAG_LOG_DB moves it
    # (default: answers.sqlite3 in the index folder), RAG_LOG_DAYS is how long rows are kept.
    log_enabled: bool = True
    log_db: Path | None = None
    log_days: float = 30.0
    # The chat window's operator page (ui/pages/operator.py) asks for this key when it is set
    # (RAG_OPERATOR_KEY); unset, anyone who can open the chat window can open the page.
    operator_key: str | None = None
    # Ingest also embeds each passage's sentences and words for the answerer
    # (rag/vector_cache.py), so a warm ask embeds only the question; RAG_ANSWER_VECTORS=off
    # skips that (ingest at the model's speed on the passages; answers the same, slower).
    answer_vectors: bool = True
    # For tests only (RAG_TEST_HOOK): "kill@POINT" kills the ingest with SIGKILL, and
    # "sleep:SECONDS@POINT" pauses it, at a named point of rag/ingest.py (crash tests).
    test_hook: str = ""

    @property
    def log_path(self) -> Path:
        """Where the answer log lives: RAG_LOG_DB, else beside the index."""
        return self.log_db if self.log_db is not None else self.index_dir / "answers.sqlite3"

    @property
    def store_label(self) -> str:
        if self.chroma_host:
            return f"chroma-server http://{self.chroma_host}:{self.chroma_port}"
        return "chroma-embedded"

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given fields replaced (None values are ignored)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number, got {raw!r}")
    return value


def parse_hosts(raw: str | None) -> tuple[str, ...]:
    """RAG_FETCH_ALLOW: host names separated by commas or spaces, lower-cased."""
    return tuple(h.strip().lower().rstrip(".") for h in (raw or "").replace(",", " ").split())


def _date(env: Mapping[str, str], name: str) -> date | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a date as YYYY-MM-DD, got {raw!r}") from None


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("on", "1", "true", "yes"):
        return True
    if raw in ("off", "0", "false", "no"):
        return False
    raise ConfigError(f"{name} must be 'on' or 'off', got {raw!r}")


def parse_embed_keys(raw: str | None) -> dict[str, EmbedKey]:
    """Parse RAG_EMBED_KEYS: inline JSON or a path to a JSON file."""
    if not raw or not raw.strip():
        return {}
    text = raw.strip()
    if not text.startswith("{"):
        path = Path(text).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"RAG_EMBED_KEYS: cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"RAG_EMBED_KEYS is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError('RAG_EMBED_KEYS must be an object: {"KEY": {"origins": [...]}}')
    keys: dict[str, EmbedKey] = {}
    for key, spec in data.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("origins", []), list):
            raise ConfigError(f"RAG_EMBED_KEYS[{key!r}] needs an 'origins' list")
        origins = tuple(str(o).rstrip("/") for o in spec.get("origins", []))
        try:
            per_minute = int(spec.get("per_minute", 20))
        except (TypeError, ValueError):
            raise ConfigError(f"RAG_EMBED_KEYS[{key!r}].per_minute must be an integer") from None
        keys[str(key)] = EmbedKey(origins=origins, per_minute=max(per_minute, 1))
    return keys


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from the environment (or `env`), then apply non-None overrides."""
    env = os.environ if env is None else env
    llm = (env.get("RAG_LLM") or "extractive").strip().lower()
    if llm not in ("extractive", "openai"):
        raise ConfigError(f"RAG_LLM must be 'extractive' or 'openai', got {llm!r}")
    port = env.get("CHROMA_PORT") or "8000"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"CHROMA_PORT must be a port number (1-65535), got {port!r}")
    settings = Settings(
        index_dir=Path(env.get("RAG_INDEX_DIR") or ".rag"),
        chroma_host=env.get("CHROMA_HOST") or None,
        chroma_port=int(port),
        llm=llm,
        openai_api_key=env.get("OPENAI_API_KEY") or None,
        openai_base_url=env.get("OPENAI_BASE_URL") or None,
        llm_model=env.get("RAG_LLM_MODEL") or "gpt-4o-mini",
        llm_timeout=_number(env, "RAG_LLM_TIMEOUT", 30.0),
        api_key=env.get("RAG_API_KEY") or None,
        embed_keys=parse_embed_keys(env.get("RAG_EMBED_KEYS")),
        test_hook=env.get("RAG_TEST_HOOK") or "",
        fetch_rate=_number(env, "RAG_FETCH_RATE", 1.0),
        fetch_timeout=_number(env, "RAG_FETCH_TIMEOUT", 20.0),
        fetch_allow=parse_hosts(env.get("RAG_FETCH_ALLOW")),
        now=_date(env, "RAG_NOW"),
        log_enabled=_switch(env, "RAG_LOG", True),
        log_db=Path(env["RAG_LOG_DB"]).expanduser() if env.get("RAG_LOG_DB") else None,
        log_days=_number(env, "RAG_LOG_DAYS", 30.0),
        operator_key=env.get("RAG_OPERATOR_KEY") or None,
        answer_vectors=_switch(env, "RAG_ANSWER_VECTORS", True),
    )
    return settings.with_overrides(**overrides)


def environment_for_child(
    overrides: Mapping[str, str] | None = None,
    python_path: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment for a child process we start (`rag ui`'s Streamlit, `rag bench`'s
    workers): this process's (or `env`), with `overrides` set and the `python_path`
    folders put before any PYTHONPATH, so the child reads the same configuration."""
    child = dict(os.environ if env is None else env)
    child.update(overrides or {})
    if python_path:
        folders = [str(folder) for folder in python_path]
        if child.get("PYTHONPATH"):
            folders.append(child["PYTHONPATH"])
        child["PYTHONPATH"] = os.pathsep.join(folders)
    return child


def tiktoken_cache_dir() -> str:
    """llama-index-core ships tiktoken's encodings; point tiktoken there so it works offline."""
    import llama_index.core

    return str(Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache")


def prepare_offline_caches() -> None:
    """Set the cache variables third-party libraries read, before they are imported.

    This writes (never reads) the environment: tiktoken and Chroma look there for their
    cache and telemetry switches, and the project must never download at run time.
    """
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", tiktoken_cache_dir())
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
