"""The answer as plain text: the words, then the numbered sources with their quotes.

Every front door that shows an answer as text (the CLI, the OpenAI-compatible endpoint)
renders it here, so none of them borrows from another.
"""

from __future__ import annotations

from rag.types import Answer


def format_answer(answer: Answer) -> str:
    """The plain-text rendering: the answer, then numbered sources with the quoted words."""
    return answer.answer + format_sources(answer)


def format_sources(answer: Answer) -> str:
    """What follows the answer's own words: the notice, then the numbered, quoted sources."""
    lines: list[str] = []
    if answer.notice:
        lines += ["", f"note: {answer.notice}"]
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            date = c.published or "undated"
            lines.append(f"[{c.n}] {c.title} — {date} — {c.source}")
            quote = " ".join(c.quote.split())
            lines.append(f"    “{quote}”")
    return "".join("\n" + line for line in lines)
