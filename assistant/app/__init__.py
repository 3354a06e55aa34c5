"""The orchestration layer: the Assistant service, the `qa` CLI and the HTTP API, built on the core parts in
``assistant/`` and on ``ingest/``. Nothing below this package imports it (see [tool.importlinter] in pyproject.toml)."""
