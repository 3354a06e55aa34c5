"""HTTP service (`qa serve`): an OpenAI-compatible chat endpoint with citations, search and documents.

Routes stay thin: each makes one call on the Assistant of the requested collection. Every error, whatever
its status, has OpenAI's shape ``{"error": {"message", "type", "param", "code"}}`` (api_openai.py).
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import uuid
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Header, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from assistant.app.admission import AnswerQueue, Busy
from assistant.app.api_openai import ChatRequest, completion, error_body, message_text, model_card, status_of
from assistant.app.api_streams import answer_events, token_counter, upload_events
from assistant.app.health import health_report
from assistant.app.service import Assistant, build_assistant
from assistant.app.upload_ingest import ingest_uploads
from assistant.app.uploads import forget_upload, upload_folder
from assistant.errors import AssistantError, InputError
from assistant.settings import Settings, load_settings

logger = logging.getLogger(__name__)


class SearchRequest(BaseModel):
    """A passage search."""

    query: str
    k: int = Field(5, ge=1, le=50)
    sources: list[str] | None = None
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
    assistants: dict[str, Assistant] = {}
    building = threading.Lock()
    answers = AnswerQueue(settings.answer_queue, one_at_a_time=settings.answerer == "local")

    def assistant_for(collection: str | None) -> Assistant:
        name = collection or settings.collection
        with building:
            if name not in assistants:
                try:
                    chosen = settings.model_copy(update={"collection": name})
                    Settings.model_validate(chosen.model_dump())
                except ValueError as exc:
                    raise InputError(f"collection {name!r} is not a valid name") from exc
                first = next(iter(assistants.values()), None)
                # Every collection shares one embedding model and one answerer: loading them is the slow part.
                assistants[name] = build_assistant(
                    chosen,
                    embedder=first.embedder if first else None,
                    answerer=first.answerer if first else None,
                )
            return assistants[name]

    def collections() -> list[str]:
        names = {name for name, _, _ in assistant_for(None).catalog.collections()}
        return sorted(names | {settings.collection})

    def check_key(authorization: str | None = Header(default=None)) -> None:
        if not settings.api_keys:
            return
        token = (authorization or "").removeprefix("Bearer ").strip()
        # Compare in constant time so response timing says nothing about how much of a key was right.
        if not any(hmac.compare_digest(token.encode(), key.encode()) for key in settings.api_keys):
            raise HTTPException(status_code=401, detail="missing or wrong API key: send 'Authorization: Bearer KEY'")

    @app.exception_handler(AssistantError)
    async def _assistant_error(_request: Request, exc: AssistantError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, Busy) else None
        # A stable code in OpenAI's style: InputError -> input_error.
        code = re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()
        return _error(status_of(exc), str(exc), headers, code=code)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}; the API is listed at /openapi.json"
        return _error(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return _error(422, message, param=param, code="invalid_request")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.error("unexpected error", exc_info=exc)
        return _error(500, f"internal error ({type(exc).__name__}); the server log has the details")

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        """``ok`` or ``degraded``, with a check for the store, the embedding model and the language model."""
        return health_report(assistant_for(None))

    @app.get("/v1/models", dependencies=[Depends(check_key)])
    def list_models() -> dict[str, Any]:
        """One model per collection: send its id as ``model`` to answer from that collection."""
        return {"object": "list", "data": [model_card(name) for name in collections()]}

    @app.get("/v1/models/{model}", dependencies=[Depends(check_key)])
    def get_model(model: str) -> dict[str, Any]:
        """One collection, as a model."""
        if model not in collections():
            raise HTTPException(404, f"no model {model!r}: the models are the collections listed by GET /v1/models")
        return model_card(model)

    @app.post("/v1/chat/completions", dependencies=[Depends(check_key)])
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

    @app.post("/v1/search", dependencies=[Depends(check_key)])
    def search(request: SearchRequest) -> dict[str, list[dict[str, Any]]]:
        """The passages that best match ``query``, best first."""
        passages = assistant_for(request.collection).search(request.query, request.k, request.sources)
        return {"passages": [passage.model_dump() for passage in passages]}

    @app.get("/v1/documents", dependencies=[Depends(check_key)])
    def list_documents(collection: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """The files of a collection; ``sha256`` is the hash of the file's bytes."""
        records = assistant_for(collection).sources()
        return {"documents": [{**vars(record), "sha256": record.sha256.split(":")[0]} for record in records]}

    @app.post(
        "/v1/documents",
        dependencies=[Depends(check_key)],
        status_code=201,
        responses={
            207: {"description": "Some files stored, some not (see results)"},
            422: {"description": "No file stored (see results)"},
        },
    )
    async def upload_documents(files: list[UploadFile], collection: str | None = None, stream: bool = False) -> Any:
        """Store and ingest files. 201: all stored; 207: some; 422: none (a file that is not stored is not
        kept). ``stream=true`` sends progress as server-sent events, ending with the same result."""
        assistant = assistant_for(collection)
        limit = settings.max_upload_mb * 1024 * 1024
        # One byte past the limit is enough to know a file is too large; saving refuses it by name.
        received = [(upload.filename or "upload", await upload.read(limit + 1)) for upload in files]
        if stream:
            return StreamingResponse(upload_events(assistant, received), media_type="text/event-stream")
        outcome = await run_in_threadpool(ingest_uploads, assistant, received)
        return JSONResponse(outcome.body(), status_code=outcome.status)

    @app.delete("/v1/documents", dependencies=[Depends(check_key)])
    def delete_document(source: str, collection: str | None = None) -> dict[str, Any]:
        """Remove a file from the collection (and from the upload folder, when it was uploaded)."""
        assistant = assistant_for(collection)
        known = [record.source for record in assistant.sources()]
        matches = [s for s in known if s == source] or [
            s for s in known if Path(s).name == source or s.endswith("/" + source)
        ]
        if not matches:
            raise HTTPException(
                404,
                f"{source}: not a document of collection {assistant.settings.collection!r}; "
                "GET /v1/documents lists them",
            )
        if len(matches) > 1:
            raise InputError(f"{source}: {len(matches)} documents match; send the full source from GET /v1/documents")
        result = assistant.remove(matches[0])
        path = Path(matches[0])
        if path.parent == upload_folder(assistant.settings).resolve():
            forget_upload(path)
        return vars(result)

    return app


def app_from_environment() -> FastAPI:
    """The application with settings from qa.toml and QA_* variables: what each `qa serve --workers N`
    worker process builds."""
    return create_app(load_settings())
