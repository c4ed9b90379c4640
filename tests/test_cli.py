"""rag/cli.py: the `rag` command as users run it (`python -m rag.cli`), on real parts."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest

from rag.store import ChromaStore
from tests.conftest import CORPUS, KALLAS, SEED, rag_command, run_rag

pytestmark = pytest.mark.slow

INGEST_KEYS = {"articles", "chunks", "embedded", "skipped", "failed", "seconds"}
SEED_TITLE = "US considers crossing red lines on Western troops and missiles in Ukraine war"


def one_clean_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [("ask", "--json", KALLAS), ("stats",)])
def test_missing_index_exits_3_with_one_line_telling_to_ingest(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = run_rag(*args, index=tmp_path / "nowhere")
    assert result.returncode == 3
    assert "rag ingest" in one_clean_line(result.stderr)
    assert result.stdout == ""
    assert not (tmp_path / "nowhere").exists()


def test_empty_index_exits_3(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_rag("ingest", str(empty), "--quiet", index=tmp_path / "index").returncode == 0
    result = run_rag("ask", KALLAS, index=tmp_path / "index")
    assert result.returncode == 3
    assert "rag ingest" in one_clean_line(result.stderr)


@pytest.mark.parametrize(
    "args",
    [("frobnicate",), ("ask",), ("ask", "-k", "0", KALLAS)],
    ids=["unknown-command", "ask-without-question", "k-below-1"],
)
def test_bad_usage_exits_2_without_traceback(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_rag(*args, env={"RAG_INDEX_DIR": str(tmp_path / "index")})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.strip()


def test_bad_configuration_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_rag("stats", index=tmp_path, env={"RAG_LLM": "gpt-5"})
    assert result.returncode == 2
    assert "RAG_LLM" in one_clean_line(result.stderr)


def test_ingest_of_only_bad_files_exits_2_listing_each_failure(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("")
    (bad / "feed.jsonl").write_text("{broken\n")
    result = run_rag("ingest", str(bad), "--json", "--quiet", index=tmp_path / "index")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["articles"] == 0
    assert sorted(f["path"] for f in report["failed"]) == sorted(
        [str(bad / "empty.txt"), f"{bad / 'feed.jsonl'}:1"]
    )
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2


# -- on the shipped corpus, ingested once for the session ---------------------------------------


def test_ask_json_is_one_answer_valid_against_the_schema(corpus_index, answer_schema) -> None:
    result = run_rag("ask", "--json", KALLAS, index=corpus_index.index_dir)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    jsonschema.validate(body, answer_schema)
    assert body["question"] == KALLAS and body["refused"] is False
    first = body["citations"][0]
    assert first["article_id"] == SEED.stem and first["published"] == "2024-11-22"
    assert "Article 5" in first["quote"] and f"[{first['n']}]" in body["answer"]


def test_ask_plain_prints_the_answer_then_numbered_sources(corpus_index) -> None:
    result = run_rag("ask", KALLAS, index=corpus_index.index_dir)
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("Sources:")
    assert "[1]" in answer and "Kallas" in answer
    assert f"[1] {SEED_TITLE} — 2024-11-22 — " in sources
    assert "Article 5" in sources


def test_batch_from_stdin_prints_one_json_answer_per_question(corpus_index, answer_schema) -> None:
    questions = [
        KALLAS,
        "What did the Bank of Japan decide about interest rates in March 2019?",
        "Which boat was first across the finish line in the 57th Sydney-Hobart race?",
    ]
    result = run_rag(
        "ask", "--batch", "-", index=corpus_index.index_dir, input="\n".join(questions) + "\n\n"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    bodies = [json.loads(line) for line in lines]
    for body in bodies:
        jsonschema.validate(body, answer_schema)
    assert [b["question"] for b in bodies] == questions
    assert bodies[1]["refused"] is True and bodies[1]["citations"] == []


def test_stats_json_counts_articles_and_chunks(corpus_index) -> None:
    result = run_rag("stats", "--json", index=corpus_index.index_dir)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    store = ChromaStore(corpus_index)
    assert body == {
        "articles": 301,
        "chunks": store.count_chunks(),
        "index": str(corpus_index.index_dir),
        "store": "chroma-embedded",
    }
    assert body["chunks"] > 301


def test_reingest_json_has_contract_keys_and_embeds_nothing(corpus_index) -> None:
    result = run_rag("ingest", str(CORPUS), "--json", "--quiet", index=corpus_index.index_dir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= INGEST_KEYS
    assert (report["articles"], report["embedded"], report["skipped"]) == (301, 0, 301)
    assert report["failed"] == [] and report["ignored"] == 2  # README.md, convert_lee.py
    assert report["seconds"] < 10  # ~1.5 s on an idle machine


# -- writing with the hashing embedder's index ---------------------------------------------------


def test_delete_removes_an_article_by_id(fake_index, seed_folder: Path) -> None:
    (seed_folder / "extra.txt").write_text("Extra story\n\nRain fell on Perth.\n")
    settings = fake_index(seed_folder)
    result = run_rag("delete", "extra", index=settings.index_dir)
    assert result.returncode == 0, result.stderr
    assert ChromaStore(settings).all_article_ids() == [SEED.stem]


def test_overlong_question_exits_2_with_one_line(corpus_index) -> None:
    result = run_rag("ask", "why " * 600, index=corpus_index.index_dir)
    assert result.returncode == 2
    assert "limit" in one_clean_line(result.stderr)


def test_deleting_an_unknown_id_exits_2_with_one_line_on_stderr(fake_index, seed_folder) -> None:
    settings = fake_index(seed_folder)
    result = run_rag("delete", "no-such-article", index=settings.index_dir)
    assert result.returncode == 2
    assert "no-such-article" in one_clean_line(result.stderr)
    assert ChromaStore(settings).all_article_ids() == [SEED.stem]


def test_stats_says_one_article_not_one_articles(fake_index, seed_folder) -> None:
    result = run_rag("stats", index=fake_index(seed_folder).index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 article, ")


@pytest.mark.slow
def test_stopping_rag_ui_stops_the_streamlit_server(fake_index, seed_folder, tmp_path) -> None:
    """`rag ui` becomes the Streamlit server: a process manager's SIGTERM to it stops it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    process = subprocess.Popen(
        [
            *rag_command(),
            "ui",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--index",
            str(fake_index(seed_folder).index_dir),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        else:
            pytest.fail("rag ui did not start listening")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        time.sleep(0.5)
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, "Streamlit outlived rag ui"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
