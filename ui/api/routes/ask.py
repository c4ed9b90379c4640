"""`POST /api/ask` (one Answer as JSON) and `POST /api/chat` (the same as Server-Sent Events)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from rag.dates import DateRange
from rag.errors import RagError
from rag.types import Answer, Turn
from ui.api.answer_log import RecorderDep
from ui.api.answers import check_question, date_range, opened, public_answer
from ui.api.errors import MAX_BODY_BYTES, error_body, rag_error_body
from ui.api.state import HolderDep, SettingsDep

log = logging.getLogger("rag.api")

router = APIRouter(max_body_size=MAX_BODY_BYTES)


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    """Body of `/api/ask` and `/api/chat`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "What did Kallas say about Article 5?"}]},
    )

    question: str
    history: list[HistoryTurn] = Field(default_factory=list, max_length=50)
    k: int | None = Field(default=None, ge=1, le=20)
    since: str | None = Field(
        default=None,
        max_length=40,
        description="ISO date YYYY-MM-DD: only articles published on or after it "
        "(undated articles are left out when since or until is given)",
    )
    until: str | None = Field(
        default=None,
        max_length=40,
        description="ISO date YYYY-MM-DD: only articles published on or before it",
    )

    def turns(self) -> list[Turn]:
        return [Turn(role=t.role, content=t.content) for t in self.history]

    def dates(self) -> DateRange | None:
        return date_range(self.since, self.until)


@router.post("/api/ask", summary="Answer one question (Answer JSON)")
def ask(
    body: AskRequest,
    settings: SettingsDep,
    holder: HolderDep,
    request: Request,
    recorder: RecorderDep,
) -> JSONResponse:
    question = check_question(body.question, settings)
    dates = body.dates()
    pipeline = holder.get()
    answer = recorder.record(
        pipeline.ask(question, body.turns(), k=body.k, dates=dates), request, pipeline
    )
    return JSONResponse(public_answer(answer).to_json())


def chat_stream(
    body: AskRequest,
    settings: SettingsDep,
    holder: HolderDep,
    request: Request,
    recorder: RecorderDep,
) -> Iterator[str | Answer]:
    """The answer's stream, already started: a failure before the first token is an HTTP
    status (422, 502, 503), not an `error` event. Its Answer is logged on the way out."""
    question = check_question(body.question, settings)
    dates = body.dates()
    pipeline = holder.get()
    events = pipeline.stream(question, body.turns(), body.k, dates=dates)
    return opened(recorder.stream(events, request, pipeline))


def event(name: str, data: object) -> ServerSentEvent:
    return ServerSentEvent(event=name, raw_data=json.dumps(data, ensure_ascii=False))


@router.post(
    "/api/chat",
    summary="Answer one question as Server-Sent Events",
    description='`token` events (`{"text"}`), then one `answer` event with the Answer '
    "JSON; an `error` event if the answer fails after streaming started.",
    response_class=EventSourceResponse,
)
def chat(
    events: Annotated[Iterator[str | Answer], Depends(chat_stream)],
) -> Iterator[ServerSentEvent]:
    try:
        for item in events:
            if isinstance(item, Answer):
                yield event("answer", item.to_json())
            else:
                yield event("token", {"text": item})
    except RagError as exc:
        yield event("error", rag_error_body(exc))
    except Exception:
        log.exception("unexpected error while streaming an answer")
        yield event("error", error_body(500, "internal server error", "server_error"))
