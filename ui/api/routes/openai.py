"""`POST /v1/chat/completions` and `GET /v1/models`: the OpenAI-compatible API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from fastapi.sse import EventSourceResponse
from starlette.requests import Request

from ui.api.answer_log import RecorderDep
from ui.api.answers import check_question, date_range, opened, public_answer
from ui.api.errors import MAX_BODY_BYTES
from ui.api.openai_format import (
    ChatCompletionRequest,
    completion,
    completion_events,
    split_messages,
)
from ui.api.state import HolderDep, SettingsDep

router = APIRouter(max_body_size=MAX_BODY_BYTES)


@router.post("/v1/chat/completions", summary="OpenAI-compatible chat completions")
def chat_completions(
    body: ChatCompletionRequest,
    settings: SettingsDep,
    holder: HolderDep,
    request: Request,
    recorder: RecorderDep,
) -> Response:
    raw_question, history = split_messages(body.messages)
    question = check_question(raw_question, settings)
    dates = date_range(body.since, body.until)
    pipeline = holder.get()
    if body.stream:
        events = opened(
            recorder.stream(
                pipeline.stream(question, history, dates=dates), request, pipeline, True
            )
        )
        return EventSourceResponse(
            completion_events(events, question, body.model, body.include_usage()),
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    answer = recorder.record(
        pipeline.ask(question, history, dates=dates), request, pipeline, openai=True
    )
    answer = public_answer(answer)
    reply = completion(answer, question, body.model)
    if answer.id:
        reply["answer_id"] = answer.id  # for POST /api/feedback
    return JSONResponse(reply)


@router.get("/v1/models", summary="The one model this server offers (OpenAI-compatible)")
def models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": "newsrag", "object": "model", "created": 0, "owned_by": "newsrag"}],
    }
