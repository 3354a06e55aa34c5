"""The streamed answers of `qa serve`: chat completions and upload progress as server-sent events, and the
token counts an answer's model reports."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from assistant.app.admission import Ticket
from assistant.app.api_openai import answer_fields, chunk, error_body, status_of, usage
from assistant.app.service import Assistant
from assistant.app.upload_ingest import ingest_uploads
from assistant.errors import AssistantError
from assistant.pipeline import AnswerStream
from ingest.indexer import Progress

logger = logging.getLogger(__name__)


def token_counter(assistant: Assistant) -> Callable[[], dict[str, int]]:
    """Reads, after an answer, the tokens its model reports (llama.cpp's timings); zeros when the answer
    used no model (the extractive answerer, a refusal before writing) or the model reports none."""
    model = getattr(assistant.answerer, "chat_model", None)
    before = getattr(model, "last_timings", None)

    def read() -> dict[str, int]:
        timings = getattr(model, "last_timings", None)
        if not timings or timings is before:
            return usage(0, 0)
        return usage(
            int(timings.get("prompt_n", 0)) + int(timings.get("cache_n", 0) or 0), int(timings.get("predicted_n", 0))
        )

    return read


async def answer_events(
    completion_id: str,
    model: str,
    pieces: AnswerStream,
    ticket: Ticket,
    tokens: Callable[[], dict[str, int]],
    include_usage: bool,
) -> AsyncIterator[str]:
    """The answer as server-sent events. Each piece is awaited from a worker thread, so that a client that
    goes away cancels this generator at its next piece and ``finally`` stops the generation; a synchronous
    generator would be left running until the model finished (measured: a disconnected client's answer
    went on being written to the end)."""

    def event(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    created = int(time.time())

    def delta(content: str, **extra: Any) -> str:
        return event(
            chunk(
                completion_id,
                model,
                created,
                choices=[{"index": 0, "delta": {"content": content, **extra}, "finish_reason": None}],
            )
        )

    try:
        await run_in_threadpool(ticket.wait_turn)
        # The role goes first, as OpenAI's streams do; the checked sentences follow once the draft is checked.
        yield delta("", role="assistant")
        while (piece := await run_in_threadpool(next, pieces, None)) is not None:
            if piece:  # empty while the draft is written: between them a client that left stops the model
                yield delta(piece)
        answer = await run_in_threadpool(lambda: pieces.answer)
        final = {"index": 0, "delta": {}, "finish_reason": "stop"}
        yield event(
            chunk(
                completion_id, model, created, choices=[final], **answer_fields(answer), qa_answer=answer.model_dump()
            )
        )
        if include_usage:
            yield event(chunk(completion_id, model, created, choices=[], usage=tokens()))
    except AssistantError as exc:
        yield event(error_body(status_of(exc), str(exc), code=type(exc).__name__))
    finally:
        try:
            pieces.close()  # a client that went away stops its generation
        finally:
            ticket.release()
    yield "data: [DONE]\n\n"


async def upload_events(assistant: Assistant, received: list[tuple[str, bytes]]) -> AsyncIterator[str]:
    """Progress of an upload's ingest as server-sent events: ``{"progress": {stage, done, total, name,
    chunks}}`` while it runs (stage ``wait`` while another ingest holds the writer lock), then
    ``{"status": 201|207|422, "summary", "results"}`` or ``{"error": ...}``, then ``[DONE]``. The ingest
    goes on to the end if the client leaves: each file is stored whole or not at all."""
    updates: queue.Queue[tuple[str, Any]] = queue.Queue()

    def run() -> None:
        try:
            outcome = ingest_uploads(assistant, received, lambda tick: updates.put(("progress", tick)))
            updates.put(("done", {"status": outcome.status, **outcome.body()}))
        except AssistantError as exc:
            updates.put(("done", error_body(status_of(exc), str(exc), code=type(exc).__name__)))
        except Exception as exc:  # reported to the client, logged here
            logger.exception("upload failed")
            updates.put(
                ("done", error_body(500, f"internal error ({type(exc).__name__}); the server log has the details"))
            )

    threading.Thread(target=run, daemon=True, name="upload-ingest").start()
    while True:
        kind, value = await run_in_threadpool(updates.get)
        if kind == "progress":
            tick: Progress = value
            value = {
                "progress": {
                    "stage": tick.stage,
                    "done": tick.done,
                    "total": tick.total,
                    "name": tick.name,
                    "chunks": tick.chunks,
                }
            }
        yield f"data: {json.dumps(value, ensure_ascii=False)}\n\n"
        if kind == "done":
            break
    yield "data: [DONE]\n\n"
