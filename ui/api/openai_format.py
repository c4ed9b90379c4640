"""The OpenAI-compatible formats: chat completion requests, completions and stream chunks.

Only the parts of OpenAI's chat completion API that matter here are read; the rest of a
request is ignored, so the `openai` SDK and other OpenAI-compatible clients just work.
Citations travel in the message text (numbered sources with quotes, as the CLI shows them)
and in an extra top-level `citations` field of the completion and of the last chunk.
Usage is counted in tiktoken tokens (cl100k_base, from llama-index-core's offline cache).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from fastapi.sse import format_sse_event
from pydantic import BaseModel, ConfigDict, Field

from rag.chunk import token_counter
from rag.errors import BadInputError, RagError
from rag.render import format_sources
from rag.types import Answer, Turn
from ui.api.errors import error_body, rag_error_body

log = logging.getLogger("rag.api")


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        if not self.content:
            return ""
        return "".join(part.text or "" for part in self.content if part.type == "text")


class ChatCompletionRequest(BaseModel):
    """The subset of OpenAI's chat completion request that matters here; the rest is ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str = "newsrag"
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    # Extra body fields (the openai SDK's `extra_body`): bound the articles' `published`.
    since: str | None = Field(default=None, max_length=40)
    until: str | None = Field(default=None, max_length=40)

    def include_usage(self) -> bool:
        return bool((self.stream_options or {}).get("include_usage"))


def split_messages(messages: Sequence[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message is the question; earlier user/assistant messages are history."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        raise BadInputError("messages must contain at least one message with role 'user'")
    history = [
        Turn(role=m.role, content=m.text())
        for m in messages[:last_user]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return messages[last_user].text(), history


def usage(question: str, content: str) -> dict[str, int]:
    """Prompt and completion sizes in tiktoken tokens (cl100k_base), as OpenAI reports them."""
    count = token_counter()
    prompt, completion = count(question), count(content)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion(answer: Answer, question: str, model: str) -> dict[str, Any]:
    """A whole (non-streamed) chat completion carrying the answer and its citations."""
    content = answer.answer + format_sources(answer)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": usage(question, content),
        "citations": [c.to_json() for c in answer.citations],
    }


def data_event(payload: Any) -> bytes:
    """One `data:` event of an OpenAI stream."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return format_sse_event(data_str=text)


class ChunkMaker:
    """The `chat.completion.chunk` objects of one streamed completion (same id and time)."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def __call__(
        self,
        delta: dict[str, Any] | None,
        finish_reason: str | None = None,
        **extra: Any,
    ) -> bytes:
        choices = (
            [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
        )
        return data_event(
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": choices,
                **extra,
            }
        )


def completion_events(
    events: Iterator[str | Answer], question: str, model: str, include_usage: bool
) -> Iterator[bytes]:
    """An OpenAI chat completion stream: the answer's tokens as they come, then the numbered
    sources, a final chunk with `citations`, optionally a usage chunk, and `[DONE]`."""
    chunk = ChunkMaker(model)
    yield chunk({"role": "assistant", "content": ""})
    streamed: list[str] = []
    try:
        for item in events:
            if isinstance(item, Answer):
                answer = item
                break
            streamed.append(item)
            yield chunk({"content": item})
        else:  # the pipeline ended without an Answer: nothing more to say
            return
    except RagError as exc:
        yield data_event(rag_error_body(exc))
        return
    except Exception:
        log.exception("unexpected error while streaming a completion")
        yield data_event(error_body(500, "internal server error", "server_error"))
        return
    tail = format_sources(answer)
    if "".join(streamed) != answer.answer:
        # The checked answer differs from what was streamed (an LLM sentence was dropped).
        tail = f"\n\nChecked answer: {answer.answer}{tail}"
    if tail:
        yield chunk({"content": tail})
    citations = [c.to_json() for c in answer.citations]
    # The answer log's id, for POST /api/feedback (absent when the log is off).
    ids = {"answer_id": answer.id} if answer.id else {}
    yield chunk({}, "stop", citations=citations, **ids)
    if include_usage:
        yield chunk(None, usage=usage(question, answer.answer + tail), citations=citations)
    yield data_event("[DONE]")
