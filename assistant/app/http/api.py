"""HTTP service (`qa serve`): an OpenAI-compatible chat endpoint with citations, search and documents.

Routes stay thin: each makes one call on the Assistant of the requested collection. Every error, whatever
its status, has OpenAI's shape ``{"error": {"message", "type", "param", "code"}}`` (api_openai.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException

from assistant.app.http.access import Gate, key_ok, too_large
from assistant.app.http.admission import AnswerQueue, Busy, WriterQueue
from assistant.app.http.health import health_report
from assistant.app.http.openai_format import (
    ChatRequest,
    assistant_error_body,
    completion,
    error_body,
    message_text,
    model_card,
    status_of,
)
from assistant.app.http.streams import answer_events, token_counter, upload_events
from assistant.app.http.upload_body import read_upload
from assistant.app.service import Assistant, build_assistant
from assistant.app.upload_ingest import UploadOutcome, ingest_staged
from assistant.app.uploads import Staging, forget_upload, upload_folder
from assistant.errors import AssistantError, InputError
from assistant.settings import Settings, load_settings
from ingest.indexer import Progress

logger = logging.getLogger(__name__)


_MB = 1024 * 1024
# Collections other than the default whose assistants stay built (most recently used kept).
_CACHED_COLLECTIONS = 16
# A search's source filter: enough for any real selection, and far below what the stores can take in one query.
MAX_SOURCES = 1000
_HTTP_CODES = {401: "invalid_api_key", 404: "not_found", 413: "request_too_large"}
# The upload body, described for OpenAPI: the route reads it as a stream (see upload_body.py).
_UPLOAD_BODY: dict[str, Any] = {
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
T = TypeVar("T")


class SearchRequest(BaseModel):
    """A passage search."""

    query: str
    k: int = Field(5, ge=1, le=50)
    sources: list[str] | None = Field(
        None, max_length=MAX_SOURCES, description=f"Only passages of these files (at most {MAX_SOURCES})."
    )
    collection: str | None = None


def _error(status: int, message: str, headers: dict[str, str] | None = None, **fields: Any) -> JSONResponse:
    return JSONResponse(error_body(status, message, **fields), status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """'field: problem' for each invalid field, and the first field's name (OpenAI's ``param``)."""
    problems, params = [], []
    for error in exc.errors():
        if error["type"] == "json_invalid":  # its location is a character position, not a field
            reason = (error.get("ctx") or {}).get("error", error["msg"])
            problems.append(f"the request body is not valid JSON ({reason} at character {error['loc'][-1]})")
            params.append("body")
            continue
        where = [str(part) for part in error["loc"] if part not in ("body", "query", "path", "header")]
        param = ".".join(where) or "body"
        params.append(param)
        problems.append(f"{param}: {error['msg']}")
    return "; ".join(problems) or "the request is not valid", params[0] if params else None


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI application serving the collections under ``settings.data_dir``."""
    app = FastAPI(title="cited-qa", version="0.2.0", description="Answers from your documents, with citations.")
    app.add_middleware(Gate, settings=settings)
    default = build_assistant(settings)
    # The other collections' assistants, most recently used last: a bounded cache, so that a stream of
    # collection names cannot keep an assistant each for ever.
    assistants: OrderedDict[str, Assistant] = OrderedDict()
    building = threading.Lock()
    answers = AnswerQueue(settings.answer_queue, one_at_a_time=settings.answerer == "local")
    writers = WriterQueue(settings.upload_queue)
    json_limit = settings.max_request_mb * _MB
    upload_limit = settings.max_upload_request_mb * _MB
    app.state.assistants = assistants

    def collections() -> list[str]:
        names = {name for name, _, _ in default.catalog.collections()}
        return sorted(names | {settings.collection})

    def assistant_for(collection: str | None, *, create: bool = False) -> Assistant:
        """The Assistant of a collection. Only a write (``create``) may name a collection that does not exist
        yet: a read of an unknown one is a 404, and builds nothing."""
        name = collection or settings.collection
        if name == settings.collection:
            return default
        try:
            chosen = settings.model_copy(update={"collection": name})
            Settings.model_validate(chosen.model_dump())
        except ValueError as exc:
            raise InputError(f"collection {name!r} is not a valid name") from exc
        with building:
            if name in assistants:
                assistants.move_to_end(name)
                return assistants[name]
        if not create and name not in collections():
            raise HTTPException(
                404,
                f"no collection {name!r}: upload a document to it with POST /v1/documents?collection={name} to "
                "create it; GET /v1/models lists the collections",
            )
        with building:
            if name not in assistants:
                # Every collection shares one embedding model and one answerer: loading them is the slow part.
                assistants[name] = build_assistant(chosen, embedder=default.embedder, answerer=default.answerer)
                while len(assistants) > _CACHED_COLLECTIONS:
                    assistants.popitem(last=False)
            assistants.move_to_end(name)
            return assistants[name]

    def recover() -> None:
        for line in default.unfinished_uploads(repair=True):
            logger.warning(line)

    recover()  # what a killed server left half-uploaded

    async def on_writer(job: Callable[[], T]) -> T:
        """Run ``job`` on the writer queue's thread (503 when the queue is full) and wait for it without
        holding a thread. Shielded: a request given up on still finishes its job, and its place is freed."""
        place = writers.reserve()
        return await asyncio.shield(asyncio.wrap_future(place.run(job)))

    @app.exception_handler(AssistantError)
    async def _assistant_error(_request: Request, exc: AssistantError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, Busy) else None
        return JSONResponse(assistant_error_body(exc), status_code=status_of(exc), headers=headers)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}; the API is listed at /openapi.json"
        if exc.status_code == 413:
            message = too_large(settings, request.url.path, None)
        return _error(exc.status_code, message, getattr(exc, "headers", None), code=_HTTP_CODES.get(exc.status_code))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return _error(422, message, param=param, code="invalid_request")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.error("unexpected error", exc_info=exc)
        return _error(500, f"internal error ({type(exc).__name__}); the server log has the details")

    @app.get("/healthz")
    def healthz(authorization: str | None = Header(default=None, include_in_schema=False)) -> dict[str, Any]:
        """``ok`` or ``degraded``, with a check for the store, the embedding model and the language model.
        When API keys are set, the details (which name folders and servers) need a key."""
        report = health_report(default)
        if not key_ok(settings, authorization):
            report["checks"] = {name: {"status": check["status"]} for name, check in report["checks"].items()}
        return report

    @app.get("/v1/models")
    def list_models() -> dict[str, Any]:
        """One model per collection: send its id as ``model`` to answer from that collection."""
        return {"object": "list", "data": [model_card(name) for name in collections()]}

    @app.get("/v1/models/{model}")
    def get_model(model: str) -> dict[str, Any]:
        """One collection, as a model."""
        if model not in collections():
            raise HTTPException(404, f"no model {model!r}: the models are the collections listed by GET /v1/models")
        return model_card(model)

    @app.post("/v1/chat/completions", max_body_size=json_limit)
    def chat_completions(request: ChatRequest) -> Any:
        """Answer the last user message from the documents (``stream: true`` for server-sent events)."""
        *earlier, last = request.messages
        if last.role != "user":
            raise InputError("the last message must have role 'user' and hold the question")
        question = message_text(last, len(request.messages) - 1)
        history = [
            {"role": m.role, "content": message_text(m, i)}
            for i, m in enumerate(earlier)
            if m.role in ("user", "assistant")
        ]
        chosen = request.collection or (request.model if request.model in collections() else None)
        assistant = assistant_for(chosen)
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        ticket = answers.admit()
        if not request.stream:
            try:
                ticket.wait_turn()
                read_tokens = token_counter(assistant)
                answer = assistant.ask(question, history)
                return completion(completion_id, request.model, answer, read_tokens())
            finally:
                ticket.release()
        try:
            pieces = assistant.stream(question, history)
        except BaseException:
            ticket.release()
            raise
        include_usage = bool(request.stream_options and request.stream_options.include_usage)
        events = answer_events(completion_id, request.model, pieces, ticket, token_counter(assistant), include_usage)
        # The ticket is also released after the response, in case the stream never started (client gone).
        return StreamingResponse(events, media_type="text/event-stream", background=BackgroundTask(ticket.release))

    @app.post("/v1/search", max_body_size=json_limit)
    def search(request: SearchRequest) -> dict[str, list[dict[str, Any]]]:
        """The passages that best match ``query``, best first."""
        passages = assistant_for(request.collection).search(request.query, request.k, request.sources)
        return {"passages": [passage.model_dump() for passage in passages]}

    @app.get("/v1/documents")
    def list_documents(collection: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """The files of a collection; ``sha256`` is the hash of the file's bytes."""
        records = assistant_for(collection).sources()
        return {"documents": [{**vars(record), "sha256": record.sha256.split(":")[0]} for record in records]}

    @app.post(
        "/v1/documents",
        status_code=201,
        max_body_size=upload_limit,
        openapi_extra=_UPLOAD_BODY,
        responses={
            207: {"description": "Some files stored, some not (see results)"},
            413: {"description": "The request is over QA_MAX_UPLOAD_REQUEST_MB"},
            422: {"description": "No file stored (see results)"},
            503: {"description": "Too many uploads wait for the data folder; retry after Retry-After seconds"},
        },
    )
    async def upload_documents(request: Request, collection: str | None = None, stream: bool = False) -> Any:
        """Store and ingest files (multipart field ``files``). 201: all stored; 207: some; 422: none (a file that
        is not stored is not kept). ``stream=true`` sends progress as server-sent events, ending with the same
        result."""
        assistant = assistant_for(collection, create=True)
        place = writers.reserve()  # before the body is read: a refused upload is never read
        staging: Staging | None = None
        try:
            staging = Staging.create(settings.data_dir)
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
            recover()
            return ingest_staged(assistant, staging, tick if stream else None)

        running = asyncio.wrap_future(place.run(job))
        if stream:
            return StreamingResponse(upload_events(running, ticks), media_type="text/event-stream")
        outcome = await asyncio.shield(running)
        return JSONResponse(outcome.body(), status_code=outcome.status)

    @app.delete("/v1/documents")
    async def delete_document(source: str, collection: str | None = None) -> dict[str, Any]:
        """Remove a file from the collection (and from the upload folder, when it was uploaded)."""
        assistant = assistant_for(collection)
        return await on_writer(lambda: _remove(assistant, source))

    return app


def _remove(assistant: Assistant, source: str) -> dict[str, Any]:
    """Remove the document ``source`` names (its full source, or a unique file name or path ending)."""
    known = [record.source for record in assistant.sources()]
    matches = [s for s in known if s == source] or [
        s for s in known if Path(s).name == source or s.endswith("/" + source)
    ]
    if not matches:
        raise HTTPException(
            404,
            f"{source}: not a document of collection {assistant.settings.collection!r}; GET /v1/documents lists them",
        )
    if len(matches) > 1:
        raise InputError(f"{source}: {len(matches)} documents match; send the full source from GET /v1/documents")
    result = assistant.remove(matches[0])
    path = Path(matches[0])
    if path.parent == upload_folder(assistant.settings).resolve():
        forget_upload(path)
    return vars(result)


def app_from_environment() -> FastAPI:
    """The application with settings from qa.toml and QA_* variables: what each `qa serve --workers N`
    worker process builds."""
    return create_app(load_settings())
