"""Uploaded files into a collection: saved, ingested under the writer lock, and undone when they do not ingest.

An upload that fails (unreadable, too large, refused by the loader) leaves nothing behind: a new file is
deleted, a new version of an earlier upload is put back as it was, so the folder always matches the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.app.api_openai import error_body
from assistant.app.service import Assistant
from assistant.app.uploads import SavedUpload, safe_filename, stage_upload
from assistant.errors import InputError
from ingest.indexer import FileResult, IngestReport, ProgressCallback

STORED = ("added", "replaced", "unchanged")


@dataclass(frozen=True)
class UploadOutcome:
    """Per-file results of one upload request and the HTTP status they add up to."""

    results: list[FileResult]

    @property
    def status(self) -> int:
        """201 every file stored, 422 none, 207 some (a multi-status answer: read ``results``)."""
        stored = sum(result.status in STORED for result in self.results)
        if stored and stored == len(self.results):
            return 201
        return 422 if stored == 0 else 207

    def body(self) -> dict[str, Any]:
        """The JSON answer: a summary line and one result per file."""
        summary = IngestReport(list(self.results)).summary()
        body: dict[str, Any] = {"summary": summary, "results": [vars(result) for result in self.results]}
        if self.status == 422:  # an error like any other, with the per-file results beside it
            reasons = "; ".join(result.reason or f"{result.source}: {result.status}" for result in self.results)
            body.update(
                error_body(422, f"no file was stored: {reasons or 'the request held no file'}", code="not_stored")
            )
        return body


def ingest_uploads(
    assistant: Assistant, files: Sequence[tuple[str, bytes]], progress: ProgressCallback | None = None
) -> UploadOutcome:
    """Save each (name, bytes) in the collection's upload folder and ingest them together."""
    results: list[FileResult | None] = []
    staged: list[tuple[int, SavedUpload]] = []
    for name, data in files:
        try:
            staged.append((len(results), stage_upload(assistant.settings, name, data)))
            results.append(None)
        except InputError as exc:  # too large, or no free name: never written
            results.append(FileResult(safe_filename(name), "failed", reason=str(exc)))
    try:
        report = assistant.ingest([saved.path for _, saved in staged], progress) if staged else None
    except BaseException:
        for _, saved in staged:
            saved.undo()
        raise
    by_path = {Path(result.source).resolve(): result for result in (report.results if report else [])}
    for index, saved in staged:
        result = by_path.get(saved.path.resolve()) or FileResult(str(saved.path), "failed", reason="not ingested")
        if result.status not in STORED:
            saved.undo()
        results[index] = result
    return UploadOutcome([result for result in results if result is not None])
