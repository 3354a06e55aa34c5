"""`qa sources verify`: does the vector store hold exactly the vectors of the chunks the catalog lists, and
the keyword index exactly their rows? With ``repair``, make it so (under the writer lock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.errors import DamagedIndexError
from assistant.index.catalog import CatalogStore
from assistant.index.store import VectorStore, chroma_folder, chunk_of, embedding_units
from assistant.models.embedder import Embedder
from assistant.settings import Settings
from assistant.text import plural
from ingest.room import check_room, needed_bytes, store_size

_SHOWN = 5


@dataclass(frozen=True)
class Consistency:
    """What one check found in one collection."""

    collection: str
    sources: int
    chunks: int
    vectors: int
    orphan_vectors: list[str]  # stored vectors of no listed chunk (an interrupted ingest or removal)
    missing_vectors: list[str]  # vectors a listed chunk needs that are not stored
    stray_keyword_rows: int  # keyword rows of no listed chunk
    unindexed_chunks: int  # listed chunks without a keyword row
    pending_deletes: int  # deletions a crashed writer left to do
    unreadable: str = ""  # why the vector index cannot be read at all (its files cut short), else ''

    @property
    def ok(self) -> bool:
        """True when nothing needs repair."""
        return not (
            self.unreadable
            or self.orphan_vectors
            or self.missing_vectors
            or self.stray_keyword_rows
            or self.unindexed_chunks
            or self.pending_deletes
        )

    def lines(self) -> list[str]:
        """A report for people, one finding per line."""
        counts = ", ".join(
            plural(count, word)
            for count, word in ((self.sources, "source"), (self.chunks, "chunk"), (self.vectors, "vector"))
        )
        head = f"collection {self.collection!r}: {counts}"
        if self.ok:
            return [f"{head}: consistent"]
        found = [head]
        if self.unreadable:
            found.append(
                f"  the vector index cannot be read ({self.unreadable}); --repair rebuilds it from the documents' "
                "stored text"
            )
        for label, ids in (
            ("orphan vectors (no listed chunk)", self.orphan_vectors),
            ("missing vectors (listed chunks without them)", self.missing_vectors),
        ):
            if ids:
                found.append(f"  {len(ids)} {label}: {', '.join(ids[:_SHOWN])}{' ...' if len(ids) > _SHOWN else ''}")
        for label, count in (
            ("keyword rows without a chunk", self.stray_keyword_rows),
            ("chunks without a keyword row", self.unindexed_chunks),
            ("vector deletions left pending by an interrupted writer", self.pending_deletes),
        ):
            if count:
                found.append(f"  {count} {label}")
        return found


def check(settings: Settings, catalog: CatalogStore, store: VectorStore) -> Consistency:
    """Compare the catalog with the vector store and the keyword index (reads only)."""
    collection = settings.storage.collection
    chunks = catalog.records.collection_chunks(collection)
    expected = {unit.vector_id for unit in embedding_units(chunks)}
    # Stores written before sentence vectors held one vector per chunk, under the chunk's id.
    legacy = {chunk.chunk_id for chunk in chunks}
    unreadable = ""
    try:
        stored = set(store.all_ids())
    except DamagedIndexError as exc:
        stored, unreadable = set(), str(exc.__cause__ or exc)[:300]
    stray, unindexed = catalog.keywords.gaps(collection)
    return Consistency(
        collection=collection,
        sources=len(catalog.records.sources(collection)),
        chunks=len(chunks),
        vectors=len(stored),
        orphan_vectors=sorted(stored - expected - legacy),
        missing_vectors=sorted(v for v in expected - stored if chunk_of(v) not in stored),
        stray_keyword_rows=stray,
        unindexed_chunks=unindexed,
        pending_deletes=len(catalog.journal.pending(collection)),
        unreadable=unreadable,
    )


def repair(
    settings: Settings, catalog: CatalogStore, store: VectorStore, embedder: Callable[[], Embedder]
) -> Consistency:
    """Fix what check() finds, under the store's writer lock: delete orphan vectors, embed missing ones
    from the stored chunk text, rebuild the keyword rows; an index that cannot be read is started again and
    every vector embedded anew from the catalog (the documents' files are not needed). Returns the check made
    afterwards."""
    collection = settings.storage.collection
    with catalog.writer_lock(settings.ingest.writer_timeout_s):
        found = check(settings, catalog, store)
        if found.unreadable:
            store.rebuild()
        if found.orphan_vectors:
            store.delete(found.orphan_vectors)
        if found.pending_deletes:
            catalog.journal.clear(collection, catalog.journal.pending(collection))
        if found.missing_vectors:
            _embed_missing(settings, catalog, store, embedder, set(found.missing_vectors))
        if found.stray_keyword_rows or found.unindexed_chunks:
            catalog.keywords.repair(collection)
        return check(settings, catalog, store)


def _embed_missing(
    settings: Settings, catalog: CatalogStore, store: VectorStore, embedder: Callable[[], Embedder], wanted: set[str]
) -> None:
    """Embed the ``wanted`` vectors from the catalog's chunk texts and store them, a batch at a time, each
    batch checked for room first (a repair on a disk still full stops between writes, and can be run again)."""
    chunks = catalog.records.collection_chunks(settings.storage.collection)
    units = [unit for unit in embedding_units(chunks) if unit.vector_id in wanted]
    sources = {chunk.chunk_id: chunk.source for chunk in chunks}
    del chunks
    model = embedder()
    folder = None if settings.storage.chroma_url else chroma_folder(settings)
    size = settings.ingest.embed_batch_size
    for start in range(0, len(units), size):
        batch = units[start : start + size]
        need = needed_bytes(
            len(batch), model.dimension, 0, store_size(folder) if folder else 0, settings.storage.chroma_url
        )
        check_room(
            settings.storage.data_dir, need, then="run `qa sources verify --repair` again (it goes on where it stopped)"
        )
        store.upsert(
            [u.vector_id for u in batch],
            model.embed_batch([u.text for u in batch]),
            [sources[u.chunk_id] for u in batch],
        )
