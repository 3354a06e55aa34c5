"""Dense vectors in Chroma: the embedded PersistentClient by default, a Chroma server when configured."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from assistant.errors import AssistantError, DamagedIndexError, DiskFullError, StoreError, no_room
from assistant.faults import checkpoint
from assistant.index.folder import ensure_data_dir
from assistant.models.embedder import Embedder
from assistant.settings import Settings
from assistant.text import sentence_spans
from assistant.types import ChunkRecord


@dataclass(frozen=True)
class EmbeddingUnit:
    """One sentence of a chunk, embedded on its own: the vector ``vector_id`` belongs to chunk ``chunk_id``."""

    vector_id: str
    chunk_id: str
    text: str


@dataclass(frozen=True)
class DenseHits:
    """Chunks reached by a vector query, best first, each with its best sentence's similarity. A chunk
    not reached has, as far as the (approximate) index can tell, no sentence above ``floor``: the
    similarity of the last vector returned. ``sentences`` holds every reached sentence of each chunk as
    (similarity, its number in the chunk, -1 for a vector of the whole chunk), best first."""

    sentences: dict[str, list[tuple[float, int]]]
    floor: float

    @cached_property
    def best(self) -> dict[str, float]:
        """Each reached chunk's best sentence similarity, best chunk first."""
        return {chunk_id: reached[0][0] for chunk_id, reached in self.sentences.items()}


def embedding_units(chunks: Sequence[ChunkRecord]) -> list[EmbeddingUnit]:
    """The sentences of every chunk, with ids that follow from the chunk alone. A chunk's dense score is
    its best sentence's: one vector for a whole chunk blurs the sentence a question is about (measured
    on XQuAD and COVID-QA: `qa bench --part quality`)."""
    units = []
    for chunk in chunks:
        spans = sentence_spans(chunk.text) or [(0, len(chunk.text))]
        for number, (start, end) in enumerate(spans):
            units.append(EmbeddingUnit(f"{chunk.chunk_id}-{number}", chunk.chunk_id, chunk.text[start:end]))
    return units


def _embedding_function(embedder: Callable[[], Embedder]) -> Any:
    """Adapt our embedder to Chroma, so Chroma never falls back to downloading its default model. Built on
    first call only: every vector and query reaches Chroma already embedded, so checking, removing or
    repairing a collection never loads the model."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class _Adapter(EmbeddingFunction[Documents]):
        def __init__(self) -> None:
            pass

        def __call__(self, input: Documents) -> Embeddings:
            import numpy as np

            return [np.asarray(vector, dtype=np.float32) for vector in embedder().embed_batch(list(input))]

        @staticmethod
        def name() -> str:
            return "cited-qa"

        def get_config(self) -> dict[str, Any]:
            return {}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> _Adapter:
            return _Adapter()

    return _Adapter()


def connect(settings: Settings) -> Any:
    """A Chroma client for the settings: server when ``chroma_url`` is set, else embedded on disk."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.storage.chroma_url:
        url = urlparse(settings.storage.chroma_url)
        if not url.hostname:
            raise StoreError(
                f"QA_CHROMA_URL {settings.storage.chroma_url!r} is not a URL; use e.g. http://127.0.0.1:8000"
            )
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises several unrelated types for a dead server
            raise StoreError(
                f"cannot reach the Chroma server at {settings.storage.chroma_url} ({exc}); start it with "
                "`chroma run --path DIR --host 127.0.0.1 --port PORT` or unset QA_CHROMA_URL"
            ) from exc
    path = chroma_folder(settings)
    ensure_data_dir(path)
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        if no_room(exc):
            raise DiskFullError(
                f"the disk holding the data folder {settings.storage.data_dir} is full ({exc}); "
                "free some space and try again"
            ) from exc
        raise StoreError(f"the vector store in {path} cannot be opened ({type(exc).__name__}: {exc})") from exc


def chroma_folder(settings: Settings) -> Path:
    """Where the embedded Chroma store keeps its files."""
    return settings.storage.data_dir / "chroma"


class VectorStore:
    """One Chroma collection holding the sentence vectors of one document collection's chunks.

    Every call's failure is a StoreError: a Chroma server that cannot be reached is named, a full disk is a
    DiskFullError, and an embedded index that cannot be read (Chroma's own files cut short by a full disk or a
    crash) says that `qa sources verify --repair` rebuilds it from the catalog (see ingest/consistency.py)."""

    def __init__(
        self,
        client: Any,
        name: str,
        embedder: Callable[[], Embedder],
        server: str | None = None,
        path: Path | None = None,
    ) -> None:
        self._client = client
        self._name = name
        self._embedder = embedder
        self._server = server
        self._path = path  # the embedded store's folder; None for a server
        self._collection = self._open()

    def _open(self) -> Any:
        try:
            collection = self._client.get_or_create_collection(
                self._name,
                embedding_function=_embedding_function(self._embedder),
                metadata={"hnsw:space": "cosine"},
            )
        except Exception as exc:
            raise self._error(exc, f"cannot open Chroma collection {self._name!r}") from exc
        return _GuardedCalls(collection, self._error)

    def _error(self, exc: Exception, doing: str = "") -> Exception:
        """The StoreError a failed Chroma call becomes (AssistantErrors are passed on)."""
        if isinstance(exc, AssistantError):
            return exc
        if self._server and _unreachable(exc):
            return _server_down(self._server, exc)
        if no_room(exc):
            where = f"the data folder {self._path.parent}" if self._path else f"the Chroma server {self._server}"
            return DiskFullError(
                f"the disk holding {where} is full ({type(exc).__name__}: {exc}); free some space and try again",
                detail=f"{type(exc).__name__}: {exc}",
            )
        if self._server:
            return StoreError(f"{doing or 'the Chroma server failed'}: {exc}")
        return DamagedIndexError(
            f"the vector index of collection {self._name!r} in {self._path} cannot be used "
            f"({type(exc).__name__}: {str(exc)[:300]}); run `qa sources verify --repair --collection {self._name}` "
            "to rebuild it from the documents' stored text"
        )

    def rebuild(self) -> None:
        """Start the collection again, empty: drop it from Chroma and, for the embedded store, the index files
        it leaves behind. What it held is re-embedded by the caller (from the catalog's chunk texts)."""
        try:
            self._client.delete_collection(self._name)
        except Exception as exc:  # an index past reading may also be past deleting: say so
            raise StoreError(
                f"the vector index of collection {self._name!r} cannot be deleted to rebuild it ({exc}); move "
                f"{self._path or 'the Chroma data'} aside and run `qa sources verify --repair` for each collection"
            ) from exc
        if self._path is not None:
            _drop_unlisted_segments(self._path)
        self._collection = self._open()

    def upsert(self, ids: Sequence[str], vectors: Sequence[Sequence[float]], sources: Sequence[str]) -> None:
        """Add or overwrite vectors by id (``{chunk_id}-{n}``: sentence n of a chunk, see embedding_units).

        The sentence texts stay in the catalog only: stored in Chroma too they would be indexed by its own
        full-text search, which doubled the time of a write (measured: 20,000 vectors in 15.1 s with
        texts, 7.8 s without) for text nothing reads back from Chroma."""
        # Chroma refuses calls above its batch limit (5,461 in 1.5), which one long book's sentences exceed.
        import numpy as np

        step = self._max_batch
        for start in range(0, len(ids), step):
            end = start + step
            self._collection.upsert(
                ids=list(ids[start:end]),
                embeddings=[np.asarray(vector, dtype=np.float32) for vector in vectors[start:end]],
                metadatas=[{"source": source} for source in sources[start:end]],
            )
            checkpoint("upsert")

    @cached_property
    def _max_batch(self) -> int:
        try:
            return max(1, int(self._client.get_max_batch_size()))
        except Exception:  # noqa: BLE001 - a client without the call (older servers): a size every version accepts
            return 1000

    def delete(self, ids: Sequence[str]) -> None:
        """Remove vectors by id (unknown ids are ignored)."""
        step = self._max_batch
        for start in range(0, len(ids), step):
            self._collection.delete(ids=list(ids[start : start + step]))

    def ids_for_source(self, source: str) -> list[str]:
        """Every vector id stored for one source file, including orphans of an interrupted ingest."""
        return list(self._collection.get(where={"source": source}, include=[])["ids"])

    def chunk_ids_for_source(self, source: str) -> list[str]:
        """The chunks that have vectors stored for one source file, sorted."""
        return sorted({chunk_of(vector_id) for vector_id in self.ids_for_source(source)})

    def query(self, vector: Sequence[float], n: int, sources: Sequence[str] | None = None) -> DenseHits:
        """The chunks of the ``n`` nearest sentence vectors, each with its best sentence's cosine similarity."""
        where: dict[str, Any] | None = None
        if sources:
            where = {"source": sources[0]} if len(sources) == 1 else {"source": {"$in": list(sources)}}
        # Only distances: reading metadata back costs more than the nearest-neighbour search itself. No
        # count() first: Chroma returns what it has when asked for more (nothing from an empty collection),
        # and counting costs ten times the search on a large one (~40 ms of CPU at 527,000 vectors).
        result = self._collection.query(
            query_embeddings=[list(vector)], n_results=max(1, n), where=where, include=["distances"]
        )
        ids = result["ids"][0] if result["ids"] else []
        distances = result["distances"][0] if result["distances"] else []
        sentences: dict[str, list[tuple[float, int]]] = {}
        for vector_id, distance in zip(ids, distances, strict=True):
            chunk_id = chunk_of(vector_id)
            number = vector_id[len(chunk_id) + 1 :]
            # A vector under the chunk's own id stands for the whole chunk (numbered -1): never one sentence of it.
            sentences.setdefault(chunk_id, []).append((1.0 - float(distance), int(number) if number.isdigit() else -1))
        return DenseHits(sentences, 1.0 - float(distances[-1]) if distances else 0.0)

    def all_ids(self) -> list[str]:
        """Every vector id in the collection, read page by page."""
        ids: list[str] = []
        step = self._max_batch
        while True:
            page = self._collection.get(include=[], limit=step, offset=len(ids))["ids"]
            ids.extend(page)
            if len(page) < step:
                return ids

    def pages(self) -> Iterator[tuple[list[str], list[list[float]], list[str]]]:
        """Every vector with its source, a page at a time: (ids, vectors, sources), to copy a collection."""
        offset = 0
        step = self._max_batch
        while True:
            page = self._collection.get(include=["embeddings", "metadatas"], limit=step, offset=offset)
            ids = list(page["ids"])
            if ids:
                vectors = [list(map(float, vector)) for vector in page["embeddings"]]
                yield ids, vectors, [str((meta or {}).get("source", "")) for meta in page["metadatas"]]
            offset += len(ids)
            if len(ids) < step:
                return

    def count(self) -> int:
        """Number of vectors in the collection (one per sentence of every chunk)."""
        return int(self._collection.count())


def _drop_unlisted_segments(path: Path) -> None:
    """Delete the index folders of the embedded store (one per vector segment, named by its id) that its
    catalog no longer lists: Chroma leaves a deleted collection's folder on disk, the space a rebuild after a
    full disk needs most."""
    try:
        with sqlite3.connect(f"file:{path / 'chroma.sqlite3'}?mode=ro", uri=True) as db:
            listed = {str(row[0]) for row in db.execute("SELECT id FROM segments")}
    except sqlite3.Error:
        return  # not the layout this knows: leave the files alone
    for folder in path.iterdir():
        if folder.is_dir() and not folder.is_symlink() and _segment_name(folder.name) and folder.name not in listed:
            shutil.rmtree(folder, ignore_errors=True)


def _segment_name(name: str) -> bool:
    import uuid

    try:
        return str(uuid.UUID(name)) == name
    except ValueError:
        return False


def _unreachable(exc: BaseException) -> bool:
    """Whether an error of the Chroma client means the server could not be reached."""
    import httpx

    return isinstance(exc, (httpx.TransportError, ConnectionError))


def _server_down(server: str, exc: BaseException) -> StoreError:
    return StoreError(
        f"cannot reach the Chroma server at {server} ({type(exc).__name__}: {exc}); start it again "
        "(`chroma run --path DIR --host HOST --port PORT`) or check QA_CHROMA_URL"
    )


class _GuardedCalls:
    """A Chroma collection whose calls raise what ``error`` makes of their failures (a server that went down
    and came back while this process runs, a full disk, an index that cannot be read)."""

    def __init__(self, collection: Any, error: Callable[[Exception], Exception]) -> None:
        self._collection = collection
        self._make_error = error

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            except Exception as exc:
                raise self._make_error(exc) from exc

        return call


def chunk_of(vector_id: str) -> str:
    """The chunk a sentence vector belongs to (chunk ids have no '-'; stores written before sentence
    vectors held one vector per chunk, under the chunk's own id)."""
    return vector_id.rpartition("-")[0] or vector_id
