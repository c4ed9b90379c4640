"""The answer as plain text (rag/render.py), and the rule that keeps it in rag/: front doors
(the CLI, the chat window, the API) take shared parts from rag/, never from one another."""

from __future__ import annotations

import ast

from rag.render import format_answer, format_sources
from rag.types import Answer, Citation
from tests.conftest import ROOT

FRONT_DOORS = ("ui", "evals")


def citation(n: int, published: str | None) -> Citation:
    return Citation(
        n=n,
        chunk_id=f"a{n}#0",
        article_id=f"a{n}",
        title=f"Title {n}",
        published=published,
        source=f"corpus/a{n}.txt",
        quote="Kallas said\n  Article 5 stands.",
        char_start=0,
        char_end=30,
        score=0.5,
        verified=True,
    )


def test_answer_text_is_followed_by_numbered_sources_with_their_quotes() -> None:
    answer = Answer(
        question="q",
        answer="Kallas spoke [1]. Others agreed [2].",
        citations=(citation(1, "2024-11-22"), citation(2, None)),
        refused=False,
        mode="extractive",
        notice="the LLM timed out",
    )
    assert format_answer(answer) == (
        "Kallas spoke [1]. Others agreed [2].\n"
        "\n"
        "note: the LLM timed out\n"
        "\n"
        "Sources:\n"
        "[1] Title 1 — 2024-11-22 — corpus/a1.txt\n"
        "    “Kallas said Article 5 stands.”\n"
        "[2] Title 2 — undated — corpus/a2.txt\n"
        "    “Kallas said Article 5 stands.”"
    )
    assert format_answer(answer) == answer.answer + format_sources(answer)


def test_an_answer_without_citations_or_notice_is_just_its_text() -> None:
    answer = Answer("q", "The articles don't say.", (), True, "extractive")
    assert format_answer(answer) == "The articles don't say."
    assert format_sources(answer) == ""


def imported_modules(tree: ast.AST) -> list[tuple[str, bool]]:
    """(module, imported at top level) for every import in a module's syntax tree."""
    found: list[tuple[str, bool]] = []
    top_level = {id(node) for node in getattr(tree, "body", [])}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top_level))
    return found


def test_nothing_in_rag_but_the_cli_imports_a_front_door_and_the_cli_only_lazily() -> None:
    offenders = []
    for path in sorted((ROOT / "rag").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for module, top_level in imported_modules(tree):
            if module.split(".")[0] not in FRONT_DOORS:
                continue
            if path.name != "cli.py" or top_level:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders, offenders
