"""`POST /api/feedback`: a person's 👍/👎 (and comment) on one logged answer.

The same key, origin and rate rules as `/api/ask` apply (access control covers `/api/*`,
and a widget's feedback counts towards its key's per-minute limit). A later rating of the
same answer replaces the earlier one.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from rag.answerlog import MAX_COMMENT_CHARS, LogUnavailableError, Rating, UnknownAnswerError
from ui.api.answer_log import RecorderDep
from ui.api.errors import MAX_BODY_BYTES, error_response

router = APIRouter(max_body_size=MAX_BODY_BYTES)


class FeedbackRequest(BaseModel):
    """Body of `/api/feedback`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "answer_id": "3f0c9a1e5b7d4c2e9a8b6d4f2e0c1a3b",
                    "rating": "down",
                    "comment": "It quotes the wrong minister.",
                    "wrong_citation": 1,
                }
            ]
        },
    )

    answer_id: str = Field(min_length=1, max_length=200)
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)
    wrong_citation: int | None = Field(default=None, ge=1)


@router.post(
    "/api/feedback",
    summary="Rate one answer (up or down, with an optional comment)",
    description="404 when `answer_id` is not in the answer log; 422 for a bad rating or a "
    "comment over 2,000 characters. Rating the same answer again replaces its rating.",
)
def feedback(body: FeedbackRequest, request: Request, recorder: RecorderDep) -> JSONResponse:
    door, _ = recorder.door(request)
    rating = Rating(body.answer_id, body.rating, body.comment, body.wrong_citation)
    try:
        row = recorder.log.rate(rating, door=door)
    except UnknownAnswerError:
        return error_response(404, "no answer with this id in the answer log", "not_found")
    except LogUnavailableError as exc:
        return error_response(503, str(exc), "log_unavailable")
    saved: dict[str, Any] = {
        "answer_id": row.id,
        "rating": row.rating,
        "comment": row.comment,
        "wrong_citation": row.wrong_citation,
    }
    return JSONResponse(saved)
