"""POST /v1/search: the passages that best match a query, without an answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from assistant.app.http.service_state import ServiceDep

# A search's source filter: enough for any real selection, and far below what the stores can take in one query.
MAX_SOURCES = 1000

router = APIRouter()


class SearchRequest(BaseModel):
    """A passage search."""

    query: str
    k: int = Field(5, ge=1, le=50)
    sources: list[str] | None = Field(
        None, max_length=MAX_SOURCES, description=f"Only passages of these files (at most {MAX_SOURCES})."
    )
    collection: str | None = None


@router.post("/v1/search")
def search(request: SearchRequest, service: ServiceDep) -> dict[str, list[dict[str, Any]]]:
    """The passages that best match ``query``, best first."""
    passages = service.assistant(request.collection).search(request.query, request.k, request.sources)
    return {"passages": [passage.model_dump() for passage in passages]}
