"""The evaluation suite: gold format and importers, metrics, the runner, report and judge."""

from __future__ import annotations

import json
import re
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from evals import metrics as m
from evals.gold import GoldItem, import_csv, import_squad, load_gold, write_gold
from evals.runner import (
    HEADLINE,
    evaluate,
    floor_failures,
    floors_from,
    parse_configs,
    per_type,
    summarize,
)
from rag.errors import BadInputError
from tests.conftest import KALLAS, ROOT, make_settings, run_rag

SEED_ID = "us-red-lines-ukraine-2024-11-22"
TINY_GOLD = [
    {
        "id": "t1",
        "question": KALLAS,
        "answers": ["would not lead to invocation", "Article 5"],
        "article_ids": [SEED_ID],
        "answerable": True,
        "type": "quote",
    },
    {
        "id": "t2",
        "question": "How many people were killed in the overnight strikes on Kharkiv?",
        "answers": ["at least seven", "seven"],
        "article_ids": [SEED_ID],
        "answerable": True,
        "type": "factoid",
    },
    {
        "id": "t3",
        "question": "What did she threaten to strike if British weapons hit Russia?",
        "answers": ["British targets"],
        "article_ids": [SEED_ID],
        "answerable": True,
        "type": "follow-up",
        "context": ["What did Maria Zakharova, the Russian foreign ministry spokeswoman, say?"],
    },
    {
        "id": "t4",
        "question": "Which football club won the 1987 Scottish Cup final?",
        "answers": [],
        "article_ids": [],
        "answerable": False,
        "type": "unanswerable",
    },
]


def write_tiny_gold(path: Path, records: list[dict[str, Any]] = TINY_GOLD) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# -- gold format --------------------------------------------------------------------------------


def test_loading_gold_reads_follow_up_context_and_types(tmp_path: Path) -> None:
    items = load_gold(write_tiny_gold(tmp_path / "gold.jsonl"))
    assert [i.id for i in items] == ["t1", "t2", "t3", "t4"]
    assert items[2].context == (
        "What did Maria Zakharova, the Russian foreign ministry spokeswoman, say?",
    )
    assert items[3].answerable is False and items[3].article_ids == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"answers": []}, "at least one answer"),
        ({"type": "rumour"}, "'type' must be one of"),
        ({"type": "follow-up"}, "needs 'context'"),
        ({"answerable": "yes"}, "true or false"),
    ],
)
def test_loading_gold_rejects_a_bad_line_naming_it(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    records = [TINY_GOLD[0], {**TINY_GOLD[1], **change}]
    with pytest.raises(BadInputError, match=rf"gold.jsonl:2: .*{re.escape(message)}"):
        load_gold(write_tiny_gold(tmp_path / "gold.jsonl", records))


def test_loading_gold_rejects_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="duplicate id 't1'"):
        load_gold(write_tiny_gold(tmp_path / "gold.jsonl", [TINY_GOLD[0], TINY_GOLD[0]]))


def test_shipped_gold_sets_load_and_the_starter_set_is_drawn_from_news() -> None:
    news = {i.id: i for i in load_gold(ROOT / "evals" / "gold" / "news.jsonl")}
    starter = load_gold(ROOT / "evals" / "gold" / "starter.jsonl")
    assert len(news) >= 100
    assert all(news[i.id] == i for i in starter)
    assert sum(not i.answerable for i in news.values()) >= 20


def test_squad_import_makes_one_article_per_paragraph_and_keeps_impossible_questions(
    tmp_path: Path,
) -> None:
    squad = {
        "version": "v2.0",
        "data": [
            {
                "title": "Super_Bowl_50",
                "paragraphs": [
                    {
                        "context": "Super Bowl 50 was played at Levi's Stadium. "
                        "The Denver Broncos won.",
                        "qas": [
                            {
                                "id": "a1",
                                "question": "Who won Super Bowl 50?",
                                "is_impossible": False,
                                "answers": [
                                    {"text": "Denver Broncos", "answer_start": 49},
                                    {"text": "Denver Broncos", "answer_start": 49},
                                    {"text": "The Denver Broncos", "answer_start": 45},
                                ],
                            },
                            {
                                "id": "a2",
                                "question": "Who lost Super Bowl 51?",
                                "is_impossible": True,
                                "answers": [],
                                "plausible_answers": [{"text": "Broncos", "answer_start": 56}],
                            },
                        ],
                    }
                ],
            }
        ],
    }
    source = tmp_path / "squad.json"
    source.write_text(json.dumps(squad))
    items = import_squad(source, tmp_path / "articles")
    assert items[0].answers == ("Denver Broncos", "The Denver Broncos")
    assert items[0].article_ids == ("super-bowl-50-p0",)
    assert items[1].answerable is False and items[1].answers == ()
    article = (tmp_path / "articles" / "super-bowl-50-p0.txt").read_text()
    assert article.startswith("Super Bowl 50\n") and "Levi's Stadium" in article


def test_csv_import_maps_source_paths_to_article_ids_and_blank_answers_to_unanswerable(
    tmp_path: Path,
) -> None:
    source = tmp_path / "qa.csv"
    source.write_text(
        "question,answer,source\n"
        '"Who spoke about Article 5?",Kallas|Kaja Kallas,'
        "corpus/us-red-lines-ukraine-2024-11-22.txt\n"
        "Who won the 1987 Scottish Cup?,,\n"
        "How far did the paddlers go?,400 kilometres,corpus/lee/lee-007.txt;lee/lee-008\n"
    )
    items = import_csv(source)
    assert items[0].answers == ("Kallas", "Kaja Kallas")
    assert items[0].article_ids == (SEED_ID,)
    assert items[1].answerable is False and items[1].type == "unanswerable"
    assert items[2].article_ids == ("lee/lee-007", "lee/lee-008")


def test_importer_command_writes_gold_that_the_loader_accepts(tmp_path: Path) -> None:
    import subprocess
    import sys

    source = tmp_path / "qa.csv"
    source.write_text("question,answer,source\nWho?,Kallas,corpus/x.txt\nWhy not?,,\n")
    out = tmp_path / "gold.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "evals.importers", "csv", str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote 2 questions (1 factoid, 1 unanswerable)" in done.stdout
    assert [i.article_ids for i in load_gold(out)] == [("x",), ()]
    bad = subprocess.run(
        [sys.executable, "-m", "evals.importers", "squad", str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_written_gold_round_trips(tmp_path: Path) -> None:
    items = load_gold(write_tiny_gold(tmp_path / "a.jsonl"))
    write_gold(items, tmp_path / "b.jsonl")
    assert load_gold(tmp_path / "b.jsonl") == items


def test_the_schema_copy_in_evals_is_the_contract() -> None:
    assert json.loads((ROOT / "evals" / "answer.schema.json").read_text()) == json.loads(
        (ROOT / "tests" / "answer.schema.json").read_text()
    )


# -- metrics ----------------------------------------------------------------------------------


def test_alias_match_ignores_case_punctuation_articles_and_citation_markers() -> None:
    answer = "Officials said AT LEAST seven people died [1]; the cost was $170,000 [2]."
    assert m.contains_alias(answer, ["at least seven"])
    assert m.contains_alias(answer, ["$170,000"])
    assert m.contains_alias("It was the Broncos.", ["Broncos"])
    assert not m.contains_alias("seventeen people", ["seven"])
    assert not m.contains_alias(answer, ["[1]", "eight"])


def test_token_f1_is_squad_f1_against_the_best_alias() -> None:
    assert m.token_f1("Denver Broncos", ["Broncos", "The Denver Broncos"]) == 1.0
    assert m.token_f1("the Denver team", ["Denver Broncos"]) == pytest.approx(0.5)
    assert m.token_f1("nothing alike", ["Denver Broncos"]) == 0.0


def passage(rank: int, article_id: str, text: str) -> m.RetrievedPassage:
    chunk_id = f"{article_id}#{rank}"
    return m.RetrievedPassage(rank, chunk_id, article_id, text, 1.0 / rank, rank, None)


def test_retrieval_metrics_rank_articles_and_require_an_alias_at_passage_level() -> None:
    ranked = [
        passage(1, "other", "at least seven people"),  # right words, wrong article
        passage(2, "gold", "the strikes hit Kharkiv"),  # right article, no answer
        passage(3, "gold", "killed at least seven people"),
    ]
    article, passage_level = m.relevant_flags(ranked, ["gold"], ["at least seven"])
    assert article == [False, True, True] and passage_level == [False, False, True]
    assert m.hit_at(article, 1) == 0.0 and m.hit_at(article, 3) == 1.0
    assert m.reciprocal_rank(article) == 0.5 and m.reciprocal_rank(passage_level) == 1 / 3
    assert m.article_recall_at(ranked, ["gold", "missing"], 5) == 0.5
    assert m.alias_recall_at(ranked, ["gold"], ["at least seven", "Kharkiv", "Kyiv"], 2) == 1 / 3


def test_paired_bootstrap_interval_excludes_zero_only_for_a_real_difference() -> None:
    baseline = [1.0, 0.0] * 50
    delta, low, high = m.paired_bootstrap(baseline, [1.0] * 100)
    assert delta == 0.5 and 0.35 < low <= 0.5 <= high < 0.65
    one_flip = baseline[:]
    one_flip[1] = 1.0
    delta, low, high = m.paired_bootstrap(baseline, one_flip)
    assert delta == 0.01 and low == 0.0  # one question better: not distinguishable


def test_compare_pairs_questions_by_id_against_the_first_configuration() -> None:
    from evals.runner import compare

    def row(qid: str, correct: float) -> dict[str, Any]:
        return {"id": qid, "hit@3": correct, "rr": correct, "match": correct, "correct": correct}

    rows = {
        "hybrid": [row("a", 1.0), row("b", 0.0), row("c", 1.0)],
        "bm25": [row("c", 1.0), row("b", 1.0), row("a", 1.0)],  # other order, b now right
    }
    result = compare(rows)["bm25"]["answer_match"]
    assert result["changed"] == 1 and result["delta"] == pytest.approx(1 / 3)


def test_question_overlap_is_the_share_of_question_words_its_article_uses() -> None:
    article = "Kaja Kallas said training troops would not trigger Article 5."
    assert m.question_overlap("What did Kallas say about Article 5?", [article]) == 1.0
    assert m.question_overlap("What did Kallas say about conscription?", [article]) == 0.5
    assert m.question_overlap("What did Kallas say?", []) is None


def test_claims_keep_their_markers_and_a_marker_after_a_run_cites_the_run() -> None:
    claims = m.split_claims(
        "Kallas spoke on Tuesday. Troops would train Ukrainians. [1] Zakharova warned "
        "Britain [2][3]. Nobody else commented."
    )
    assert [c.markers for c in claims] == [(1,), (1,), (2, 3), ()]
    assert claims[2].text == "Zakharova warned Britain."


def answer_json(text: str, quotes: dict[int, str], refused: bool = False) -> dict[str, Any]:
    return {
        "question": "q",
        "answer": text,
        "refused": refused,
        "mode": "extractive",
        "timings_ms": {"total": 1.0},
        "citations": [
            {
                "n": n,
                "chunk_id": f"{SEED_ID}#0",
                "article_id": SEED_ID,
                "title": "t",
                "published": None,
                "source": "s",
                "quote": quote,
                "char_start": 0,
                "char_end": len(quote),
                "score": 0.5,
                "verified": True,
            }
            for n, quote in quotes.items()
        ],
    }


def test_citation_precision_and_recall_fall_for_a_claim_its_quote_does_not_support() -> None:
    quote = "Kaja Kallas said this would not lead to invocation of Article 5."
    good = answer_json(f"{quote} [1]", {1: quote})
    scores = m.citation_scores(good, ["Article 5"])
    assert (scores.precision, scores.recall) == (1.0, 1.0)
    padded = answer_json(
        f"{quote} [1] The council approved a stadium on the moon in 1987. [1]", {1: quote}
    )
    scores = m.citation_scores(padded, ["Article 5"])
    assert (scores.precision, scores.recall) == (0.5, 0.5)
    uncited = answer_json(f"{quote} [1] The council approved a stadium on the moon.", {1: quote})
    assert m.citation_scores(uncited).recall == 0.5
    assert m.citation_scores(answer_json("I can't say.", {}, refused=True)).recall is None


def test_a_claim_quoting_its_passage_verbatim_is_supported_even_with_bracketed_numbers() -> None:
    quote = "The stadium will cost 4 billion [3]. Work starts in May."
    claim = "The stadium will cost 4 billion (3)."
    assert m.supports(quote, claim, similarity=lambda a, b: 0.0)


def test_citation_support_also_needs_embedding_similarity() -> None:
    quote = "Kaja Kallas said this would not lead to invocation of Article 5."
    claim = "Kallas said invocation of Article 5 would not follow."
    assert m.supports(quote, claim, similarity=lambda a, b: 0.8)
    assert not m.supports(quote, claim, similarity=lambda a, b: 0.1)


def test_citation_problems_follow_the_contract(answer_schema: dict[str, Any]) -> None:
    article = "Kaja Kallas said this would not lead to invocation of Article 5. More text."
    quote = article[:65]

    def text_of(article_id: str) -> str | None:
        return article if article_id == SEED_ID else None

    assert (
        m.citation_problems(answer_json(f"{quote} [1]", {1: quote}), text_of, answer_schema) == []
    )
    changed = answer_json(f"{quote} [1]", {1: quote.replace("Kaja", "K.")})
    assert "quote differs" in " ".join(m.citation_problems(changed, text_of))
    dangling = answer_json(f"{quote} [1] [2]", {1: quote, 3: quote})
    problems = m.citation_problems(dangling, text_of)
    assert "[2] has no citation" in problems and "citation 3 is not used in the answer" in problems
    # a refusal may cite what the articles do say, under the same rules
    unused = answer_json("The articles don't say.", {1: quote}, refused=True)
    assert m.citation_problems(unused, text_of) == ["citation 1 is not used in the answer"]
    explained = answer_json(f"The articles don't say. They say: {quote} [1]", {1: quote}, True)
    assert m.citation_problems(explained, text_of) == []
    unschematic = answer_json(f"{quote} [1]", {1: quote})
    del unschematic["timings_ms"]
    assert m.citation_problems(unschematic, text_of, answer_schema)[0].startswith("schema:")


# -- the runner -----------------------------------------------------------------------------


@pytest.fixture
def seed_pipeline(fake_index, seed_folder: Path):
    from rag.pipeline import build_pipeline
    from tests.fakes import HashEmbedder

    return build_pipeline(fake_index(seed_folder), embedder=HashEmbedder())


def test_evaluate_scores_each_question_and_asks_the_follow_up_context_first(
    seed_pipeline, tmp_path: Path
) -> None:
    items = load_gold(write_tiny_gold(tmp_path / "gold.jsonl"))
    rows = evaluate(seed_pipeline, items, quiet=True)
    by_id = {r["id"]: r for r in rows}
    # The follow-up's pronoun was resolved from the context question asked before it.
    assert "Zakharova" in (by_id["t3"]["standalone"] or "")
    assert by_id["t1"]["hit@1"] == 1.0 and by_id["t1"]["retrieved"][0]["article_id"] == SEED_ID
    assert all(r["citation_valid"] for r in rows), [r["citation_problems"] for r in rows]
    metrics = summarize(rows)
    assert metrics["questions"] == 4 and metrics["answerable"] == 3
    assert metrics["hit@3"] == 1.0
    assert set(HEADLINE) <= set(metrics)
    assert metrics["latency_p50_ms"] > 0
    types = per_type(rows)
    assert types["follow-up"]["questions"] == 1


def test_an_answer_without_the_gold_alias_scores_zero_and_a_refusal_counts_as_refused(
    seed_pipeline,
) -> None:
    items = [
        GoldItem("w1", KALLAS, ("a phrase the article never uses",), (SEED_ID,), True, "quote"),
        GoldItem("w2", "Zzyzx qqq?", (), (), False, "unanswerable"),
    ]
    rows = evaluate(seed_pipeline, items, quiet=True)
    assert rows[0]["match"] == 0.0 and rows[0]["correct"] == 0.0
    metrics = summarize(rows)
    assert metrics["answer_match"] == 0.0
    assert metrics["refusal_accuracy"] == (1.0 if rows[1]["refused"] else 0.0)


def test_configurations_parse_into_retrieval_and_chunk_size_variants() -> None:
    settings = make_settings(Path("/nonexistent"))
    assert [c.name for c in parse_configs(None, settings)] == ["hybrid"]
    everything = parse_configs("all", settings)
    assert [c.name for c in everything] == ["hybrid", "vector", "bm25", "hybrid-96", "hybrid-256"]
    assert {c.chunk_tokens for c in everything} == {96, 160, 256}
    assert parse_configs("bm25-160,vector-96", settings)[1].chunk_tokens == 96
    with pytest.raises(BadInputError, match="unknown configuration 'dense'"):
        parse_configs("dense", settings)


def test_floors_are_measured_values_less_the_margin_and_failures_name_the_metric() -> None:
    measured = {
        "hit@3": 0.9,
        "answer_match": 0.5,
        "false_refusal_rate": 0.1,
        "latency_p50_ms": 300.0,
    }
    floors = floors_from(measured, 0.03)
    assert floors["floors"] == {"hit@3": 0.87, "answer_match": 0.47}
    assert floors["ceilings"] == {"false_refusal_rate": 0.13}
    assert floor_failures(measured, floors) == []
    worse = {**measured, "answer_match": 0.4, "false_refusal_rate": 0.2}
    assert floor_failures(worse, floors) == [
        "answer_match = 0.4 is below its floor 0.47",
        "false_refusal_rate = 0.2 is above its ceiling 0.13",
    ]


def test_calibration_sweeps_the_refusal_threshold_and_restores_the_answerer(
    seed_pipeline, tmp_path: Path
) -> None:
    from evals.runner import calibrate

    before = seed_pipeline.extractive.weights
    result = calibrate(seed_pipeline, load_gold(write_tiny_gold(tmp_path / "g.jsonl")), quiet=True)
    assert seed_pipeline.extractive.weights == before  # read as data, nothing swapped in
    before = before.refuse_below
    assert 0.2 <= result["best"] <= 0.8 and result["current"] == before
    assert result["accuracy_at_best"] >= result["accuracy_at_current"]
    assert len(result["sweep"]) > 10


def test_report_html_shows_article_markup_as_text() -> None:
    from evals.report import render_html

    page = render_html("| passage |\n|---|\n| <script>alert(1)</script> |\n")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<table>" in page


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.mark.slow
def test_rag_eval_compares_configurations_and_writes_the_report_with_plots(
    tmp_path: Path, seed_folder: Path
) -> None:
    gold = write_tiny_gold(tmp_path / "gold.jsonl")
    out = tmp_path / "report"
    index = tmp_path / "missing-index"  # built from --corpus on the way
    done = run_rag(
        "eval",
        "--gold",
        str(gold),
        "--corpus",
        str(seed_folder),
        "--out",
        str(out),
        "--configs",
        "hybrid,bm25,hybrid-96",
        "--json",
        "-q",
        index=index,
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert list(body["configs"]) == ["hybrid", "bm25", "hybrid-96"]
    assert body["configs"]["hybrid"]["hit@3"] == 1.0
    assert body["per_type"]["hybrid"]["quote"]["questions"] == 1
    # hybrid-96 has its own index with smaller passages.
    assert (out / "indexes" / "chunks-96" / "chroma").is_dir()
    rows96 = [json.loads(line) for line in (out / "results-hybrid-96.jsonl").open()]
    rows160 = [json.loads(line) for line in (out / "results-hybrid.jsonl").open()]
    longest = max(len(p["text"]) for r in rows96 for p in r["retrieved"])
    assert longest < max(len(p["text"]) for r in rows160 for p in r["retrieved"])
    report = (out / "report.md").read_text()
    for heading in (
        "## Headline",
        "## Retrieval",
        "## Latency",
        "## Per question type",
        "## Worst-answered questions",
        "### Compared with `hybrid`",
        "## How much the questions reuse their articles' words",
    ):
        assert heading in report
    assert "| hybrid-96 |" in report and "chunk (bold: gold article)" in report
    for plot in ("metrics", "hit_at_k", "latency", "per_type"):
        width, height = png_size(out / "plots" / f"{plot}.png")
        assert width >= 500 and height >= 300
        assert f"plots/{plot}.png" in report
    assert 'src="plots/metrics.png"' in (out / "report.html").read_text()


def test_rag_eval_with_a_bad_gold_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "gold.jsonl"
    bad.write_text('{"id": "x"}\n')
    done = run_rag("eval", "--gold", str(bad), index=tmp_path / "idx")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "gold.jsonl:1: missing field" in done.stderr


# -- model-judged metrics against a local OpenAI-compatible fake --------------------------------


class JudgeHandler(BaseHTTPRequestHandler):
    """Answers the judge's two prompts the way a careful model would, by word overlap."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        self.server.prompts.append(prompt)  # type: ignore[attr-defined]
        if body["model"] == "broken":
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if "Claims:" in prompt:
            passages = prompt.split("Passages:")[1].split("Claims:")[0].lower()
            claims = re.findall(r"^\d+\. (.*)$", prompt.split("Claims:")[1], re.M)
            verdicts = []
            for claim in claims:
                words = re.findall(r"[a-z]{4,}", claim.lower())
                verdicts.append(int(sum(w in passages for w in words) >= 0.7 * len(words)))
            content = "Here you go:\n" + json.dumps({"verdicts": verdicts})
        else:
            answer = prompt.split("assistant:")[1].split("Write the one question")[0].strip()
            words = answer.rstrip(".").split()
            content = json.dumps({"question": f"What about {' '.join(words[:8])}?"})
        reply = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def judge_server() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), JudgeHandler)
    server.prompts = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_llm_judge_scores_faithfulness_and_relevancy_through_a_local_endpoint(
    judge_server: Any, real_embedder: Any
) -> None:
    from evals.judge import LLMJudge

    host, port = judge_server.server_address
    settings = make_settings(
        Path("/nonexistent"),
        llm="openai",
        llm_model="judge",
        openai_base_url=f"http://{host}:{port}/v1",
        openai_api_key="k",
    )
    judge = LLMJudge(settings, real_embedder)
    quote = "Kaja Kallas said sending soldiers would not lead to invocation of Article 5."
    faithful = answer_json(f"{quote} [1]", {1: quote})
    padded = answer_json(f"{quote} [1] The council approved a stadium on the moon. [1]", {1: quote})
    assert judge.faithfulness(faithful) == 1.0
    assert judge.faithfulness(padded) == 0.5
    assert judge.faithfulness(answer_json("No.", {}, refused=True)) is None
    on_topic = judge.answer_relevancy(KALLAS, faithful)
    off_topic = judge.answer_relevancy(
        KALLAS, answer_json("Bushfires burned near Sydney over Christmas. [1]", {1: "x"})
    )
    assert on_topic is not None and off_topic is not None and on_topic > off_topic
    assert len(judge_server.prompts) == 4


def test_judged_metrics_join_the_run_when_a_judge_is_given(
    seed_pipeline, judge_server: Any, tmp_path: Path
) -> None:
    from evals.judge import LLMJudge
    from tests.fakes import HashEmbedder

    host, port = judge_server.server_address
    settings = make_settings(
        tmp_path, llm="openai", llm_model="judge", openai_base_url=f"http://{host}:{port}/v1"
    )
    items = load_gold(write_tiny_gold(tmp_path / "gold.jsonl"))[:2]
    rows = evaluate(seed_pipeline, items, quiet=True, judge=LLMJudge(settings, HashEmbedder()))
    metrics = summarize(rows)
    assert metrics["faithfulness"] == 1.0  # extractive answers quote their passages
    assert metrics["answer_relevancy"] is not None and metrics["answer_relevancy"] > 0


def test_a_failing_judge_endpoint_leaves_judged_metrics_unknown_instead_of_stopping(
    judge_server: Any,
) -> None:
    from evals.judge import LLMJudge
    from tests.fakes import HashEmbedder

    host, port = judge_server.server_address
    settings = make_settings(
        Path("/nonexistent"),
        llm="openai",
        llm_model="broken",
        llm_retries=0,
        openai_base_url=f"http://{host}:{port}/v1",
    )
    judge = LLMJudge(settings, HashEmbedder())
    quote = "Kaja Kallas said this would not lead to invocation of Article 5."
    scores = judge.judge(KALLAS, answer_json(f"{quote} [1]", {1: quote}))
    assert scores == {"faithfulness": None, "answer_relevancy": None}
    assert judge.failures == 2
