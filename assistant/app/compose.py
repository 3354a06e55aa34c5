"""The composition root: the one place that builds the assistant's parts from settings and wires them together.

Each part is built on first use (loading the embedding model or opening Chroma is the slow part, and `qa sources`
needs neither), at most once, unless the caller hands in one already built: tests and benchmarks inject a
fake embedder, a scripted answerer or a Chroma client here, and every collection of `qa serve` shares one
embedding model and one answerer.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from assistant.answering.answerers import Answerer, build_answerer
from assistant.answering.retrieval import HybridSearch
from assistant.index.catalog import Catalog, catalog_file
from assistant.index.store import VectorStore, chroma_folder, connect
from assistant.models.embedder import Embedder, build_embedder
from assistant.settings import Settings
from ingest.indexer import Indexer


class Parts:
    """The parts of one collection's assistant: embedder, store, catalog, search, indexer and answerer."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        answerer: Answerer | None = None,
        store_client: Any | None = None,
    ) -> None:
        self.settings = settings
        self._given_embedder = embedder
        self._given_answerer = answerer
        self._store_client = store_client

    @cached_property
    def embedder(self) -> Embedder:
        """The embedding model (``settings.embedder``)."""
        return self._given_embedder or build_embedder(self.settings)

    @cached_property
    def answerer(self) -> Answerer:
        """The answer writer (``settings.answerer``)."""
        return self._given_answerer or build_answerer(self.settings, self.embedder)

    @cached_property
    def catalog(self) -> Catalog:
        """Ingest records and keyword index of the data folder."""
        return Catalog(catalog_file(self.settings.data_dir))

    @cached_property
    def store(self) -> VectorStore:
        """The Chroma collection (embedded, or the server at ``settings.chroma_url``)."""
        client = self._store_client or connect(self.settings)
        return VectorStore(
            client,
            self.settings.collection,
            lambda: self.embedder,
            server=self.settings.chroma_url,
            path=None if self.settings.chroma_url else chroma_folder(self.settings),
        )

    @cached_property
    def search(self) -> HybridSearch:
        """Dense and keyword search, fused."""
        return HybridSearch(self.settings, self.catalog, lambda: self.store, self.embedder)

    @cached_property
    def indexer(self) -> Indexer:
        """Ingest: loads, chunks, embeds and records files."""
        return Indexer(self.settings, self.catalog, lambda: self.store, lambda: self.embedder)


def build_parts(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    answerer: Answerer | None = None,
    store_client: Any | None = None,
) -> Parts:
    """The parts for ``settings``; any given one is used instead of building it."""
    return Parts(settings, embedder=embedder, answerer=answerer, store_client=store_client)
