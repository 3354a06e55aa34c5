"""Uploaded files into a collection: moved from the request's staging folder, ingested under the writer lock,
and undone when they do not ingest.

An upload that fails (unreadable, too large, refused by the loader) leaves nothing behind: a new file is
deleted, a new version of an earlier upload is put back as it was, so the folder always matches the catalog.
The collection's upload folder stays locked from the move to the undo, so the file the indexer reads is this
request's bytes and no other request's undo can restore over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.app.http.errors import ErrorCode
from assistant.app.http.openai_format import error_body
from assistant.app.service import Assistant
from assistant.app.uploads import Placed, Staging, folder_locked, safe_filename, upload_folder
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
            message = f"no file was stored: {reasons or 'the request held no file'}"
            body.update(error_body(422, message, code=ErrorCode.NOT_STORED))
        return body


def ingest_staged(assistant: Assistant, staging: Staging, progress: ProgressCallback | None = None) -> UploadOutcome:
    """Move a request's staged files into the collection's upload folder and ingest them together; the staging
    folder is removed afterwards, whatever happens."""
    try:
        folder = upload_folder(assistant.settings)
        folder.mkdir(parents=True, exist_ok=True)
        with folder_locked(folder):
            return _ingest_locked(assistant, staging, progress)
    finally:
        staging.discard()


def _ingest_locked(assistant: Assistant, staging: Staging, progress: ProgressCallback | None) -> UploadOutcome:
    results: list[FileResult | None] = []
    placed: list[tuple[int, Placed]] = []
    try:
        for staged in staging.files:
            if staged.path is None:  # refused while it arrived (too large): never written
                results.append(FileResult(safe_filename(staged.name), "failed", reason=staged.problem))
                continue
            try:
                earlier = [p for _, p in placed]
                placed.append(
                    (len(results), staging.place(assistant.settings, staged, earlier, assistant.parts.uploads))
                )
                results.append(None)
            except InputError as exc:  # no free name
                results.append(FileResult(safe_filename(staged.name), "failed", reason=str(exc)))
        report = assistant.ingest([entry.target for _, entry in placed], progress) if placed else None
    except BaseException:
        # Anything that stops the request (a full disk while a file is moved in, the ingest failing): the files
        # moved in so far are put back before the staging folder, which holds their earlier versions, goes.
        for _, entry in reversed(placed):
            entry.undo()
        raise
    by_path = {Path(result.source).resolve(): result for result in (report.results if report else [])}
    for index, entry in placed:
        result = by_path.get(entry.target.resolve()) or FileResult(str(entry.target), "failed", reason="not ingested")
        if result.status in STORED:
            entry.keep()
            if result.status != "unchanged":
                collection = assistant.settings.storage.collection
                assistant.parts.uploads.keep(collection, result.source, entry.name, entry.target)
        else:
            entry.undo()
        results[index] = result
    return UploadOutcome([result for result in results if result is not None])
