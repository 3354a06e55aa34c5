"""/v1/documents: list a collection's files (GET), upload and ingest files (POST), remove one (DELETE)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from assistant.app.http.service_state import ServiceDep
from assistant.app.http.streams import upload_events
from assistant.app.http.upload_body import read_upload
from assistant.app.service import Assistant
from assistant.app.upload_ingest import UploadOutcome, ingest_staged
from assistant.app.uploads import Staging, forget_upload, upload_folder
from assistant.errors import InputError
from ingest.indexer import Progress

router = APIRouter()

# The upload body, described for OpenAPI: the route reads it as a stream (see upload_body.py).
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                }
            }
        },
    }
}


@router.get("/v1/documents")
def list_documents(service: ServiceDep, collection: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """The files of a collection; ``sha256`` is the hash of the file's bytes."""
    records = service.assistant(collection).sources()
    return {"documents": [{**vars(record), "sha256": record.sha256.split(":")[0]} for record in records]}


@router.post(
    "/v1/documents",
    status_code=201,
    openapi_extra=UPLOAD_BODY,
    responses={
        207: {"description": "Some files stored, some not (see results)"},
        413: {"description": "The request is over QA_MAX_UPLOAD_REQUEST_MB"},
        422: {"description": "No file stored (see results)"},
        503: {"description": "Too many uploads wait for the data folder; retry after Retry-After seconds"},
    },
)
async def upload_documents(
    request: Request, service: ServiceDep, collection: str | None = None, stream: bool = False
) -> Any:
    """Store and ingest files (multipart field ``files``). 201: all stored; 207: some; 422: none (a file that
    is not stored is not kept). ``stream=true`` sends progress as server-sent events, ending with the same
    result."""
    assistant = service.assistant(collection, create=True)
    place = service.writers.reserve()  # before the body is read: a refused upload is never read
    staging: Staging | None = None
    try:
        staging = Staging.create(service.settings.storage.data_dir)
        await read_upload(request.headers.get("content-type", ""), request.stream(), staging, assistant.settings)
    except BaseException:
        if staging is not None:
            staging.discard()
        place.release()
        raise
    loop = asyncio.get_running_loop()
    ticks: asyncio.Queue[Progress] = asyncio.Queue()

    def tick(progress: Progress) -> None:
        loop.call_soon_threadsafe(ticks.put_nowait, progress)

    def job() -> UploadOutcome:
        service.recover()
        return ingest_staged(assistant, staging, tick if stream else None)

    running = asyncio.wrap_future(place.run(job))
    if stream:
        return StreamingResponse(upload_events(running, ticks), media_type="text/event-stream")
    outcome = await asyncio.shield(running)
    return JSONResponse(outcome.body(), status_code=outcome.status)


@router.delete("/v1/documents")
async def delete_document(service: ServiceDep, source: str, collection: str | None = None) -> dict[str, Any]:
    """Remove a file from the collection (and from the upload folder, when it was uploaded)."""
    assistant = service.assistant(collection)
    return await service.on_writer(lambda: remove_document(assistant, source))


def remove_document(assistant: Assistant, source: str) -> dict[str, Any]:
    """Remove the document ``source`` names (its full source, or a unique file name or path ending)."""
    known = [record.source for record in assistant.sources()]
    matches = [s for s in known if s == source] or [
        s for s in known if Path(s).name == source or s.endswith("/" + source)
    ]
    if not matches:
        raise HTTPException(
            404,
            f"{source}: not a document of collection {assistant.settings.storage.collection!r}; "
            "GET /v1/documents lists them",
        )
    if len(matches) > 1:
        raise InputError(f"{source}: {len(matches)} documents match; send the full source from GET /v1/documents")
    result = assistant.remove(matches[0])
    path = Path(matches[0])
    if path.parent == upload_folder(assistant.settings).resolve():
        forget_upload(path)
    return vars(result)
