"""The OpenAI chat-completions format as `qa serve` speaks it: requests, responses, stream chunks, errors.

Extensions, all optional for clients that know only OpenAI's fields:
- request: ``collection`` picks the collection (else ``model`` when it names one, else the default);
  ``conversation_id`` continues a saved conversation (routes/conversations.py): its messages are the history
  and the turn is added to it; the reply carries ``conversation_id`` back (the last stream chunk too);
- ``choices[0].message`` (and the last stream chunk, beside ``choices``): ``citations`` (the passages the
  ``[n]`` markers name), ``refused`` (the documents do not support an answer) and ``refusal_reason``;
- top level: ``qa_answer``, the whole Answer JSON (`qa ask --json`).
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import InputError
from assistant.types import Answer

OWNER = "cited-qa"


class ContentPart(BaseModel):
    """One part of a content array; only ``text`` parts can be read."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One turn of an OpenAI-style conversation; ``content`` is a string or an array of text parts."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[ContentPart] | None = None


class StreamOptions(BaseModel):
    """OpenAI's ``stream_options``."""

    include_usage: bool = False


class ChatRequest(BaseModel):
    """An OpenAI chat completion request; the last user message is the question. Sampling fields that
    OpenAI accepts (temperature, max_tokens, ...) are accepted and ignored: answers are checked, not sampled."""

    model: str = Field(OWNER, description="A model id from GET /v1/models (a collection), or any name for the default.")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    collection: str | None = Field(None, description="Collection to answer from (extension; overrides model).")
    conversation_id: str | None = Field(
        None,
        description="A saved conversation to continue (extension, from POST /v1/conversations): its messages are "
        "the history, earlier messages of the request are not read, and the question and answer are added to it.",
    )


def message_text(message: ChatMessage, index: int) -> str:
    """The text of a message: its string, or its text parts joined; InputError naming any other part."""
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    texts = []
    for number, part in enumerate(message.content):
        if part.type != "text" or part.text is None:
            raise InputError(
                f"messages[{index}].content[{number}]: a part of type {part.type!r} cannot be read; "
                "send text parts ({'type': 'text', 'text': ...}) only"
            )
        texts.append(part.text)
    return "\n".join(texts)


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """OpenAI's usage object."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def answer_fields(answer: Answer) -> dict[str, Any]:
    """The extension fields carried by a message and by the final stream chunk."""
    return {
        "citations": [citation.model_dump() for citation in answer.citations],
        "refused": answer.refused,
        "refusal_reason": answer.refusal_reason,
        # What the output hygiene changed (a document's image shown as text, a link or HTML removed).
        "notes": answer.notes,
    }


def completion(completion_id: str, model: str, answer: Answer, tokens: dict[str, int]) -> dict[str, Any]:
    """A ``chat.completion`` object for a checked answer."""
    message = {"role": "assistant", "content": answer.answer, "refusal": None, **answer_fields(answer)}
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
        "usage": tokens,
        "citations": message["citations"],
        "qa_answer": answer.model_dump(),
    }


def chunk(completion_id: str, model: str, created: int, **fields: Any) -> dict[str, Any]:
    """A ``chat.completion.chunk`` with ``fields`` (choices, usage, extensions)."""
    return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model, **fields}


def model_card(name: str) -> dict[str, Any]:
    """One entry of GET /v1/models."""
    return {"id": name, "object": "model", "created": 0, "owned_by": OWNER}


ErrorType = Literal[
    "invalid_request_error",
    "authentication_error",
    "not_found_error",
    "rate_limit_error",
    "server_error",
    "service_unavailable",
]
_TYPES: dict[int, ErrorType] = {
    401: "authentication_error",
    403: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    503: "service_unavailable",
}


def error_body(status: int, message: str, *, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error shape, used for every error status of the service (``code``: an ErrorCode, errors.py)."""
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
