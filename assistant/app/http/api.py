"""HTTP service (`qa serve`): an OpenAI-compatible chat endpoint with citations, search and documents.

`create_app` assembles the service: the access gate (API key, declared body size), the routers of routes/
(health, models, chat, conversations, search, documents), the exception handlers (error_handlers.py) and the
Service they share (service_state.py: the registry of per-collection Assistants and the admission queues). Routes
stay thin: each makes one call on the Assistant of the requested collection. Every error, whatever its status, has
OpenAI's shape ``{"error": {"message", "type", "param", "code"}}`` with a code from errors.py.
"""

from __future__ import annotations

from fastapi import FastAPI

from assistant.app.http.access import Gate
from assistant.app.http.error_handlers import install_error_handlers
from assistant.app.http.routes import chat, conversations, documents, health, models, search
from assistant.app.http.service_state import Service
from assistant.app.registry import Registry
from assistant.settings import Settings, load_settings

_MB = 1024 * 1024


def create_app(settings: Settings, *, registry: Registry | None = None) -> FastAPI:
    """The FastAPI application serving the collections under ``settings.data_dir``; its Assistants come from
    ``registry`` (default: a new one over ``settings``, which builds every part itself)."""
    app = FastAPI(title="cited-qa", version="0.2.0", description="Answers from your documents, with citations.")
    app.add_middleware(Gate, settings=settings)
    service = Service(registry or Registry(settings))
    service.attach(app)
    service.recover()  # what a killed server left half-uploaded
    install_error_handlers(app)
    json_limit = settings.server.max_request_mb * _MB
    app.include_router(health.router)
    app.include_router(models.router)
    app.include_router(chat.router, max_body_size=json_limit)
    app.include_router(conversations.router, max_body_size=json_limit)
    app.include_router(search.router, max_body_size=json_limit)
    app.include_router(documents.router, max_body_size=settings.server.max_upload_request_mb * _MB)
    return app


def app_from_environment() -> FastAPI:
    """The application with settings from qa.toml and QA_* variables: what each `qa serve --workers N`
    worker process builds."""
    return create_app(load_settings())
