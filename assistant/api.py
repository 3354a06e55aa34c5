"""HTTP service (`qa serve`): an OpenAI-compatible chat endpoint with citations, search and documents.

Routes stay thin: each makes one call on the Assistant of the requested collection.
"""

import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from assistant.errors import AssistantError, ConfigError, IngestError, InputError, ModelError, StoreError
from assistant.markers import same_claims
from assistant.pipeline import AnswerStream
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.types import Answer, Passage
from assistant.uploads import safe_filename, save_upload


class ChatMessage(BaseModel):
    """One turn of an OpenAI-style conversation."""

    role: str
    content: str


class ChatRequest(BaseModel):
    """An OpenAI-style chat completion request; the last user message is the question."""

    model: str = "cited-qa"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    collection: str | None = Field(None, description="Collection to answer from (extension).")


class SearchRequest(BaseModel):
    """A passage search."""

    query: str
    k: int = Field(5, ge=1, le=50)
    sources: list[str] | None = None
    collection: str | None = None


_STATUS = {InputError: 400, ConfigError: 400, ModelError: 503, StoreError: 503}
def create_app(settings: Settings) -> FastAPI:
    """The FastAPI application serving the collections under ``settings.data_dir``."""
    app = FastAPI(title="cited-qa", version="0.1.0", description="Answers from your documents, with citations.")
    assistants: dict[str, Assistant] = {}

    def assistant_for(collection: str | None) -> Assistant:
        name = collection or settings.collection
        if name not in assistants:
            try:
                chosen = settings.model_copy(update={"collection": name})
                Settings.model_validate(chosen.model_dump())
            except ValueError as exc:
                raise InputError(f"collection {name!r} is not a valid name") from exc
            first = next(iter(assistants.values()), None)
            # Every collection shares one embedding model and one answerer: loading them is the slow part.
            assistants[name] = Assistant(
                chosen,
                embedder=first.embedder if first else None,
                answerer=first.answerer if first else None,
            )
        return assistants[name]

    def check_key(authorization: str | None = Header(default=None)) -> None:
        if not settings.api_keys:
            return
        token = (authorization or "").removeprefix("Bearer ").strip()
        # Compare in constant time so response timing says nothing about how much of a key was right.
        if not any(hmac.compare_digest(token.encode(), key.encode()) for key in settings.api_keys):
            raise HTTPException(status_code=401, detail="missing or wrong API key: send 'Authorization: Bearer KEY'")

    @app.exception_handler(AssistantError)
    async def _assistant_error(_request: Request, exc: AssistantError) -> JSONResponse:
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
        return JSONResponse({"error": {"message": str(exc), "type": type(exc).__name__}}, status_code=status)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/chat/completions", dependencies=[Depends(check_key)])
    def chat_completions(request: ChatRequest) -> Any:
        *earlier, last = request.messages
        if last.role != "user":
            raise InputError("the last message must have role 'user' and hold the question")
        history = [{"role": m.role, "content": m.content} for m in earlier if m.role in ("user", "assistant")]
        assistant = assistant_for(request.collection)
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        if not request.stream:
            answer = assistant.ask(last.content, history)
            return _completion(completion_id, request.model, answer)
        pieces = assistant.stream(last.content, history)
        return StreamingResponse(_sse(completion_id, request.model, pieces), media_type="text/event-stream")

    @app.post("/v1/search", dependencies=[Depends(check_key)])
    def search(request: SearchRequest) -> dict[str, list[dict[str, Any]]]:
        passages: list[Passage] = assistant_for(request.collection).search(request.query, request.k, request.sources)
        return {"passages": [passage.model_dump() for passage in passages]}

    @app.get("/v1/documents", dependencies=[Depends(check_key)])
    def list_documents(collection: str | None = None) -> dict[str, list[dict[str, Any]]]:
        records = assistant_for(collection).sources()
        return {"documents": [vars(record) for record in records]}

    @app.post("/v1/documents", dependencies=[Depends(check_key)])
    async def upload_documents(files: list[UploadFile], collection: str | None = None) -> dict[str, Any]:
        assistant = assistant_for(collection)
        limit = settings.max_upload_mb * 1024 * 1024
        saved = []
        for upload in files:
            data = await upload.read(limit + 1)
            if len(data) > limit:
                name = safe_filename(upload.filename or "upload")
                raise HTTPException(413, f"{name} is larger than {settings.max_upload_mb} MB (QA_MAX_UPLOAD_MB)")
            saved.append(save_upload(assistant.settings, upload.filename or "upload", data))
        report = assistant.ingest(saved)
        return {"summary": report.summary(), "results": [vars(result) for result in report.results]}

    @app.delete("/v1/documents", dependencies=[Depends(check_key)])
    def delete_document(source: str, collection: str | None = None) -> dict[str, Any]:
        assistant = assistant_for(collection)
        try:
            return vars(assistant.remove(source))
        except IngestError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    return app


def _completion(completion_id: str, model: str, answer: Answer) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer}, "finish_reason": "stop"}],
        "citations": [citation.model_dump() for citation in answer.citations],
        "qa_answer": answer.model_dump(),
    }


def _sse(completion_id: str, model: str, pieces: AnswerStream) -> Iterator[str]:
    def event(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    base = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    try:
        for piece in pieces:
            yield event({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        answer = pieces.answer
        if not same_claims(pieces.text, answer.answer):
            # Clients show the deltas as the answer: end them with what the claim check let stand.
            note = f"\n\n(checked answer) {answer.answer}"
            yield event({**base, "choices": [{"index": 0, "delta": {"content": note}, "finish_reason": None}]})
        final = {"index": 0, "delta": {}, "finish_reason": "stop"}
        yield event({**base, "choices": [final], "citations": [c.model_dump() for c in answer.citations],
                     "qa_answer": answer.model_dump()})
    except AssistantError as exc:
        yield event({"error": {"message": str(exc), "type": type(exc).__name__}})
    finally:
        pieces.close()  # a client that went away stops its generation
    yield "data: [DONE]\n\n"
