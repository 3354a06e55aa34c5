"""GET /v1/models and /v1/models/{model}: one OpenAI "model" per collection."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.exceptions import HTTPException

from assistant.app.http.openai_format import model_card
from assistant.app.http.service_state import ServiceDep

router = APIRouter()


@router.get("/v1/models")
def list_models(service: ServiceDep) -> dict[str, Any]:
    """One model per collection: send its id as ``model`` to answer from that collection."""
    return {"object": "list", "data": [model_card(name) for name in service.collections()]}


@router.get("/v1/models/{model}")
def get_model(model: str, service: ServiceDep) -> dict[str, Any]:
    """One collection, as a model."""
    if model not in service.collections():
        raise HTTPException(404, f"no model {model!r}: the models are the collections listed by GET /v1/models")
    return model_card(model)
