"""/v1/conversations: saved chats over HTTP (create, list, read). A chat completion with ``conversation_id``
continues one (routes/chat.py). With a server state database (QA_DATABASE_URL) every `qa serve` sharing it sees the
same conversations, so a chat started on one host continues on another."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from assistant.app.http.service_state import Service, ServiceDep
from assistant.chats.conversations import DEFAULT_TITLE, MAX_TITLE, Conversation, ConversationStore

router = APIRouter()


class NewConversation(BaseModel):
    """A conversation to start."""

    title: str = Field(DEFAULT_TITLE, description=f"1 to {MAX_TITLE} characters; a title in use gets ' (2)'.")
    collection: str | None = Field(None, description="The collection it answers from (default: the server's).")


def conversation_store(service: Service) -> ConversationStore:
    """The saved conversations of the service's state store (its data folder, or the shared database)."""
    return service.registry.shared.conversations(service.settings)


def conversation_or_404(store: ConversationStore, conversation_id: str) -> Conversation:
    """The conversation, or a 404 saying it does not exist and where the existing ones are listed."""
    conversation = store.get(conversation_id)
    if conversation is None:
        raise HTTPException(
            404,
            f"no conversation {conversation_id!r} (deleted, or never made): start one with POST /v1/conversations; "
            "GET /v1/conversations lists them",
        )
    return conversation


def summary(conversation: Conversation) -> dict[str, Any]:
    """A conversation without its messages."""
    return {
        "id": conversation.id,
        "title": conversation.title,
        "collection": conversation.collection,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
    }


@router.post("/v1/conversations", status_code=201)
def create_conversation(request: NewConversation, service: ServiceDep) -> dict[str, Any]:
    """Start an empty conversation on a collection that exists; its ``id`` goes in chat completions as
    ``conversation_id``."""
    collection = service.assistant(request.collection).settings.storage.collection  # 404 or 400 as a chat would
    conversation = conversation_store(service).create(request.title, collection)
    return {**summary(conversation), "messages": []}


@router.get("/v1/conversations")
def list_conversations(service: ServiceDep) -> dict[str, list[dict[str, Any]]]:
    """Every conversation without its messages, the most recently used first."""
    return {"conversations": [summary(conversation) for conversation in conversation_store(service).list()]}


@router.get("/v1/conversations/{conversation_id}")
def get_conversation(conversation_id: str, service: ServiceDep) -> dict[str, Any]:
    """A conversation with its messages in order; each answer carries its whole Answer JSON (citations
    included) as ``answer``."""
    store = conversation_store(service)
    conversation = conversation_or_404(store, conversation_id)
    return {**summary(conversation), "messages": store.messages(conversation.id)}
