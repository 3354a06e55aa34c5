"""The streamed answers of `qa serve`: chat completions and upload progress as server-sent events, and the
token counts an answer's model reports."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from assistant.answering.pipeline import AnswerStream
from assistant.app.http.admission import Ticket
from assistant.app.http.errors import assistant_error_body
from assistant.app.http.openai_format import answer_fields, chunk, error_body, usage
from assistant.app.service import Assistant
from assistant.app.upload_ingest import UploadOutcome
from assistant.errors import AssistantError
from assistant.types import Answer
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
    on_answer: Callable[[Answer], dict[str, Any]] | None = None,
) -> AsyncIterator[str]:
    """The answer as server-sent events. Each piece is awaited from a worker thread, so that a client that
    goes away cancels this generator at its next piece and ``finally`` stops the generation; a synchronous
    generator would be left running until the model finished (measured: a disconnected client's answer
    went on being written to the end). ``on_answer`` runs on the checked answer before the last chunk, which
    carries the fields it returns."""

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
        extra = await run_in_threadpool(on_answer, answer) if on_answer else {}
        final = {"index": 0, "delta": {}, "finish_reason": "stop"}
        fields = {**answer_fields(answer), "qa_answer": answer.model_dump(), **extra}
        yield event(chunk(completion_id, model, created, choices=[final], **fields))
        if include_usage:
            yield event(chunk(completion_id, model, created, choices=[], usage=tokens()))
    except AssistantError as exc:
        yield event(assistant_error_body(exc))
    finally:
        try:
            pieces.close()  # a client that went away stops its generation
        finally:
            ticket.release()
    yield "data: [DONE]\n\n"


async def upload_events(job: asyncio.Future[UploadOutcome], ticks: asyncio.Queue[Progress]) -> AsyncIterator[str]:
    """Progress of an upload's ingest as server-sent events: ``{"progress": {stage, done, total, name,
    chunks}}`` while it runs (stage ``wait`` while another ingest holds the writer lock), then
    ``{"status": 201|207|422, "summary", "results"}`` or ``{"error": ...}``, then ``[DONE]``. The ingest runs
    on the writer queue's thread and goes on to the end if the client leaves: each file is stored whole or not
    at all. Waiting here holds no thread: the ticks arrive on the event loop, each before the job ends."""
    while not job.done() or not ticks.empty():
        if ticks.empty():
            waiting: asyncio.Future[Progress] = asyncio.ensure_future(ticks.get())
            either: list[asyncio.Future[Any]] = [job, waiting]
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if not waiting.done():
                waiting.cancel()
                continue
            progress = waiting.result()
        else:
            progress = ticks.get_nowait()
        fields = ("stage", "done", "total", "name", "chunks")
        yield _event({"progress": {name: getattr(progress, name) for name in fields}})
    yield _event(upload_result(job))
    yield "data: [DONE]\n\n"


def upload_result(job: asyncio.Future[UploadOutcome]) -> dict[str, Any]:
    """The last event of an upload stream: the outcome with its status, or the error that stopped it."""
    try:
        outcome = job.result()
    except AssistantError as exc:
        return assistant_error_body(exc)
    except Exception as exc:  # reported to the client, logged here
        logger.error("upload failed", exc_info=exc)
        return error_body(500, f"internal error ({type(exc).__name__}); the server log has the details")
    return {"status": outcome.status, **outcome.body()}


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
