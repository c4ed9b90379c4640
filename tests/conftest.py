"""Shared fixtures: the shipped corpus, indexes built with the real model or a fake."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED = CORPUS / "us-red-lines-ukraine-2024-11-22.txt"
SHARED = ROOT.parent / "shared"
SCHEMA_PATH = SHARED / "answer.schema.json"
KALLAS = "What did Kallas say about Article 5?"


def rag_command() -> list[str]:
    """The `rag` command as users run it, from this checkout."""
    return [sys.executable, "-m", "rag.cli"]


def run_rag(
    *args: str,
    index: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("PYTHONPATH", str(ROOT))
    command = [*rag_command(), *args]
    if index is not None:
        command += ["--index", str(index)]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        input=input,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def answer_schema() -> dict:
    if SCHEMA_PATH.exists():
        return json.loads(SCHEMA_PATH.read_text())
    return json.loads((ROOT / "tests" / "answer.schema.json").read_text())


def make_settings(index_dir: Path, **overrides: object) -> Settings:
    return load_settings(env={}, index_dir=index_dir, **overrides)


@pytest.fixture(scope="session")
def real_embedder():
    from rag.embed import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Settings:
    """The whole shipped corpus ingested with the real model into real embedded Chroma."""
    from rag.ingest import ingest

    settings = make_settings(tmp_path_factory.mktemp("corpus-index"))
    report = ingest([CORPUS], settings, lambda: real_embedder, quiet=True)
    assert report.articles == 301 and not report.failed
    return settings


@pytest.fixture(scope="session")
def corpus_pipeline(corpus_index: Settings, real_embedder):
    from rag.pipeline import build_pipeline

    return build_pipeline(corpus_index, embedder=real_embedder)


@pytest.fixture
def seed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def fake_index(tmp_path: Path) -> Callable[..., Settings]:
    """Ingest folders with the hashing embedder; returns the index's Settings."""
    from rag.ingest import ingest
    from tests.fakes import HashEmbedder

    def build(*folders: Path, **overrides: object) -> Settings:
        settings = make_settings(tmp_path / "index", **overrides)
        ingest(list(folders), settings, HashEmbedder, quiet=True)
        return settings

    return build
