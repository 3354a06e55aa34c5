"""Incremental ingest into the vector store and the catalog: every file all-or-nothing, many files per
embedding batch, with loading and chunking of the next files overlapped with embedding."""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from assistant.catalog import Catalog, ChunkRecord, SourceRecord
from assistant.embedder import Embedder
from assistant.errors import AssistantError, IngestError
from assistant.settings import Settings
from assistant.store import EmbeddingUnit, VectorStore, chunk_of, embedding_units
from ingest.chunker import CHUNKER_VERSION, chunk_document
from ingest.loaders import LoadedDocument, is_supported, load_document

Status = Literal["added", "replaced", "unchanged", "skipped", "failed", "removed"]
# Files loaded and chunked ahead of the embedder; bounds the memory the look-ahead holds.
READ_AHEAD_FILES = 32


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
    """A progress tick. 'files': ``done`` of ``total`` files finished (``name`` the last one), ``chunks``
    stored so far; 'embed': ``done`` of ``total`` sentences of the batch being embedded (``name`` its
    first file), reported only for batches large enough to take a while."""

    stage: Literal["files", "embed"]
    done: int
    total: int
    name: str
    chunks: int = 0


ProgressCallback = Callable[[Progress], None]


@dataclass
class _Prepared:
    """A changed file, loaded and chunked, waiting for its vectors."""

    path: Path
    digest: str
    previous: SourceRecord | None
    document: LoadedDocument
    chunks: list[ChunkRecord]
    units: list[EmbeddingUnit]

    @property
    def source(self) -> str:
        return str(self.path)


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


def _failure(path: Path, exc: Exception) -> FileResult:
    if isinstance(exc, AssistantError):
        return FileResult(str(path), "failed", reason=str(exc))
    # A loader library's own error: reported for this file, the batch goes on.
    return FileResult(str(path), "failed", reason=str(IngestError(f"{path.name}: {type(exc).__name__}: {exc}")))


class Indexer:
    """Brings a collection up to date with files on disk."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        store: Callable[[], VectorStore],
        embedder: Callable[[], Embedder],
    ) -> None:
        """``store`` and ``embedder`` are built on first need: a re-ingest of unchanged files needs only the
        catalog, and loading the embedding model and Chroma would be most of its time."""
        self._settings = settings
        self._catalog = catalog
        self._get_store = store
        self._get_embedder = embedder

    @cached_property
    def _store(self) -> VectorStore:
        return self._get_store()

    @cached_property
    def _embedder(self) -> Embedder:
        return self._get_embedder()

    def ingest(self, paths: Iterable[str | Path], progress: ProgressCallback | None = None) -> IngestReport:
        """Ingest files and directories; unchanged files are skipped, changed ones replaced.

        A reader thread loads and chunks files ahead while this thread embeds and stores them, several
        files per embedding batch (a folder of small files would otherwise embed a few sentences at a time).
        """
        files, problems = discover(paths)
        report = IngestReport(results=list(problems))
        tick = _Ticker(len(files), progress)
        pending: list[_Prepared] = []
        for item in self._read_ahead(files):
            if isinstance(item, FileResult):
                report.results.append(item)
                tick.file(item)
                continue
            pending.append(item)
            if sum(len(prepared.units) for prepared in pending) >= self._settings.embed_batch_size:
                self._store_batch(pending, report, tick)
                pending = []
        if pending:
            self._store_batch(pending, report, tick)
        # Batching finishes files out of order; report them in the order they were found.
        position = {str(path): number for number, path in enumerate(files)}
        report.results[len(problems) :] = sorted(report.results[len(problems) :], key=lambda r: position[r.source])
        return report

    def _read_ahead(self, files: list[Path]) -> Iterator[_Prepared | FileResult]:
        """Each file prepared (or its result, when there is nothing to embed), in order, from a thread."""
        ready: queue.Queue[_Prepared | FileResult | None] = queue.Queue(maxsize=READ_AHEAD_FILES)
        stop = threading.Event()

        def read() -> None:
            try:
                for path in files:
                    if stop.is_set():
                        return
                    ready.put(self._prepare(path))
            finally:
                ready.put(None)

        reader = threading.Thread(target=read, daemon=True, name="ingest-reader")
        reader.start()
        try:
            while (item := ready.get()) is not None:
                yield item
        finally:
            stop.set()
            while reader.is_alive():  # let a reader blocked on a full queue see the stop
                try:
                    ready.get(timeout=0.1)
                except queue.Empty:
                    pass

    def _prepare(self, path: Path) -> _Prepared | FileResult:
        source = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            return FileResult(source, "failed", reason=f"{path}: cannot be read ({exc.strerror}); check permissions")
        # Chunking settings and version are part of the fingerprint: changing them re-chunks the file.
        digest = "{}:{}:{}:{}".format(
            hashlib.sha256(data).hexdigest(), CHUNKER_VERSION, self._settings.chunk_size, self._settings.chunk_overlap
        )
        previous = self._catalog.source(self._settings.collection, source)
        if previous is not None and previous.sha256 == digest:
            return FileResult(source, "unchanged", previous.chunk_count)
        try:
            document = load_document(path, data)
            chunks = chunk_document(document, self._settings.chunk_size, self._settings.chunk_overlap)
        except Exception as exc:
            return _failure(path, exc)
        return _Prepared(path, digest, previous, document, chunks, embedding_units(chunks))

    def _store_batch(self, batch: list[_Prepared], report: IngestReport, tick: _Ticker) -> None:
        """Embed the sentences of several files at once, then make each file visible in its own commit."""
        # Sentences repeated in the overlap of two chunks (or in two files) are embedded once.
        texts = list(dict.fromkeys(unit.text for prepared in batch for unit in prepared.units))
        try:
            vectors = dict(zip(texts, self._embed(texts, batch[0].path.name, tick)))
            units = [unit for prepared in batch for unit in prepared.units]
            # Vectors go in first; they stay invisible until the catalog commit lists their chunks.
            self._store.upsert(
                [unit.vector_id for unit in units],
                [vectors[unit.text] for unit in units],
                [unit.text for unit in units],
                [prepared.source for prepared in batch for _ in prepared.units],
            )
        except Exception as exc:
            for prepared in batch:
                report.results.append(_failure(prepared.path, exc))
                tick.file(report.results[-1])
            return
        for prepared in batch:
            report.results.append(self._commit(prepared))
            tick.file(report.results[-1])

    def _commit(self, prepared: _Prepared) -> FileResult:
        source = prepared.source
        new_ids = [unit.vector_id for unit in prepared.units]
        try:
            # Read after the upsert: also finds the orphans an interrupted ingest left behind.
            old_ids = set(self._store.ids_for_source(source)) - set(new_ids)
            try:
                self._catalog.replace_source(
                    self._settings.collection,
                    source,
                    prepared.digest,
                    prepared.document.text,
                    prepared.document.page_starts,
                    prepared.chunks,
                )
            except BaseException:
                # Keep the vectors of the chunks the catalog still lists (the old version's).
                kept = set(self._catalog.chunk_ids(self._settings.collection, source))
                self._store.delete([vector_id for vector_id in new_ids if chunk_of(vector_id) not in kept])
                raise
            self._store.delete(sorted(old_ids))
        except Exception as exc:
            return _failure(prepared.path, exc)
        return FileResult(source, "replaced" if prepared.previous else "added", len(prepared.chunks))

    def _embed(self, texts: list[str], name: str, tick: _Ticker) -> list[list[float]]:
        vectors: list[list[float]] = []
        size = self._settings.embed_batch_size
        for start in range(0, len(texts), size):
            tick.embedding(start, len(texts), name)
            vectors.extend(self._embedder.embed_batch(texts[start : start + size]))
        tick.embedding(len(texts), len(texts), name)
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


class _Ticker:
    """Turns the ingest's events into Progress ticks for the caller's callback (if any)."""

    def __init__(self, total: int, progress: ProgressCallback | None) -> None:
        self._total = total
        self._progress = progress
        self._done = 0
        self._chunks = 0
        if progress:
            progress(Progress("files", 0, total, ""))

    def file(self, result: FileResult) -> None:
        self._done += 1
        self._chunks += result.chunks if result.status in ("added", "replaced") else 0
        if self._progress:
            self._progress(Progress("files", self._done, self._total, Path(result.source).name, self._chunks))

    def embedding(self, done: int, total: int, name: str) -> None:
        if self._progress and total > 0:
            self._progress(Progress("embed", done, total, name, self._chunks))
