"""Generative answers from OpenAI or any OpenAI-compatible server (Ollama, vLLM, llama.cpp).

`build_llm(settings, embedder, extractive)` makes an `OpenAIAnswerer`, an `Answerer` (see
`rag/answer/base.py`) like the extractive one, which the pipeline calls with the retrieved
passages. It talks to the server through the official `openai` SDK, streams tokens to
`on_token` as they arrive, then hands the whole text to the citation checker
(`verify.py`); only checked sentences and citations reach the user.

Failures never leave a question unanswered. Timeouts, connection errors, 5xx and 429
(waiting as long as `Retry-After` asks, when that fits) get a few retries with backoff;
when they run out, or the overall deadline `RAG_LLM_TIMEOUT` passes, the extractive
answer is returned with `mode: "degraded"` and a one-line notice. The deadline is
enforced from outside the request (a worker thread), so a server that trickles bytes
cannot hold a question past it. A rejected key (401/403) or an unknown model (404) is a
configuration error, raised as `ConfigError` with what to fix, not papered over.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from rag.answer import ExtractiveAnswerer, refusal
from rag.condense import condense as condense_offline
from rag.config import Settings
from rag.embed import Embedder
from rag.errors import ConfigError
from rag.prompts import REFUSAL_PREFIX, answer_messages, condense_messages
from rag.terms import entities, words
from rag.types import Answer, Citation, Hit, Turn
from rag.verify import (
    MARKERS,
    Passage,
    check,
    is_instruction,
    leak_words,
    passage_vectors,
)
from rag.verify_rules import entity_found

log = logging.getLogger("rag.llm")

BACKOFF_SECONDS = 0.5
MAX_ANSWER_TOKENS = 400
CONDENSE_SHARE = 0.5  # of the timeout a follow-up's rewriting may use

_REFUSAL = re.compile(
    r"\b(?:don't|do not|doesn't|does not|didn't|did not)\s+(?:say|mention|state|specify|"
    r"contain|cover|answer|include|provide|discuss|report)|\bno information\b|"
    r"\bnot (?:mentioned|stated|specified|covered|addressed)\b|\b(?:cannot|can't|unable to)\s+"
    r"(?:answer|find|determine|tell)",
    re.IGNORECASE,
)


# Whole article texts by id, for a batch of article ids (`ChromaStore.article_texts`).
ArticleTexts = Callable[[Sequence[str]], Mapping[str, str]]


class Unavailable(Exception):
    """The model gave no usable text in time; the message says why, in a few words."""


def build_llm(
    settings: Settings,
    embedder: Embedder,
    extractive: ExtractiveAnswerer,
    article_texts: ArticleTexts | None = None,
) -> OpenAIAnswerer:
    """The LLM answerer for `RAG_LLM=openai`, or a ConfigError saying what is missing.

    `embedder` scores the citation check; `extractive` gives the degraded answer (and the
    word weights the checker uses, which it keeps current when the index is refreshed)."""
    if not settings.openai_api_key and not settings.openai_base_url:
        raise ConfigError(
            "RAG_LLM=openai needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL "
            "(for a compatible server, e.g. http://localhost:11434/v1 for Ollama)"
        )
    if settings.llm_timeout <= 0:
        raise ConfigError(f"RAG_LLM_TIMEOUT must be positive, got {settings.llm_timeout:g}")
    return OpenAIAnswerer(settings, embedder, extractive, article_texts)


class OpenAIAnswerer:
    """Answers from retrieved passages with a chat-completions model, then checks citations."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        extractive: ExtractiveAnswerer,
        article_texts: ArticleTexts | None = None,
    ) -> None:
        try:
            import openai
        except ImportError:  # pragma: no cover - a declared dependency
            raise ConfigError(
                "RAG_LLM=openai needs the openai package: pip install openai"
            ) from None
        self.settings = settings
        self.embedder = embedder
        self.extractive = extractive
        # the cited passages' whole articles, for names a passage shortens (rag/verify.py)
        self.article_texts = article_texts
        self.model = settings.llm_model
        self.timeout = settings.llm_timeout
        self.retries = max(settings.llm_retries, 0)
        self.base_url = settings.openai_base_url or "https://api.openai.com/v1"
        self._openai = openai
        self.client = openai.OpenAI(
            api_key=settings.openai_api_key or "not-needed",  # local servers ignore it
            base_url=self.base_url,
            max_retries=0,  # retries are ours, so that they fit in the deadline
            timeout=self.timeout,
        )

    # -- the pipeline's hooks -------------------------------------------------------------

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        query_vector: np.ndarray,
        standalone: str | None = None,
        on_token: Callable[[str], None] | None = None,
        *,
        started: float | None = None,
    ) -> Answer:
        """A checked generated answer, or the extractive one marked degraded; the deadline
        `RAG_LLM_TIMEOUT` counts from `started` (the question's arrival) when given."""
        deadline = (started if started is not None else time.perf_counter()) + self.timeout
        searched = standalone if standalone is not None else question
        condensed = searched if searched != question else None
        if not hits:
            return replace(refusal(question, condensed), mode="llm")
        began = time.perf_counter()
        call = self.start(answer_messages(searched, hits), deadline, on_token)
        # While the model writes, prepare what comes after it on this thread: the passages'
        # sentence vectors for the checker and the fallback answer, so that neither pushes
        # the reply past the deadline.
        vectors = passage_vectors(hits, self.embedder)
        articles = (
            self.article_texts(sorted({hit.chunk.article_id for hit in hits}))
            if self.article_texts is not None
            else None
        )
        fallback = self._degraded(question, condensed, hits, query_vector, "")
        try:
            text = call.result()
        except Unavailable as exc:
            log.warning("LLM unavailable: %s", exc)
            return replace(fallback, notice=f"{exc}; showing the extractive answer instead")
        generated = time.perf_counter()
        result = check(
            text,
            hits,
            self.embedder,
            searched,
            self.extractive.idf,
            vectors=vectors,
            articles=articles,
        )
        checked = time.perf_counter()
        log.info("citation check: %s", result.summary())
        timings = {"generate": (generated - began) * 1000, "check": (checked - generated) * 1000}
        if result.empty:
            if _is_refusal(text):
                return Answer(
                    question=question,
                    answer=self._refusal_text(text, hits, searched, question, condensed),
                    citations=(),
                    refused=True,
                    mode="llm",
                    timings_ms=timings,
                    condensed_question=condensed,
                )
            return replace(
                fallback,
                notice="the generated answer had no sentence its citations support; "
                "showing the extractive answer instead",
                dropped=result.dropped,
            )
        if fallback.refused and not names_what_was_asked(searched, result.citations, hits):
            # Supported claims, but about something else: the extractive answerer (calibrated
            # to refuse) found no answer, and no cited passage names what the question names.
            log.info("generated answer is off the question's topic; refusing")
            return replace(refusal(question, condensed), mode="llm", timings_ms=timings)
        return Answer(
            question=question,
            answer=result.text,
            citations=result.citations,
            refused=False,
            mode="llm",
            timings_ms=timings,
            condensed_question=condensed,
            notice=result.notice(),
            dropped=result.dropped,
        )

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """A standalone version of a follow-up, from the model; offline rewriting if it fails."""
        deadline = time.perf_counter() + self.timeout * CONDENSE_SHARE
        try:
            text = self.complete(condense_messages(question, history), deadline, None, 120)
        except Unavailable as exc:
            log.warning("LLM unavailable for condensing: %s", exc)
            return condense_offline(question, history)
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        rewritten = lines[0] if lines else ""
        rewritten = re.sub(r"^(standalone question|question)\s*:\s*", "", rewritten, flags=re.I)
        rewritten = rewritten.strip().strip('"“”').strip()
        too_long = len(rewritten) > max(300, 3 * len(question))
        if not rewritten or too_long or is_instruction(rewritten):
            return condense_offline(question, history)
        return rewritten

    # -- talking to the server ------------------------------------------------------------

    def complete(
        self,
        messages: list[dict[str, str]],
        deadline: float,
        on_token: Callable[[str], None] | None,
        max_tokens: int = MAX_ANSWER_TOKENS,
    ) -> str:
        """The model's reply, streamed to `on_token`; raises Unavailable past `deadline`."""
        return self.start(messages, deadline, on_token, max_tokens).result()

    def start(
        self,
        messages: list[dict[str, str]],
        deadline: float,
        on_token: Callable[[str], None] | None,
        max_tokens: int = MAX_ANSWER_TOKENS,
    ) -> Call:
        """Send the request on a worker thread; `.result()` waits for it until `deadline`."""
        return Call(self, messages, deadline, on_token, max_tokens)

    def _with_retries(
        self,
        messages: list[dict[str, str]],
        deadline: float,
        emit: Callable[[str], None] | None,
        max_tokens: int,
        state: dict[str, Any],
        cancelled: threading.Event,
    ) -> str:
        openai = self._openai
        attempt = 0
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0.05:
                raise Unavailable(f"the language model gave no answer within {self.timeout:g} s")
            wait = 0.0
            produced: list[str] = []
            try:
                return self._request(messages, remaining, emit, max_tokens, state, produced)
            except openai.AuthenticationError:
                raise ConfigError(
                    f"the language model server at {self.base_url} rejected the API key (401): "
                    "check OPENAI_API_KEY"
                ) from None
            except openai.PermissionDeniedError:
                raise ConfigError(
                    f"the API key may not use model {self.model!r} at {self.base_url} (403): "
                    "check OPENAI_API_KEY and RAG_LLM_MODEL"
                ) from None
            except openai.NotFoundError:
                raise ConfigError(
                    f"{self.base_url} has no model {self.model!r} or no chat completions (404): "
                    "check RAG_LLM_MODEL and OPENAI_BASE_URL (it usually ends in /v1)"
                ) from None
            except openai.APITimeoutError:
                reason = f"the language model gave no answer within {self.timeout:g} s"
            except openai.APIConnectionError:
                reason = f"cannot reach the language model at {self.base_url}"
            except openai.RateLimitError as exc:
                reason = "the language model server is rate limiting us (429)"
                wait = retry_after(exc.response.headers) or 0.0
            except openai.APIStatusError as exc:
                if exc.status_code < 500:
                    raise Unavailable(
                        f"the language model server refused the request ({exc.status_code})"
                    ) from None
                reason = f"the language model server failed ({exc.status_code})"
            except openai.OpenAIError as exc:
                reason = f"the language model failed ({type(exc).__name__})"
            if cancelled.is_set():
                raise Unavailable(reason)
            if produced:  # never restart an answer the reader has started to see
                raise Unavailable(f"{reason} mid-answer")
            attempt += 1
            if attempt > self.retries:
                raise Unavailable(reason)
            pause = max(wait, BACKOFF_SECONDS * 2 ** (attempt - 1))
            if time.perf_counter() + pause >= deadline - 0.05:
                raise Unavailable(reason)
            state["reason"] = reason
            log.info("LLM attempt %d failed (%s); retrying in %.1f s", attempt, reason, pause)
            if cancelled.wait(pause):
                raise Unavailable(reason)

    def _request(
        self,
        messages: list[dict[str, str]],
        remaining: float,
        emit: Callable[[str], None] | None,
        max_tokens: int,
        state: dict[str, Any],
        produced: list[str],
    ) -> str:
        options: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_tokens,
            "timeout": remaining,
        }
        if emit is None:
            completion = self.client.chat.completions.create(**options)
            if not completion.choices:
                return ""
            return completion.choices[0].message.content or ""
        stream = self.client.chat.completions.create(stream=True, **options)
        state["stream"] = stream
        try:
            for chunk in stream:
                if not chunk.choices:
                    continue
                token = chunk.choices[0].delta.content
                if token:
                    produced.append(token)
                    emit(token)
        finally:
            state.pop("stream", None)
            stream.close()
        return "".join(produced)

    # -- fallbacks --------------------------------------------------------------------------

    def _degraded(
        self,
        question: str,
        condensed: str | None,
        hits: Sequence[Hit],
        query_vector: np.ndarray,
        notice: str,
    ) -> Answer:
        extractive = self.extractive.answer(question, hits, query_vector, condensed)
        return replace(extractive, mode="degraded", notice=notice)

    def _refusal_text(
        self, text: str, hits: Sequence[Hit], standalone: str, question: str, condensed: str | None
    ) -> str:
        """The model's own refusal when it is clean, else the standard one."""
        sentence = " ".join(MARKERS.sub("", text).split())
        leaks = leak_words([Passage.of(n, h) for n, h in enumerate(hits, 1)], standalone)
        clean = not (leaks & {w.lower() for w in words(sentence)}) and not is_instruction(sentence)
        if clean and sentence.startswith(REFUSAL_PREFIX) and len(sentence) <= 300:
            return sentence
        return refusal(question, condensed).answer


class Call:
    """One request in flight on a worker thread, with retries, bounded by a deadline."""

    def __init__(
        self,
        owner: OpenAIAnswerer,
        messages: list[dict[str, str]],
        deadline: float,
        on_token: Callable[[str], None] | None,
        max_tokens: int,
    ) -> None:
        self.owner = owner
        self.deadline = deadline
        self.state: dict[str, Any] = {}
        self.done = threading.Event()
        self.cancelled = threading.Event()
        self.lock = threading.Lock()

        def emit(token: str) -> None:
            with self.lock:  # no token may reach the reader after the deadline was called
                if on_token is not None and not self.cancelled.is_set():
                    on_token(token)

        def work() -> None:
            try:
                self.state["text"] = owner._with_retries(
                    messages,
                    deadline,
                    emit if on_token else None,
                    max_tokens,
                    self.state,
                    self.cancelled,
                )
            except BaseException as exc:  # handed to the caller in result()
                self.state["error"] = exc
            finally:
                self.done.set()

        threading.Thread(target=work, name="rag-llm", daemon=True).start()

    def result(self) -> str:
        if not self.done.wait(max(self.deadline - time.perf_counter(), 0.0)):
            with self.lock:
                self.cancelled.set()
            stream = self.state.get("stream")
            if stream is not None:
                with contextlib.suppress(Exception):  # closing a half-read response
                    stream.close()
            late = f"the language model gave no answer within {self.owner.timeout:g} s"
            reason = self.state.get("reason")
            raise Unavailable(f"{reason}, then {late}" if reason else late)
        if "error" in self.state:
            raise self.state["error"]
        return str(self.state["text"])


def names_what_was_asked(question: str, citations: Sequence[Citation], hits: Sequence[Hit]) -> bool:
    """Whether the cited passages name at least one of the names/numbers the question names.

    True when the question names nothing (there is nothing to compare).
    """
    names = [e for e in dict.fromkeys(entities(question)) if len(e) > 1]
    if not names:
        return True
    cited = {c.chunk_id for c in citations}
    text = " ".join(
        f"{h.chunk.title} {h.chunk.text}" for h in hits if h.chunk.chunk_id in cited
    ).lower()
    return any(entity_found(name, text) for name in names)


def _is_refusal(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith(REFUSAL_PREFIX) or bool(_REFUSAL.search(stripped[:300]))


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or `retry-after-ms`."""
    raw_ms = headers.get("retry-after-ms") if headers is not None else None
    if raw_ms:
        try:
            return max(float(raw_ms) / 1000, 0.0)
        except ValueError:
            pass
    raw = headers.get("retry-after") if headers is not None else None
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
