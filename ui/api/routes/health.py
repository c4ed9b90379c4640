"""`GET /healthz`: liveness, and readiness once the pipeline is loaded."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ui.api.state import HolderDep

router = APIRouter()


@router.get("/healthz", summary="Liveness and readiness")
def healthz(holder: HolderDep) -> dict[str, Any]:
    pipeline = holder.pipeline
    body: dict[str, Any] = {"status": "ok", "ready": pipeline is not None}
    if pipeline is not None:
        body["mode"] = pipeline.mode
    elif holder.problem:
        body["problem"] = holder.problem
    return body
