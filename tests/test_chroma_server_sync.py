"""Server mode, two machines: each keeps its own keyword index beside a shared Chroma
server, and a machine that did not ingest catches up from the store's change log (the
articles written or deleted since it last looked), never by rebuilding from every chunk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rag.config import Settings
from rag.ingest import delete, ingest
from rag.keyword import FILENAME, KeywordIndex
from rag.pipeline import build_pipeline
from tests.conftest import make_settings
from tests.fakes import HashEmbedder
from tests.test_chroma_server import chroma_server  # noqa: F401 - the real `chroma run`

pytestmark = pytest.mark.slow


def on_server(index_dir: Path, server: dict[str, str]) -> Settings:
    return make_settings(
        index_dir, chroma_host=server["CHROMA_HOST"], chroma_port=int(server["CHROMA_PORT"])
    )


def rowids(index_dir: Path) -> dict[str, int]:
    with sqlite3.connect(index_dir / FILENAME) as db:
        return dict(db.execute("SELECT chunk_id, id FROM passages").fetchall())


def story(folder: Path, name: str, title: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(f"{title}\n\n{body}\n")
    return folder


def test_a_reading_machine_catches_up_from_the_change_log(
    chroma_server: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    writer = on_server(tmp_path / "writer-machine", chroma_server)
    reader = on_server(tmp_path / "reader-machine", chroma_server)
    first = story(
        tmp_path / "first",
        "farm",
        "Farmers welcome rain",
        "Heavy rain fell across the wheat belt on Monday. Farmers said the harvest was saved.",
    )
    story(first, "tennis", "Hopman Cup opens", "Spain beat Argentina in the Hopman Cup in Perth.")
    ingest([first], writer, HashEmbedder, quiet=True)

    pipeline = build_pipeline(reader, embedder=HashEmbedder())  # builds its copy once
    before = rowids(reader.index_dir)
    assert sorted(before) == ["farm#0", "tennis#0"]

    later = story(
        tmp_path / "later", "cyclone", "Cyclone Tracy", "A cyclone struck Darwin overnight."
    )
    ingest([later], writer, HashEmbedder, quiet=True)
    delete(["farm"], writer)
    assert pipeline.retriever.keyword.search("cyclone Darwin", 5) == []  # not yet

    pipeline.refresh()
    after = rowids(reader.index_dir)
    assert sorted(after) == ["cyclone#0", "tennis#0"]
    assert after["tennis#0"] == before["tennis#0"]  # untouched rows were not rebuilt
    assert pipeline.retriever.keyword.search("cyclone Darwin", 5)[0][0] == "cyclone#0"
    assert pipeline.retrieve("cyclone Darwin")[0].chunk.article_id == "cyclone"
    assert KeywordIndex.open(reader.index_dir).seq == KeywordIndex.open(writer.index_dir).seq
