"""What `/healthz` reports: the vector store, the state store (the data folder's SQLite files, or PostgreSQL), the
embedding model and the language model, each checked.

Each check says ``ok`` or ``down`` with one line for people; the whole is ``degraded`` when any is down.
Nothing is cached: a store that comes back shows as ``ok`` on the next call, without a restart. Parts
not loaded yet are reported as such, not loaded: a Chroma server is still asked for its heartbeat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.app.service import Assistant
from assistant.errors import AssistantError

_LLM_PROBE_TIMEOUT_S = 3.0


def _check(probe: Callable[[], str]) -> dict[str, str]:
    try:
        return {"status": "ok", "detail": probe()}
    except AssistantError as exc:
        return {"status": "down", "detail": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not fail
        return {"status": "down", "detail": f"{type(exc).__name__}: {exc}"}


def _loaded(assistant: Assistant, part: str) -> bool:
    """Whether the Assistant built ``part`` already: a health check must stay cheap, polled as it is, and
    does not load a model or open a store for the first time."""
    return part in vars(assistant.parts)  # the parts' cached properties, set once built


def _store(assistant: Assistant) -> str:
    url = assistant.settings.storage.chroma_url
    if url:
        import httpx

        try:
            httpx.get(f"{url.rstrip('/')}/api/v2/heartbeat", timeout=_LLM_PROBE_TIMEOUT_S).raise_for_status()
        except httpx.HTTPError as exc:
            raise AssistantError(
                f"cannot reach the Chroma server at {url} ({exc}); start it again or check QA_CHROMA_URL"
            ) from exc
    where = url or str(assistant.settings.storage.data_dir / "chroma")
    if not _loaded(assistant, "store"):
        return f"{where}; the collection opens on the first request"
    return f"{assistant.store.count()} vectors in collection {assistant.settings.storage.collection!r} at {where}"


def _state(assistant: Assistant) -> str:
    url = assistant.settings.storage.database_url
    if not url:
        return f"SQLite files in {assistant.settings.storage.data_dir}"
    from assistant.index.postgres.connection import ping

    return ping(url, _LLM_PROBE_TIMEOUT_S)


def _embedder(assistant: Assistant) -> str:
    if not _loaded(assistant, "embedder"):
        return f"{assistant.settings.models.embedder}; loads on the first request"
    vector = assistant.embedder.embed("health check")
    return f"{type(assistant.embedder).__name__}, {len(vector)} dimensions"


def _language_model(assistant: Assistant) -> str:
    settings = assistant.settings
    if settings.llm.answerer == "extractive":
        return "extractive answerer: no language model needed"
    if settings.llm.answerer == "openai" and settings.llm.chat_model and not settings.llm.base_url:
        return f"LangChain chat model {settings.llm.chat_model}; its provider is reached on the first answer"
    if settings.llm.answerer == "openai":
        import httpx

        url = (settings.llm.base_url or "").rstrip("/") + "/models"
        try:
            httpx.get(url, timeout=_LLM_PROBE_TIMEOUT_S)  # any HTTP answer means the server is there
        except httpx.HTTPError as exc:
            raise AssistantError(
                f"cannot reach the language model server at {settings.llm.base_url} ({exc}); check QA_LLM_BASE_URL"
            ) from exc
        return f"OpenAI-compatible server at {settings.llm.base_url}"
    from assistant.models.model_files import model_status

    usable, detail = model_status(settings)
    if not usable:
        raise AssistantError(detail)
    return detail


def health_report(assistant: Assistant) -> dict[str, Any]:
    """``{"status": "ok"|"degraded", "checks": {"store", "state", "embedding_model", "language_model"}}``."""
    checks = {
        "store": _check(lambda: _store(assistant)),
        "state": _check(lambda: _state(assistant)),
        "embedding_model": _check(lambda: _embedder(assistant)),
        "language_model": _check(lambda: _language_model(assistant)),
    }
    degraded = any(check["status"] != "ok" for check in checks.values())
    return {"status": "degraded" if degraded else "ok", "checks": checks}
