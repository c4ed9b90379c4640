"""`GET /widget.js`: the embeddable chat widget (plain JavaScript, no build step)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

WIDGET_PATH = Path(__file__).resolve().parents[2] / "widget" / "widget.js"

router = APIRouter()


@lru_cache(maxsize=1)
def widget_source() -> bytes:
    return WIDGET_PATH.read_bytes() if WIDGET_PATH.exists() else b""


@router.get("/widget.js", summary="The embeddable chat widget", response_class=Response)
def widget() -> Response:
    return Response(
        widget_source(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )
