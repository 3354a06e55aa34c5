"""Dense vectors in Chroma: the embedded PersistentClient by default, a Chroma server when configured."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from assistant.catalog import ChunkRecord, ensure_data_dir
from assistant.embedder import Embedder
from assistant.errors import StoreError
from assistant.settings import Settings
from assistant.text import sentence_spans


@dataclass(frozen=True)
class EmbeddingUnit:
    """One sentence of a chunk, embedded on its own: the vector ``vector_id`` belongs to chunk ``chunk_id``."""

    vector_id: str
    chunk_id: str
    text: str


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


def _embedding_function(embedder: Embedder) -> Any:
    """Adapt our embedder to Chroma, so Chroma never falls back to downloading its default model."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class _Adapter(EmbeddingFunction[Documents]):
        def __init__(self) -> None:
            pass

        def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's parameter name
            import numpy as np

            return [np.asarray(vector, dtype=np.float32) for vector in embedder.embed_batch(list(input))]

        @staticmethod
        def name() -> str:
            return "cited-qa"

        def get_config(self) -> dict[str, Any]:
            return {}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> "_Adapter":
            return _Adapter()

    return _Adapter()


def connect(settings: Settings) -> Any:
    """A Chroma client for the settings: server when ``chroma_url`` is set, else embedded on disk."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise StoreError(f"QA_CHROMA_URL {settings.chroma_url!r} is not a URL; use e.g. http://127.0.0.1:8000")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises several unrelated types for a dead server
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_url} ({exc}); start it with "
                "`chroma run --path DIR --host 127.0.0.1 --port PORT` or unset QA_CHROMA_URL"
            ) from exc
    path = settings.data_dir / "chroma"
    ensure_data_dir(path)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class VectorStore:
    """One Chroma collection holding the chunk vectors of one document collection."""

    def __init__(self, client: Any, name: str, embedder: Embedder) -> None:
        self._client = client
        try:
            self._collection = client.get_or_create_collection(
                name,
                embedding_function=_embedding_function(embedder),
                metadata={"hnsw:space": "cosine"},
            )
        except Exception as exc:
            raise StoreError(f"cannot open Chroma collection {name!r}: {exc}") from exc

    def upsert(
        self,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]],
        texts: Sequence[str],
        sources: Sequence[str],
        chunk_ids: Sequence[str],
    ) -> None:
        """Add or overwrite vectors by id; each vector is one sentence of the chunk ``chunk_ids[i]``."""
        if not ids:
            return
        self._collection.upsert(
            ids=list(ids),
            embeddings=[list(vector) for vector in vectors],
            documents=list(texts),
            metadatas=[{"source": source, "chunk_id": chunk} for source, chunk in zip(sources, chunk_ids)],
        )

    def delete(self, ids: Sequence[str]) -> None:
        """Remove vectors by chunk id (unknown ids are ignored)."""
        if ids:
            self._collection.delete(ids=list(ids))

    def ids_for_source(self, source: str) -> list[str]:
        """Every vector id stored for one source file, including orphans of an interrupted ingest."""
        return list(self._collection.get(where={"source": source}, include=[])["ids"])

    def chunk_ids_for_source(self, source: str) -> list[str]:
        """The chunks that have vectors stored for one source file, sorted."""
        found = self._collection.get(where={"source": source}, include=["metadatas"])
        return sorted({_chunk_of(vector_id, meta) for vector_id, meta in zip(found["ids"], found["metadatas"])})

    def query(self, vector: Sequence[float], n: int, sources: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Chunks of the ``n`` nearest vectors, each with its best sentence's cosine similarity, best first."""
        count = self._collection.count()
        if count == 0:
            return []
        where: dict[str, Any] | None = None
        if sources:
            where = {"source": sources[0]} if len(sources) == 1 else {"source": {"$in": list(sources)}}
        result = self._collection.query(
            query_embeddings=[list(vector)], n_results=min(n, count), where=where, include=["distances", "metadatas"]
        )
        best: dict[str, float] = {}
        for vector_id, meta, distance in zip(result["ids"][0], result["metadatas"][0], result["distances"][0]):
            chunk_id = _chunk_of(vector_id, meta)
            best.setdefault(chunk_id, 1.0 - float(distance))
        return list(best.items())

    def similarities(self, vector: Sequence[float], chunk_ids: Sequence[str]) -> dict[str, float]:
        """Best sentence similarity of each listed chunk (for the chunks a query did not reach)."""
        if not chunk_ids:
            return {}
        import numpy as np

        # A metadata filter: in Chroma 1.5 it is about three times faster than a get of the same vectors by id.
        found = self._collection.get(where={"chunk_id": {"$in": list(chunk_ids)}}, include=["embeddings", "metadatas"])
        if len(found["ids"]) == 0:
            return {}
        scores = np.asarray(found["embeddings"], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
        best: dict[str, float] = {}
        for vector_id, meta, score in zip(found["ids"], found["metadatas"], scores.tolist()):
            chunk_id = _chunk_of(vector_id, meta)
            best[chunk_id] = max(best.get(chunk_id, -1.0), score)
        return best

    def count(self) -> int:
        """Number of vectors in the collection (one per sentence of every chunk)."""
        return int(self._collection.count())


def _chunk_of(vector_id: str, meta: Any) -> str:
    """The chunk a vector belongs to; stores written before sentence vectors held one vector per chunk."""
    return str((meta or {}).get("chunk_id") or vector_id)
