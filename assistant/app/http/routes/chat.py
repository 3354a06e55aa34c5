"""POST /v1/chat/completions: OpenAI-compatible chat completions with citations, whole or streamed."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from assistant.app.http.openai_format import ChatRequest, completion, message_text
from assistant.app.http.routes.conversations import conversation_or_404, conversation_store
from assistant.app.http.service_state import ServiceDep
from assistant.app.http.streams import answer_events, token_counter
from assistant.chats.conversations import DEFAULT_TITLE, Conversation, title_from
from assistant.errors import InputError
from assistant.types import Answer

router = APIRouter()


@router.post("/v1/chat/completions")
def chat_completions(request: ChatRequest, service: ServiceDep) -> Any:
    """Answer the last user message from the documents (``stream: true`` for server-sent events). With
    ``conversation_id``, the conversation's saved messages are the history (the request's earlier messages are
    not read), its collection answers unless the request names one, and the question and its answer are added
    to it once the answer is complete."""
    *earlier, last = request.messages
    if last.role != "user":
        raise InputError("the last message must have role 'user' and hold the question")
    question = message_text(last, len(request.messages) - 1)
    saved_in: Conversation | None = None
    if request.conversation_id is None:
        history = [
            {"role": m.role, "content": message_text(m, i)}
            for i, m in enumerate(earlier)
            if m.role in ("user", "assistant")
        ]
    else:
        store = conversation_store(service)
        saved_in = conversation_or_404(store, request.conversation_id)
        history = [{"role": m["role"], "content": m["content"]} for m in store.messages(saved_in.id)]
    named = request.collection or (request.model if request.model in service.collections() else None)
    assistant = service.assistant(named or (saved_in.collection if saved_in else None))

    def kept(answer: Answer) -> dict[str, Any]:
        """Add the turn to the conversation (as the browser app saves it); the reply's extra fields."""
        if saved_in is None:
            return {}
        store = conversation_store(service)
        positions = store.add_messages(
            saved_in.id, [("user", question, None), ("assistant", answer.answer, answer.model_dump())]
        )
        if positions[0] == 0 and saved_in.title == DEFAULT_TITLE:  # named by its first question, as in the browser
            store.rename(saved_in.id, title_from(question))
        return {"conversation_id": saved_in.id}

    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    ticket = service.answers.admit()
    if not request.stream:
        try:
            ticket.wait_turn()
            read_tokens = token_counter(assistant)
            answer = assistant.ask(question, history)
            extra = kept(answer)
            return {**completion(completion_id, request.model, answer, read_tokens()), **extra}
        finally:
            ticket.release()
    try:
        pieces = assistant.stream(question, history)
    except BaseException:
        ticket.release()
        raise
    include_usage = bool(request.stream_options and request.stream_options.include_usage)
    events = answer_events(
        completion_id, request.model, pieces, ticket, token_counter(assistant), include_usage, on_answer=kept
    )
    # The ticket is also released after the response, in case the stream never started (client gone).
    return StreamingResponse(events, media_type="text/event-stream", background=BackgroundTask(ticket.release))
