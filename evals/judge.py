"""Model-judged metrics (faithfulness, answer relevancy) through an OpenAI-compatible endpoint.

Used only when `RAG_LLM=openai`. Why not ragas: ragas 0.4.3 (the current release) pulls
langchain, langchain-community, langgraph, datasets/pyarrow and instructor (~175 MB, 27
packages), sends usage analytics unless RAGAS_DO_NOT_TRACK is set, and on import fails
with the current langchain-community (`langchain_community.chat_models.vertexai` is
gone). The two metrics we need are short, so they follow ragas's definitions here:

- faithfulness: the answer's claims (the same split as citation metrics) are judged one
  by one against the quoted passages; the score is the share judged supported.
- answer relevancy: the judge writes the question the answer responds to; the score is
  the cosine similarity of that question and the real one under our local embedder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from evals.metrics import split_claims
from rag.config import Settings
from rag.errors import BackendError

FAITHFULNESS_PROMPT = """You check whether claims are supported by source passages.

Passages:
{passages}

Claims:
{claims}

For each claim, answer 1 if the passages state or directly imply it, else 0.
Reply with JSON only: {{"verdicts": [one 0 or 1 per claim, in order]}}"""

RELEVANCY_PROMPT = """Here is an answer given by a question-answering assistant:

{answer}

Write the one question that this answer responds to. Reply with JSON only:
{{"question": "..."}}"""


def _json_object(text: str) -> dict[str, Any]:
    """The first JSON object in a model's reply (models wrap JSON in prose or fences)."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if not match:
        raise ValueError("no JSON object in the judge's reply")
    value = json.loads(match.group())
    if not isinstance(value, dict):
        raise ValueError("the judge's reply is not a JSON object")
    return value


class LLMJudge:
    """Asks the configured OpenAI-compatible model to judge answers."""

    def __init__(self, settings: Settings, embedder: Any) -> None:
        from openai import OpenAI

        self.model = settings.llm_model
        self.embedder = embedder
        self.failures = 0  # judgements lost to a garbled reply or a failing endpoint
        self.client = OpenAI(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key or "not-needed",
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
        )

    def _ask(self, prompt: str) -> dict[str, Any]:
        try:
            reply = self.client.chat.completions.create(
                model=self.model,
                messages=[{"role": "user", "content": prompt}],
                temperature=0,
            )
            return _json_object(reply.choices[0].message.content or "")
        except ValueError:
            raise
        except Exception as exc:
            raise BackendError(f"the judge model failed: {exc}") from None

    def faithfulness(self, answer: Mapping[str, Any]) -> float | None:
        """Share of the answer's claims the judge finds in the quoted passages."""
        if answer.get("refused"):
            return None
        claims = split_claims(answer.get("answer", ""))
        quotes = [c["quote"] for c in answer.get("citations", [])]
        if not claims:
            return None
        if not quotes:
            return 0.0
        prompt = FAITHFULNESS_PROMPT.format(
            passages="\n".join(f"[{i}] {q}" for i, q in enumerate(quotes, start=1)),
            claims="\n".join(f"{i}. {c.text}" for i, c in enumerate(claims, start=1)),
        )
        verdicts = self._ask(prompt).get("verdicts")
        if not isinstance(verdicts, list) or not verdicts:
            raise ValueError("the judge gave no verdicts")
        scores = [1.0 if str(v).strip() in ("1", "true", "True") else 0.0 for v in verdicts]
        scores = (scores + [0.0] * len(claims))[: len(claims)]
        return float(np.mean(scores))

    def answer_relevancy(self, question: str, answer: Mapping[str, Any]) -> float | None:
        """Cosine similarity of the question and the one the judge reconstructs."""
        if answer.get("refused"):
            return None
        text = re.sub(r"\s*\[\d+\]", "", answer.get("answer", "")).strip()
        if not text:
            return None
        generated = str(self._ask(RELEVANCY_PROMPT.format(answer=text)).get("question", ""))
        if not generated.strip():
            return 0.0
        vectors = self.embedder.embed([question, generated])
        return max(float(np.dot(vectors[0], vectors[1])), 0.0)

    def judge(self, question: str, answer: Mapping[str, Any]) -> dict[str, float | None]:
        """Both metrics; a garbled reply or a failed call counts as unknown, not as zero."""
        scores: dict[str, float | None] = {"faithfulness": None, "answer_relevancy": None}
        try:
            scores["faithfulness"] = self.faithfulness(answer)
        except (ValueError, BackendError):
            self.failures += 1
        try:
            scores["answer_relevancy"] = self.answer_relevancy(question, answer)
        except (ValueError, BackendError):
            self.failures += 1
        return scores


def judge_available(settings: Settings) -> bool:
    return settings.llm == "openai"


def judged_means(rows: Sequence[Mapping[str, float | None]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name in ("faithfulness", "answer_relevancy"):
        values = [r[name] for r in rows if r.get(name) is not None]
        out[name] = float(np.mean([v for v in values if v is not None])) if values else None
    return out
