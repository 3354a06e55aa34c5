"""GET /healthz: the store, the embedding model and the language model, each checked (health.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header

from assistant.app.http.access import key_ok
from assistant.app.http.health import health_report
from assistant.app.http.service_state import ServiceDep

router = APIRouter()


@router.get("/healthz")
def healthz(
    service: ServiceDep, authorization: str | None = Header(default=None, include_in_schema=False)
) -> dict[str, Any]:
    """``ok`` or ``degraded``, with a check for the store, the embedding model and the language model.
    When API keys are set, the details (which name folders and servers) need a key."""
    report = health_report(service.default)
    if not key_ok(service.settings, authorization):
        report["checks"] = {name: {"status": check["status"]} for name, check in report["checks"].items()}
    return report
