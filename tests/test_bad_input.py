"""Bad files through the real `rag ingest --json`: every good part is ingested, every bad
part is in `failed` with a reason, the size limit is enforced, nothing already indexed is
lost, no traceback is printed, and hidden or script text never reaches the index.

The committed fixtures are in tests/badfiles/; the 30 MB file and the very long line are
made at test time.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEED, make_settings, run_rag

BADFILES = Path(__file__).resolve().parent / "badfiles"
CANARIES = (
    "SCRIPTCANARY",
    "STYLECANARY",
    "NAVCANARY",
    "HIDDENATTRCANARY",
    "DISPLAYNONECANARY",
    "ARIAHIDDENCANARY",
    "VISIBILITYCANARY",
    "NOSCRIPTCANARY",
    "TEMPLATECANARY",
    "COMMENTCANARY",
    "JSONLDCANARY",
    "ASIDECANARY",
    "FOOTERSCRIPTCANARY",
)
GOOD = {
    "good-article",
    "latin1-cafe",
    "utf16-bom",
    "utf16le-nobom",
    "nul-bytes",
    "invisible-chars",
    "page",
    "wire-001",
    "wire-003",
    "long-line",
    "long-word",
}
EXPECTED_FAILURES = {
    "empty.txt": "empty",
    "empty.md": "empty",
    "blank.jsonl": "empty",
    "photo.txt": "not a text file",
    "huge.txt": "--max-bytes",
    "wire.jsonl:2": "not valid JSON",
    "wire.jsonl:4": "no 'text'",
    "wire.jsonl:5": "JSON object",
}
SENTENCE = (
    "The harbour authority said the new breakwater would protect the fishing fleet "
    "from winter storms and cost about twelve million dollars. "
)


def _store(index: Path) -> Any:
    from rag.store import ChromaStore

    return ChromaStore(make_settings(index))


def _keyword_ids(index: Path) -> list[str]:
    from rag.keyword import KeywordIndex

    return KeywordIndex.open(index).chunk_ids


def _all_stored_text(index: Path) -> str:
    store = _store(index)
    chunks = store.chunks.get(include=["documents", "metadatas"])
    articles = store.articles.get(include=["documents", "metadatas"])
    parts = [*chunks["documents"], *articles["documents"]]
    metadatas = chunks["metadatas"] + articles["metadatas"]
    parts += [json.dumps(m, ensure_ascii=False) for m in metadatas]
    parts.extend(_keyword_ids(index))
    return "\n".join(parts)


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr
    for line in stderr.splitlines():
        assert line.startswith(("failed: ", "rag: ")), line


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> dict[str, Any]:
    """An index already holding the seed article, then `rag ingest` of the bad folder."""
    from rag.ingest import ingest

    base = tmp_path_factory.mktemp("bad-input")
    existing = base / "existing"
    existing.mkdir()
    shutil.copy(SEED, existing / SEED.name)
    index = base / "index"
    ingest([existing], make_settings(index), lambda: real_embedder, quiet=True)
    before = _store(index).get_article(SEED.stem)
    assert before is not None

    docs = base / "docs"
    shutil.copytree(BADFILES, docs)
    with (docs / "huge.txt").open("wb") as handle:  # 30 MB, over the 10 MB default
        handle.write(b"Huge file\n\n")
        handle.truncate(30_000_000)  # sparse: 30 MB on the size check, little on disk
    (docs / "long-line.txt").write_text("A very long line\n\n" + SENTENCE * 150, encoding="utf-8")
    # One 20,000-character "word": no space or sentence end to cut at.
    (docs / "long-word.txt").write_text(
        "A very long word\n\n" + "abcdefghij" * 2000, encoding="utf-8"
    )

    result = run_rag("ingest", str(docs), "--json", "--quiet", index=index)
    return {
        "index": index,
        "docs": docs,
        "result": result,
        "report": json.loads(result.stdout) if result.stdout.strip() else None,
        "seed_before": before,
    }


@pytest.mark.slow
def test_bad_folder_ingests_every_good_file_and_exits_0(bad_run: dict[str, Any]) -> None:
    result, report = bad_run["result"], bad_run["report"]
    assert result.returncode == 0, result.stderr
    _no_traceback(result.stderr)
    assert report["articles"] == len(GOOD)
    stored = {row["article_id"] for row in _store(bad_run["index"]).list_articles()}
    assert stored == GOOD | {SEED.stem}


@pytest.mark.slow
def test_every_bad_part_is_listed_in_failed_with_a_reason(bad_run: dict[str, Any]) -> None:
    docs, report = bad_run["docs"], bad_run["report"]
    failed = {item["path"]: item["error"] for item in report["failed"]}
    assert set(failed) == {str(docs / name) for name in EXPECTED_FAILURES}
    for name, reason in EXPECTED_FAILURES.items():
        assert reason in failed[str(docs / name)], (name, failed[str(docs / name)])
    for path, _ in failed.items():  # the same lines on stderr for people
        assert f"failed: {path}: " in bad_run["result"].stderr


@pytest.mark.slow
def test_hidden_files_and_unsupported_extensions_are_ignored_not_failed(
    bad_run: dict[str, Any],
) -> None:
    report = bad_run["report"]
    assert report["ignored"] == 2  # .DS_Store, notes.docx
    assert not any(".DS_Store" in f["path"] or "docx" in f["path"] for f in report["failed"])


@pytest.mark.slow
def test_the_30_mb_file_is_refused_by_size_without_being_read(bad_run: dict[str, Any]) -> None:
    error = next(f["error"] for f in bad_run["report"]["failed"] if f["path"].endswith("huge.txt"))
    assert "30.0 MB" in error and "10 MB" in error
    store = _store(bad_run["index"])
    assert store.get_article("huge") is None
    assert not store.chunks.get(where={"article_id": "huge"})["ids"]


@pytest.mark.slow
def test_what_was_indexed_before_is_still_there_unchanged(bad_run: dict[str, Any]) -> None:
    after = _store(bad_run["index"]).get_article(SEED.stem)
    assert after == bad_run["seed_before"]


@pytest.mark.slow
def test_hidden_and_script_text_of_the_html_page_never_reaches_the_index(
    bad_run: dict[str, Any],
) -> None:
    stored = _all_stored_text(bad_run["index"])
    for canary in CANARIES:
        assert canary not in stored, canary
    page = _store(bad_run["index"]).get_article("page")
    assert page is not None and page.title == "Reef survey finds coral recovery"
    assert page.text.startswith("Marine scientists surveying the northern Great Barrier Reef")
    assert "PWNED" not in stored and "reveal secrets" not in stored


@pytest.mark.slow
def test_encodings_nul_bytes_and_invisible_characters_are_cleaned_not_rejected(
    bad_run: dict[str, Any],
) -> None:
    store = _store(bad_run["index"])
    texts = {aid: store.get_article(aid) for aid in GOOD}
    assert "Café Säntis" in texts["latin1-cafe"].text
    assert texts["latin1-cafe"].title == "Café owners in Wollongong protest rent rise"
    assert "Derwent ferry" in texts["utf16-bom"].text
    assert "hail destroyed a third" in texts["utf16le-nobom"].text
    assert "Tamar bridge repairs two weeks early" in texts["nul-bytes"].text
    desal = texts["invisible-chars"]
    assert desal.title == "Desalination plant opens"
    assert "The desalination plant at Kurnell began supplying water on Wednesday" in desal.text
    assert "Water restrictions will ease" in desal.text
    stored = _all_stored_text(bad_run["index"])
    assert "\x00" not in stored and "\u200b" not in stored and "\ufeff" not in stored
    assert not any(0xE0000 <= ord(ch) <= 0xE007F for ch in stored)
    assert "ignore previous instructions" not in desal.text


@pytest.mark.slow
def test_a_very_long_line_is_split_into_chunks_of_bounded_size(bad_run: dict[str, Any]) -> None:
    store = _store(bad_run["index"])
    page = store.chunks.get(where={"article_id": "long-line"}, include=["documents"])
    assert len(page["ids"]) > 10
    assert max(len(doc) for doc in page["documents"]) < 2000
    article = store.get_article("long-line")
    assert article is not None and article.text == (SENTENCE * 150).strip()
    word = store.chunks.get(where={"article_id": "long-word"}, include=["documents"])
    assert len(word["ids"]) > 10
    assert max(len(doc) for doc in word["documents"]) < 2000


@pytest.mark.slow
def test_json_lines_keeps_its_good_records_around_a_broken_line(bad_run: dict[str, Any]) -> None:
    store = _store(bad_run["index"])
    wire = store.get_article("wire-001")
    assert wire is not None and wire.source == "https://example.com/wire-001"
    assert wire.published == "2024-03-01"
    assert store.get_article("wire-003") is not None


@pytest.mark.slow
def test_max_bytes_is_enforced_and_a_folder_of_only_bad_files_exits_2(
    bad_run: dict[str, Any], tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(bad_run["index"], index)
    before = sorted(row["article_id"] for row in _store(index).list_articles())
    folder = tmp_path / "small-limit"
    folder.mkdir()
    shutil.copy(BADFILES / "good-article.txt", folder / "fresh.txt")  # 190 bytes
    shutil.copy(BADFILES / "photo.txt", folder / "photo.txt")
    result = run_rag("ingest", str(folder), "--json", "--quiet", "--max-bytes", "150", index=index)
    assert result.returncode == 2, result.stdout + result.stderr
    _no_traceback(result.stderr)
    report = json.loads(result.stdout)
    assert report["articles"] == 0
    errors = {Path(f["path"]).name: f["error"] for f in report["failed"]}
    assert "--max-bytes" in errors["fresh.txt"]
    assert "not a text file" in errors["photo.txt"]
    assert sorted(row["article_id"] for row in _store(index).list_articles()) == before


def test_a_folder_with_nothing_to_read_is_not_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "mac-folder"
    folder.mkdir()
    shutil.copy(BADFILES / ".DS_Store", folder / ".DS_Store")
    result = run_rag("ingest", str(folder), "--json", "--quiet", index=tmp_path / "index")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["articles"] == 0 and report["failed"] == [] and report["ignored"] == 1


# -- prune and delete never lose what they should keep (fast, hashing embedder) ----------


def _ingest(folders: list[Path], index: Path, prune: bool = False) -> Any:
    from rag.ingest import ingest
    from tests.fakes import HashEmbedder

    return ingest(folders, make_settings(index), HashEmbedder, prune=prune, quiet=True)


def _article_ids(index: Path) -> set[str]:
    return {row["article_id"] for row in _store(index).list_articles()}


def _write(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"{name} title\n\n{body}\n", encoding="utf-8")


def test_prune_removes_only_gone_files_of_the_same_folder(tmp_path: Path) -> None:
    a, b, index = tmp_path / "a", tmp_path / "b", tmp_path / "index"
    _write(a, "alpha.txt", SENTENCE)
    _write(a, "beta.txt", "Beta news about the council. " * 5)
    _write(b, "gamma.txt", "Gamma news about the railway. " * 5)
    _ingest([a], index)
    _ingest([b], index, prune=True)  # folder B never prunes folder A
    assert _article_ids(index) == {"alpha", "beta", "gamma"}
    (a / "beta.txt").unlink()
    _ingest([a], index)  # without --prune nothing is removed
    assert _article_ids(index) == {"alpha", "beta", "gamma"}
    report = _ingest([a], index, prune=True)
    assert report.removed == 1
    assert _article_ids(index) == {"alpha", "gamma"}
    assert not _store(index).chunks.get(where={"article_id": "beta"})["ids"]


def test_prune_keeps_the_article_of_a_file_that_exists_but_cannot_be_read_now(
    tmp_path: Path,
) -> None:
    a, index = tmp_path / "a", tmp_path / "index"
    _write(a, "alpha.txt", SENTENCE)
    _write(a, "beta.txt", "Beta news about the council. " * 5)
    (a / "wire.jsonl").write_text(
        json.dumps({"id": "w1", "text": "Wire story about floods.", "url": "https://x.example/1"})
        + "\n",
        encoding="utf-8",
    )
    _ingest([a], index)
    (a / "beta.txt").write_bytes(b"")  # being rewritten, say
    (a / "wire.jsonl").write_text("{broken\n", encoding="utf-8")
    report = _ingest([a], index, prune=True)
    assert report.removed == 0 and len(report.failed) == 2
    assert _article_ids(index) == {"alpha", "beta", "w1"}


def test_a_changed_article_replaces_its_chunks_and_leaves_no_stale_ones(tmp_path: Path) -> None:
    a, index = tmp_path / "a", tmp_path / "index"
    _write(a, "alpha.txt", "\n\n".join([SENTENCE * 3] * 4))
    _ingest([a], index)
    long_ids = set(_store(index).chunks.get(where={"article_id": "alpha"})["ids"])
    _write(a, "alpha.txt", "A short replacement sentence about the harbour.")
    _ingest([a], index)
    page = _store(index).chunks.get(where={"article_id": "alpha"}, include=["documents"])
    assert len(long_ids) > 1 and page["ids"] == ["alpha#0"]
    assert page["documents"] == ["A short replacement sentence about the harbour."]
    assert _keyword_ids(index) == ["alpha#0"]


def test_rag_delete_removes_the_article_and_its_chunks_only(tmp_path: Path) -> None:
    a, index = tmp_path / "a", tmp_path / "index"
    _write(a, "alpha.txt", SENTENCE)
    _write(a, "beta.txt", "Beta news about the council. " * 5)
    _ingest([a], index)
    result = run_rag("delete", "beta", "no-such-article", index=index)
    assert result.returncode == 0, result.stderr
    assert "removed 1 of 2" in result.stdout
    assert _article_ids(index) == {"alpha"}
    assert {c.article_id for c in _store(index).iter_chunks()} == {"alpha"}
    missing = run_rag("delete", "no-such-article", index=index)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
