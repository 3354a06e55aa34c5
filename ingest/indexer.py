"""Incremental ingest into the vector store and the catalog: every file all-or-nothing, many files per
embedding batch, with loading and chunking of the next files overlapped with embedding."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from assistant.answering.evidence import evidence_pieces, looks_like_instruction
from assistant.errors import AssistantError, DiskFullError, IngestError, StoreError, no_room
from assistant.faults import checkpoint
from assistant.index.catalog import CatalogStore
from assistant.index.records import SourceRecord
from assistant.index.store import EmbeddingUnit, VectorStore, chroma_folder, chunk_of, embedding_units
from assistant.models.embedder import Embedder
from assistant.settings import Settings
from assistant.text import sentence_spans
from assistant.types import ChunkRecord
from ingest.chunker import CHUNKER_VERSION, iter_chunks, text_windows
from ingest.loaders import Limits, LoadedDocument, is_supported, load_document, read_limited, supported_suffixes
from ingest.room import check_room, needed_bytes, store_size

Status = Literal["added", "replaced", "unchanged", "skipped", "failed", "removed"]
# Files loaded and chunked ahead of the embedder; bounds the memory the look-ahead holds.
READ_AHEAD_FILES = 32
# A file with more chunks than this keeps only its text and makes its chunks again when they are needed.
KEPT_CHUNKS = 20_000
# The most characters embedded for a chunk of a file embedded a chunk at a time (see _opening).
OPENING_CHARS = 300


@dataclass(frozen=True)
class FileResult:
    """What happened to one file."""

    source: str
    status: Status
    chunks: int = 0
    reason: str = ""
    warning: str = ""  # for a stored file: something its reader should know (text that reads like instructions)


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
    first file), reported only for batches large enough to take a while; 'wait': another process is
    writing to the data folder (``name`` says which), this one waits for it."""

    stage: Literal["files", "embed", "wait"]
    done: int
    total: int
    name: str
    chunks: int = 0
    result: FileResult | None = None  # 'files': the file just finished (what a caller stopped midway can report)


ProgressCallback = Callable[[Progress], None]


@dataclass(eq=False)  # each file is itself: kept in sets by identity
class _Prepared:
    """A changed file, loaded and chunked, waiting for its vectors. Its chunks are kept as offsets and made
    again when needed (a table of a million rows would otherwise hold a million chunk records); its sentences
    are embedded and written a slice at a time, and its catalog commit, after the last slice, makes it
    searchable all at once."""

    path: Path
    digest: str
    previous: SourceRecord | None
    document: LoadedDocument
    chunk_size: int
    chunk_overlap: int
    kept: list[ChunkRecord] | None  # the chunks, for a file with at most KEPT_CHUNKS
    units: int  # vectors to embed: one per sentence, or per chunk (whole_chunks)
    whole_chunks: bool = False  # more sentences than max_sentence_vectors: one vector per chunk, under its id
    stored: int = 0  # sentences written so far
    failed: bool = False  # failed or committed: none of its sentences are taken any more

    @property
    def source(self) -> str:
        return str(self.path)

    def chunks(self) -> Iterator[ChunkRecord]:
        """The file's chunks, kept or made again from its text (the chunker is deterministic)."""
        if self.kept is not None:
            return iter(self.kept)
        return iter_chunks(self.document, self.chunk_size, self.chunk_overlap)

    def embedding_units(self) -> Iterator[EmbeddingUnit]:
        for chunk in self.chunks():
            if self.whole_chunks:  # stored under the chunk's own id, which retrieval and verify read as such
                yield EmbeddingUnit(chunk.chunk_id, chunk.chunk_id, _opening(chunk.text))
            else:
                yield from embedding_units([chunk])

    def chunk_ids(self) -> Iterator[str]:
        return (chunk.chunk_id for chunk in self.chunks())


def _link_problem(link: Path) -> FileResult | None:
    """Why a symbolic link is left out: a loop or a missing target (failed), or a folder (skipped: links to
    folders are not followed, as one may lead back up); None for a link to a file, which is read."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # Python 3.11 raises RuntimeError for a loop, later ones ELOOP
        if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
            return FileResult(str(link), "failed", reason=f"{link}: a symbolic link loop; fix or remove the link")
        return FileResult(
            str(link),
            "failed",
            reason=f"{link}: a link to {os.readlink(link)}, which does not exist; fix or remove the link",
        )
    if not target.is_dir():
        return None
    if link.parent.resolve().is_relative_to(target):
        return FileResult(
            str(link),
            "skipped",
            reason=f"{link}: links back to {target}, a folder holding it (a loop); not followed, remove the link",
        )
    return FileResult(
        str(link),
        "skipped",
        reason=f"{link}: a link to the folder {target}, not followed; ingest {target} itself to include it",
    )


def _outside_link(link: Path, folder: Path) -> FileResult | None:
    """A link under ``folder`` to a file outside it: left out, or its contents would become searchable under a
    path nobody put in the folder (and a re-sync could never remove it)."""
    target = link.resolve()
    if target.is_relative_to(folder):
        return None
    return FileResult(
        str(link),
        "skipped",
        reason=(
            f"{link}: links to {target}, outside the folder {folder}; not ingested. Copy the file into the "
            "folder, ingest it by its own path, or set QA_FOLLOW_OUTSIDE_LINKS=true to follow such links"
        ),
    )


@dataclass
class Discovery:
    """What a set of paths expands to: the files to ingest, problems found, and links to files outside their
    folder that were left out (by their target: a re-sync removes such a target when an earlier ingest
    followed the link)."""

    files: list[Path]
    problems: list[FileResult]
    outside_targets: list[Path] = field(default_factory=list)


def discover(paths: Iterable[str | Path], *, follow_outside_links: bool = False) -> Discovery:
    """Expand paths (directories recursively, hidden entries skipped) into files, plus problems found. A link
    in a folder that resolves outside it is skipped unless ``follow_outside_links``."""
    files: list[Path] = []
    problems: list[FileResult] = []
    outside: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            folder = path.resolve()
            for child in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                if child.is_symlink() and (problem := _link_problem(child)):
                    problems.append(problem)
                elif child.is_file():
                    if not follow_outside_links and (problem := _outside_link(child, folder)):
                        problems.append(problem)
                        outside.append(child.resolve())
                    else:
                        files.append(child.resolve())
        elif path.is_file():
            files.append(path.resolve())
        elif path.is_symlink() and (problem := _link_problem(path)):
            problems.append(problem)
        else:
            problems.append(
                FileResult(str(path), "failed", reason=f"{path}: no such file or directory; check the path")
            )
    unique = list(dict.fromkeys(files))
    problems += [_unreadable_name(path) for path in unique if not _utf8(path)]
    unique = [path for path in unique if _utf8(path)]
    supported = [path for path in unique if is_supported(path)]
    problems += [
        FileResult(
            str(path),
            "skipped",
            reason=(
                f"{path.name}: unsupported file type {path.suffix or '(none)'!r}; convert it to one of "
                f"{', '.join(supported_suffixes())}"
            ),
        )
        for path in unique
        if not is_supported(path)
    ]
    # A target also reached another way (inside a folder given, or named itself) is ingested as usual.
    return Discovery(supported, problems, [target for target in dict.fromkeys(outside) if target not in unique])


def _utf8(path: Path) -> bool:
    """Whether the path's name can be stored: the catalog keeps names as UTF-8, and a name in another encoding
    (``caf\\xe9.txt`` from an old Latin-1 system) reaches Python as text it cannot encode."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unreadable_name(path: Path) -> FileResult:
    shown = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return FileResult(
        shown,
        "failed",
        reason=(
            f"{shown}: the file name is not valid UTF-8; rename the file (`convmv -f latin1 -t utf8 -r FOLDER` "
            "renames a whole folder) and ingest again"
        ),
    )


def _failure(path: Path, exc: Exception) -> FileResult:
    if no_room(exc):  # one file's line each, naming it, however the disk said no
        detail = exc.detail if isinstance(exc, DiskFullError) and exc.detail else f"it refuses writes: {exc}"
        return FileResult(
            str(path),
            "failed",
            reason=(
                f"{path.name}: not stored, the disk holding the data folder is full ({detail}); free some space "
                "and ingest again (what was stored before is intact)"
            ),
        )
    if isinstance(exc, AssistantError):
        return FileResult(str(path), "failed", reason=str(exc))
    # A loader library's own error: reported for this file, the batch goes on.
    return FileResult(str(path), "failed", reason=str(IngestError(f"{path.name}: {type(exc).__name__}: {exc}")))


class Indexer:
    """Brings a collection up to date with files on disk."""

    def __init__(
        self,
        settings: Settings,
        catalog: CatalogStore,
        store: Callable[[], VectorStore],
        embedder: Callable[[], Embedder],
    ) -> None:
        """``store`` and ``embedder`` are built on first need: a re-ingest of unchanged files needs only the
        catalog, and loading the embedding model and Chroma would be most of its time."""
        self._settings = settings
        self._catalog = catalog
        self._get_store = store
        self._get_embedder = embedder
        self._store_size: int | None = None  # the embedded store's size on disk, measured once an ingest

    @cached_property
    def _store(self) -> VectorStore:
        return self._get_store()

    @cached_property
    def _embedder(self) -> Embedder:
        return self._get_embedder()

    def ingest(
        self, paths: Iterable[str | Path], progress: ProgressCallback | None = None, *, remove_missing: bool = False
    ) -> IngestReport:
        """Ingest files and directories; unchanged files are skipped, changed ones replaced. With
        ``remove_missing``, each folder given is kept in sync: the collection's files under it that are no longer
        there are removed (LangChain's indexing API calls this "full" cleanup); sources elsewhere are untouched.

        A reader thread loads and chunks files ahead while this thread embeds and stores them, several
        files per embedding batch (a folder of small files would otherwise embed a few sentences at a time).
        """
        paths = list(paths)
        found = discover(paths, follow_outside_links=self._settings.ingest.follow_outside_links)
        with self._writing(progress):
            report = self._ingest(found.files, found.problems, progress)
            if remove_missing:
                report.results += [self._remove(source) for source in self._missing(paths, found.files)]
                report.results += [
                    self._remove(source, reason="reached through a link to outside the folder")
                    for source in self._followed_before(found.outside_targets)
                ]
            return report

    def _followed_before(self, targets: list[Path]) -> list[str]:
        """Sources stored from links this ingest left out as pointing outside their folder: an earlier ingest
        (or one with QA_FOLLOW_OUTSIDE_LINKS) followed them, and a sync of the folder takes them out again."""
        collection = self._settings.storage.collection
        return [str(target) for target in targets if self._catalog.records.source(collection, str(target)) is not None]

    def _missing(self, paths: list[str | Path], found: list[Path]) -> list[str]:
        """Sources under the folders in ``paths`` that this ingest did not find and that are gone from disk."""
        folders = [Path(raw).expanduser().resolve() for raw in paths if Path(raw).expanduser().is_dir()]
        seen = {str(path) for path in found}
        return [
            record.source
            for record in self._catalog.records.sources(self._settings.storage.collection)
            if record.source not in seen
            and any(Path(record.source).is_relative_to(folder) for folder in folders)
            and not Path(record.source).exists()
        ]

    def _writing(self, progress: ProgressCallback | None) -> AbstractContextManager[None]:
        """The data folder's writer lock (see assistant/index/locking.py), telling ``progress`` when it waits."""

        def say(message: str) -> None:
            if progress:
                progress(Progress("wait", 0, 0, message))

        return self._catalog.writer_lock(self._settings.ingest.writer_timeout_s, say)

    def _ingest(self, files: list[Path], problems: list[FileResult], progress: ProgressCallback | None) -> IngestReport:
        report = IngestReport(results=list(problems))
        tick = _Ticker(len(files), progress)
        full: Exception | None = None  # the disk refused a write, or has no room: nothing more is written
        try:
            self._delete_pending()
        except Exception as exc:
            if not no_room(exc):
                raise
            full = exc
        self._store_size = None
        pending = _Slice()
        try:
            for read in self._read_ahead(files):
                item = _failure(read.path, full) if isinstance(read, _Prepared) and full is not None else read
                if isinstance(item, FileResult):
                    report.results.append(item)
                    tick.file(item)
                    continue
                pending, full = self._add(item, pending, report, tick)
            if full is None:
                full = self._flush(pending, report, tick)
        finally:
            # Vectors of files that never reached their commit (an interrupt, a failed batch) go now; a kill
            # leaves them to the next writer, and so does a full disk: Chroma's embedded store has been seen
            # to hang on the next call after a write it could not finish. They are noted as pending deletion,
            # so a cleanup that fails here is only put off.
            if full is None:
                with contextlib.suppress(AssistantError):
                    self._delete_pending()
        # Batching finishes files out of order; report them in the order they were found.
        position = {str(path): number for number, path in enumerate(files)}
        report.results[len(problems) :] = sorted(report.results[len(problems) :], key=lambda r: position[r.source])
        return report

    def _add(
        self, prepared: _Prepared, pending: _Slice, report: IngestReport, tick: _Ticker
    ) -> tuple[_Slice, Exception | None]:
        """Add a file's sentences to the slices being embedded, writing each slice as it fills; returns the
        slice still open and the error of a disk that has no room (after which nothing more is written)."""
        try:  # the whole file first: one that cannot fit is refused before any of its vectors is written
            self._check_room(prepared.units, 2 * len(prepared.document.text))
        except DiskFullError as exc:
            self._fail([prepared], exc, report, tick)
            return pending, exc
        for unit in prepared.embedding_units():
            if prepared.failed:
                return pending, None
            pending.units.append((prepared, unit))
            if len(pending.units) >= self._settings.ingest.embed_batch_size:
                full = self._flush(pending, report, tick)
                pending = _Slice()
                if full is not None:
                    return pending, full
        if not prepared.failed:
            pending.finishing.append(prepared)
        return pending, None

    def _flush(self, pending: _Slice, report: IngestReport, tick: _Ticker) -> Exception | None:
        """Embed and write one slice's sentences (a repeated one is embedded once), then commit the files whose
        last sentences it held, each in its own catalog transaction. Returns the error of a write the disk
        refused (or had no room for), after which nothing more should be written."""
        files = list(dict.fromkeys([*(prepared for prepared, _ in pending.units), *pending.finishing]))
        if not files:
            return None
        try:
            units = [(prepared, unit) for prepared, unit in pending.units if not prepared.failed]
            if units:
                text_chars = sum(len(unit.text) for _, unit in units)
                text_chars += sum(len(prepared.document.text) for prepared in pending.finishing)
                self._check_room(len(units), text_chars)
                texts = list(dict.fromkeys(unit.text for _, unit in units))
                vectors = dict(zip(texts, self._embed(texts), strict=True))
                checkpoint("embed")
                ids = [unit.vector_id for _, unit in units]
                # Noted first as pending deletion unless their chunks get listed: whatever stops this ingest
                # before a file's commit, its vectors are removed by the next writer (see _delete_pending).
                self._catalog.journal.note(self._settings.storage.collection, ids)
                # Vectors go in first; they stay invisible until the catalog commit lists their chunks.
                self._store.upsert(ids, [vectors[unit.text] for _, unit in units], [p.source for p, _ in units])
                del vectors
                for prepared, _ in units:
                    prepared.stored += 1
        except Exception as exc:  # the slice's files fail and the ingest goes on, unless the store is down
            if isinstance(exc, StoreError) and not no_room(exc):
                raise  # the store itself is down or damaged: no file could be stored, the whole ingest fails
            self._fail(files, exc, report, tick)
            return exc if no_room(exc) else None
        for prepared in files:
            if prepared not in pending.finishing and not prepared.failed:
                tick.embedding(prepared.stored, prepared.units, prepared.path.name)
        for prepared in pending.finishing:
            if prepared.failed:
                continue
            result, error = self._commit(prepared)
            report.results.append(result)
            tick.file(result)
            if error is not None and no_room(error):
                prepared.failed = True  # its own result is in; every other file of the slice fails with it
                self._fail(files, error, report, tick)
                return error
            prepared.failed = True  # done: no more of its sentences are taken
        return None

    def _fail(self, files: list[_Prepared], exc: Exception, report: IngestReport, tick: _Ticker) -> None:
        for prepared in files:
            if not prepared.failed:
                prepared.failed = True
                report.results.append(_failure(prepared.path, exc))
                tick.file(report.results[-1])

    def _check_room(self, vectors: int, text_chars: int) -> None:
        """DiskFullError when the data folder's disk lacks room to store this much."""
        if self._store_size is None:  # measured once an ingest: it only sets the reserve
            self._store_size = 0 if self._settings.storage.chroma_url else store_size(chroma_folder(self._settings))
        need = needed_bytes(
            vectors, self._embedder_dimension, text_chars, self._store_size, self._settings.storage.chroma_url
        )
        check_room(self._settings.storage.data_dir, need)

    @cached_property
    def _embedder_dimension(self) -> int:
        return int(getattr(self._embedder, "dimension", 384))

    def _read_ahead(self, files: list[Path]) -> Generator[_Prepared | FileResult, None, None]:
        """Each file prepared (or its result, when there is nothing to embed), in order, from a thread."""
        ready: queue.Queue[_Prepared | FileResult | Exception | None] = queue.Queue(maxsize=READ_AHEAD_FILES)
        stop = threading.Event()

        def hand_over(item: _Prepared | FileResult | Exception | None) -> None:
            while not stop.is_set():
                try:
                    ready.put(item, timeout=0.1)
                    return
                except queue.Full:
                    pass

        def read() -> None:
            try:
                for path in files:
                    if stop.is_set():
                        return
                    hand_over(self._prepare(path))
            except Exception as exc:  # noqa: BLE001 - raised again in the ingest's own thread, below
                hand_over(exc)
            finally:
                hand_over(None)

        reader = threading.Thread(target=read, daemon=True, name="ingest-reader")
        reader.start()
        try:
            while (item := ready.get()) is not None:
                if isinstance(item, Exception):  # the reader died: the ingest fails, it never reports "no files"
                    raise item
                yield item
        finally:
            # Not joined: a reader deep in one slow file (a large PDF) must not hold up Ctrl-C. It only reads,
            # it stops at its next hand-over, and the catalog it asks is guarded by a lock.
            stop.set()

    def _prepare(self, path: Path) -> _Prepared | FileResult:
        source = str(path)
        limits = Limits(self._settings.ingest.max_file_mb, self._settings.ingest.max_text_chars)
        try:
            data = read_limited(path, limits)
        except IngestError as exc:  # over the size cap: refused before it is read
            return FileResult(source, "failed", reason=str(exc))
        except OSError as exc:
            return FileResult(source, "failed", reason=f"{path}: cannot be read ({exc.strerror}); check permissions")
        checkpoint("load")
        # Chunking settings and version are part of the fingerprint: changing them re-chunks the file.
        digest = (
            f"{hashlib.sha256(data).hexdigest()}:{CHUNKER_VERSION}:"
            f"{self._settings.ingest.chunk_size}:{self._settings.ingest.chunk_overlap}"
        )
        previous = self._catalog.records.source(self._settings.storage.collection, source)
        if previous is not None and previous.sha256 == digest:
            return FileResult(source, "unchanged", previous.chunk_count)
        size, overlap = self._settings.ingest.chunk_size, self._settings.ingest.chunk_overlap
        try:
            document = load_document(path, data, limits)
            del data  # only the text is kept
            kept: list[ChunkRecord] | None = []
            units = chunks = 0
            for chunk in iter_chunks(document, size, overlap):
                units += len(embedding_units([chunk]))
                chunks += 1
                if kept is not None:
                    kept.append(chunk)
                    if len(kept) > KEPT_CHUNKS:
                        kept = None
        except Exception as exc:  # noqa: BLE001 - any fault in one file fails that file, not the ingest
            return _failure(path, exc)
        if units > self._settings.ingest.max_sentence_vectors:
            note = f"{units:,} sentences, over max_sentence_vectors: embedded a chunk at a time ({chunks:,} vectors)"
            document = replace(document, notes=(*document.notes, note))
            return _Prepared(path, digest, previous, document, size, overlap, kept, chunks, whole_chunks=True)
        return _Prepared(path, digest, previous, document, size, overlap, kept, units)

    def _commit(self, prepared: _Prepared) -> tuple[FileResult, Exception | None]:
        """Make a file searchable: one catalog transaction lists its chunks and notes its old version's
        vectors for deletion, which follows. Returns its result and, when it failed, the error."""
        source = prepared.source
        try:
            # Read after the upsert: also finds the orphans an interrupted ingest left behind.
            new_chunks = set(prepared.chunk_ids())
            old_ids = sorted(v for v in self._store.ids_for_source(source) if chunk_of(v) not in new_chunks)
            del new_chunks
            # A failed commit needs no cleanup here: the new vectors were noted pending before the upsert, and
            # _delete_pending removes those the catalog does not list (keeping the old version's).
            count = self._catalog.replace_source(
                self._settings.storage.collection,
                source,
                prepared.digest,
                prepared.document.text,
                prepared.document.page_starts,
                prepared.chunks(),
                stale_vectors=old_ids,
            )
            checkpoint("delete-old")
            self._store.delete(old_ids)
            self._catalog.journal.clear(self._settings.storage.collection, old_ids)
        except Exception as exc:  # noqa: BLE001 - this file fails; the ingest goes on
            return _failure(prepared.path, exc), exc
        result = FileResult(
            source,
            "replaced" if prepared.previous else "added",
            count,
            warning="; ".join(filter(None, [*prepared.document.notes, _instructions_warning(prepared)])),
        )
        return result, None

    def _embed(self, texts: list[str]) -> list[Any]:
        """Vectors of ``texts`` as float32 arrays (a quarter of the memory of Python lists of floats)."""
        import numpy as np

        vectors: list[Any] = []
        size = self._settings.ingest.embed_batch_size
        for start in range(0, len(texts), size):
            vectors.extend(np.asarray(self._embedder.embed_batch(texts[start : start + size]), dtype=np.float32))
        return vectors

    def _delete_pending(self) -> None:
        """Delete the vectors noted as pending whose chunks no commit lists: a replaced or removed version's,
        and those of files whose commit never came (a crash, an interrupt, a failed batch). Vectors a newer
        version uses again stay."""
        collection = self._settings.storage.collection
        pending = self._catalog.journal.pending(collection)
        if not pending:
            return
        chunk_ids = sorted({chunk_of(vector_id) for vector_id in pending})
        listed: set[str] = set()
        for start in range(0, len(chunk_ids), 500):  # SQLite caps the variables of one statement
            listed.update(self._catalog.records.chunks(collection, chunk_ids[start : start + 500]))
        self._store.delete([vector_id for vector_id in pending if chunk_of(vector_id) not in listed])
        self._catalog.journal.clear(collection, pending)

    def remove(self, path: str | Path) -> FileResult:
        """Delete one file's chunks from the collection (the file itself is not touched)."""
        with self._writing(None):
            return self._remove(path)

    def _remove(self, path: str | Path, reason: str = "") -> FileResult:
        self._delete_pending()
        source = str(Path(path).expanduser().resolve())
        collection = self._settings.storage.collection
        if self._catalog.records.source(collection, source) is None:
            known = [record.source for record in self._catalog.records.sources(collection)]
            source = find_source(path, known, collection)
        vectors = sorted(self._store.ids_for_source(source))
        ids = self._catalog.remove_source(collection, source, stale_vectors=vectors)
        self._store.delete(sorted(set(ids) | set(vectors)))
        self._catalog.journal.clear(collection, vectors)
        return FileResult(source, "removed", len(ids), reason=reason)


def find_source(path: str | Path, known: Sequence[str], collection: str) -> str:
    """The source of ``known`` that ``path`` names: its full path, or a file name (or the end of a path) as `qa
    search` and `qa sources list` show it. IngestError when none does, or when several do (they are listed)."""
    resolved = str(Path(path).expanduser().resolve())
    if resolved in known:
        return resolved
    tail = "/" + str(path).removeprefix("./")
    matches = [source for source in known if source == str(path) or source.endswith(tail)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = "; ".join(sorted(matches))
        raise IngestError(f"{path}: {len(matches)} sources of {collection!r} match ({listed}); give the full path")
    raise IngestError(f"{path}: not a source of collection {collection!r}; see `qa sources list`")


def _opening(text: str) -> str:
    """The first sentences of a chunk, up to OPENING_CHARS: what its one vector is made of when a file is
    embedded a chunk at a time. A whole chunk costs the model about fifteen times a sentence (attention grows
    with the square of its length); the keyword index still holds every word of it."""
    end = 0
    for _, sentence_end in sentence_spans(text):
        if end and sentence_end > OPENING_CHARS:
            break
        end = sentence_end
    return text[: min(end or len(text), OPENING_CHARS)]


@dataclass
class _Slice:
    """Sentences waiting to be embedded and written together (up to embed_batch_size, from one file or many),
    and the files whose last sentences are among them: they are committed once the slice is written."""

    units: list[tuple[_Prepared, EmbeddingUnit]] = field(default_factory=list)
    finishing: list[_Prepared] = field(default_factory=list)


def _instructions_warning(prepared: _Prepared) -> str:
    """Say so when a document holds text addressed to an AI model (a prompt injection, or a page about one):
    it stays searchable as text, and the answerers never show it to a model as evidence. Counted in the
    pieces the evidence judges (a merged sentence line by line), so the count is what is withheld."""
    text = prepared.document.text
    flagged = sum(
        looks_like_instruction(piece)
        for begin, stop in text_windows(prepared.document)  # a window at a time: a long table's sentences are many
        for start, end in sentence_spans(text[begin:stop], begin)
        for _, _, piece in evidence_pieces(start, text[start:end])
    )
    if not flagged:
        return ""
    return (
        f"{flagged} sentence{'s' if flagged > 1 else ''} read like instructions (to an AI model, or on what an "
        "answer must say or show); kept as text, never given to the model as evidence"
    )


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
            self._progress(Progress("files", self._done, self._total, Path(result.source).name, self._chunks, result))

    def embedding(self, done: int, total: int, name: str) -> None:
        if self._progress and total > 0:
            self._progress(Progress("embed", done, total, name, self._chunks))
