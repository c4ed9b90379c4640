"""The API's side of the answer log (`rag/answerlog.py`): which front door asked, and the
one log every route writes to.

A request with an `Origin` header is the widget's (its embed key is kept); one without is
a server-to-server call (`api`); `/v1/*` is the OpenAI-compatible door (`openai`). No
client address is ever stored. Logging never fails a request: `AnswerLog.record` hands the
answer back without an id when the log cannot be written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, cast

from fastapi import Depends
from starlette.requests import Request

from rag.answerlog import AnswerLog
from rag.config import Settings
from rag.config_hash import answerer_weights, config_hash
from rag.types import Answer


class AnswerRecorder:
    """Writes the answers the API gives to the answer log, with their front door."""

    def __init__(self, settings: Settings) -> None:
        self.log = AnswerLog(settings)
        self._configs: dict[int, str] = {}

    def _config(self, pipeline: Any) -> str:
        key = id(pipeline)
        if key not in self._configs:
            weights = answerer_weights(getattr(pipeline, "extractive", None))
            settings = getattr(pipeline, "settings", None) or self.log.settings
            self._configs[key] = config_hash(settings, weights)
        return self._configs[key]

    @staticmethod
    def door(request: Request, openai: bool = False) -> tuple[str, str | None]:
        """The front door of a request and, for the widget, its embed key."""
        if openai:
            return "openai", None
        if request.headers.get("origin") is not None:
            return "widget", request.headers.get("x-embed-key")
        return "api", None

    def record(
        self, answer: Answer, request: Request, pipeline: Any, openai: bool = False
    ) -> Answer:
        door, key = self.door(request, openai)
        return self.log.record(answer, door, key, config=self._config(pipeline))

    def stream(
        self,
        events: Iterator[str | Answer],
        request: Request,
        pipeline: Any,
        openai: bool = False,
    ) -> Iterator[str | Answer]:
        door, key = self.door(request, openai)
        config = self._config(pipeline)
        for item in events:
            if isinstance(item, Answer):
                item = self.log.record(item, door, key, config=config)
            yield item


async def recorder_of(request: Request) -> AnswerRecorder:
    return cast(AnswerRecorder, request.app.state.recorder)


RecorderDep = Annotated[AnswerRecorder, Depends(recorder_of)]
