"""Incremental, per-file all-or-nothing ingest into the vector store and the catalog."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assistant.catalog import Catalog
from assistant.embedder import Embedder
from assistant.errors import AssistantError, IngestError
from assistant.settings import Settings
from assistant.store import VectorStore, embedding_units
from ingest.chunker import CHUNKER_VERSION, chunk_document
from ingest.loaders import is_supported, load_document

Status = Literal["added", "replaced", "unchanged", "skipped", "failed", "removed"]


@dataclass(frozen=True)
class FileResult:
    """What happened to one file."""

    source: str
    status: Status
    chunks: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    """Per-file results of one ingest call."""

    results: list[FileResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        """How many files ended with ``status``."""
        return sum(result.status == status for result in self.results)

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return self.count("failed") == 0

    def summary(self) -> str:
        """One line such as '3 added, 1 unchanged, 1 skipped'."""
        order: list[Status] = ["added", "replaced", "unchanged", "removed", "skipped", "failed"]
        parts = [f"{self.count(status)} {status}" for status in order if self.count(status)]
        return ", ".join(parts) or "no files"


@dataclass(frozen=True)
class Progress:
    """A progress tick: ``stage`` is 'files' (one per file) or 'embed' (sentences of the current file)."""

    stage: Literal["files", "embed"]
    done: int
    total: int
    name: str


ProgressCallback = Callable[[Progress], None]


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileResult]]:
    """Expand paths (directories recursively, hidden entries skipped) into files, plus problems found."""
    files: list[Path] = []
    problems: list[FileResult] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in relative.parts):
                    files.append(child.resolve())
        elif path.is_file():
            files.append(path.resolve())
        else:
            problems.append(FileResult(str(path), "failed", reason=f"{path}: no such file or directory; check the path"))
    unique = list(dict.fromkeys(files))
    supported = [path for path in unique if is_supported(path)]
    for path in unique:
        if not is_supported(path):
            problems.append(FileResult(str(path), "skipped", reason=f"{path.name}: unsupported file type {path.suffix or '(none)'!r}; convert it to txt, md, html, pdf or docx"))
    return supported, problems


class Indexer:
    """Brings a collection up to date with files on disk, one file at a time."""

    def __init__(self, settings: Settings, catalog: Catalog, store: VectorStore, embedder: Embedder) -> None:
        self._settings = settings
        self._catalog = catalog
        self._store = store
        self._embedder = embedder

    def ingest(self, paths: Iterable[str | Path], progress: ProgressCallback | None = None) -> IngestReport:
        """Ingest files and directories; unchanged files are skipped, changed ones replaced."""
        files, problems = discover(paths)
        report = IngestReport(results=list(problems))
        for done, path in enumerate(files):
            if progress:
                progress(Progress("files", done, len(files), path.name))
            report.results.append(self._ingest_file(path, progress))
        if progress:
            progress(Progress("files", len(files), len(files), ""))
        return report

    def _ingest_file(self, path: Path, progress: ProgressCallback | None) -> FileResult:
        source = str(path)
        collection = self._settings.collection
        try:
            data = path.read_bytes()
        except OSError as exc:
            return FileResult(source, "failed", reason=f"{path}: cannot be read ({exc.strerror}); check permissions")
        # Chunking settings and version are part of the fingerprint: changing them re-chunks the file.
        digest = "{}:{}:{}:{}".format(
            hashlib.sha256(data).hexdigest(), CHUNKER_VERSION, self._settings.chunk_size, self._settings.chunk_overlap
        )
        previous = self._catalog.source(collection, source)
        if previous is not None and previous.sha256 == digest:
            return FileResult(source, "unchanged", previous.chunk_count)
        try:
            document = load_document(path, data)
            chunks = chunk_document(document, self._settings.chunk_size, self._settings.chunk_overlap)
            units = embedding_units(chunks)
            # Sentences repeated in the overlap of two chunks are embedded once.
            texts = list(dict.fromkeys(unit.text for unit in units))
            vectors = dict(zip(texts, self._embed(texts, path.name, progress)))
            old_ids = set(self._store.ids_for_source(source))
            new_ids = [unit.vector_id for unit in units]
            # Vectors go in first; they stay invisible until the catalog commit below lists their chunks.
            self._store.upsert(
                new_ids,
                [vectors[unit.text] for unit in units],
                [unit.text for unit in units],
                [source] * len(units),
            )
            try:
                self._catalog.replace_source(
                    collection,
                    source,
                    digest,
                    document.text,
                    document.page_starts,
                    chunks,
                )
            except BaseException:
                self._store.delete([vector_id for vector_id in new_ids if vector_id not in old_ids])
                raise
            self._store.delete(sorted(old_ids - set(new_ids)))
        except AssistantError as exc:
            return FileResult(source, "failed", reason=str(exc))
        except Exception as exc:  # a loader library's own error: report it for this file, keep the batch going
            return FileResult(source, "failed", reason=str(IngestError(f"{path.name}: {type(exc).__name__}: {exc}")))
        return FileResult(source, "replaced" if previous else "added", len(chunks))

    def _embed(self, texts: list[str], name: str, progress: ProgressCallback | None) -> list[list[float]]:
        vectors: list[list[float]] = []
        size = self._settings.embed_batch_size
        for start in range(0, len(texts), size):
            if progress:
                progress(Progress("embed", start, len(texts), name))
            vectors.extend(self._embedder.embed_batch(texts[start : start + size]))
        if progress:
            progress(Progress("embed", len(texts), len(texts), name))
        return vectors

    def remove(self, path: str | Path) -> FileResult:
        """Delete one file's chunks from the collection (the file itself is not touched)."""
        source = str(Path(path).expanduser().resolve())
        collection = self._settings.collection
        if self._catalog.source(collection, source) is None:
            known = [record.source for record in self._catalog.sources(collection)]
            matches = [s for s in known if s.endswith("/" + str(path).removeprefix("./")) or s == str(path)]
            if len(matches) != 1:
                hint = "several match; give the full path" if matches else "see `qa sources list`"
                raise IngestError(f"{path}: not a source of collection {collection!r}; {hint}")
            source = matches[0]
        ids = self._catalog.remove_source(collection, source)
        self._store.delete(sorted(set(ids) | set(self._store.ids_for_source(source))))
        return FileResult(source, "removed", len(ids))
