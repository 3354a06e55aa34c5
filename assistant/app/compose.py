"""The composition root: the one place that builds the assistant's parts from settings and wires them together.

Each part is built on first use (loading the embedding model or opening Chroma is the slow part, and `qa sources`
needs neither), at most once, unless the caller hands in one already built: tests and benchmarks inject a
fake embedder, a scripted answerer or a Chroma client here.

`Parts` are one collection's; `SharedParts` are what collections share: one embedding model per embedder
setting, one answerer (and its language model) per answerer settings, and one state store per place: the SQLite
files of a data folder, or the PostgreSQL database of ``QA_DATABASE_URL`` (assistant/index/postgres/), which
holds the catalog, the keyword index, saved chats and feedback of app servers on several machines. This is the
one place that chooses between them. The
registry of per-collection Assistants (assistant/app/registry.py) hands its `SharedParts` to every `Parts`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from assistant.answering.answerers import Answerer, build_answerer
from assistant.answering.retrieval import HybridSearch
from assistant.app.uploads import FolderUploads, UploadStore
from assistant.chats.conversations import ConversationStore
from assistant.chats.feedback import FeedbackStore
from assistant.index.catalog import Catalog, CatalogStore
from assistant.index.folder import catalog_file
from assistant.index.store import VectorStore, chroma_folder, connect
from assistant.models.embedder import Embedder, build_embedder
from assistant.settings import Settings
from ingest.indexer import Indexer

if TYPE_CHECKING:
    from assistant.index.postgres.connection import PgConnection

T = TypeVar("T")

# The settings an embedder is built from: the models group (embedder, embedding_model, models_dir).
EMBEDDER_FIELDS = frozenset({"models"})
# The settings an answerer is built from: the llm group (answerer and its language model) plus the embedder's,
# which it is handed. The storage, retrieval and answering groups (collection, k, the refusal gates
# min_relevance and min_term_coverage: the pipeline's) are not among them, so assistants that differ only in
# those share one loaded model.
ANSWERER_FIELDS = frozenset(EMBEDDER_FIELDS | {"llm"})


def embedder_key(settings: Settings) -> str:
    """The settings that define the embedder, as JSON: equal keys share one loaded embedding model."""
    return settings.model_dump_json(include=set(EMBEDDER_FIELDS))


def answerer_key(settings: Settings) -> str:
    """The settings that define the answerer, as JSON: equal keys share one loaded answerer and model."""
    return settings.model_dump_json(include=set(ANSWERER_FIELDS))


class _Built:
    """Values built once per key, each under its own lock: two threads asking for one key build it once, and
    a slow build (a language model loading) does not hold up the other keys."""

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._guard:
            if key in self._values:
                return self._values[key]  # type: ignore[no-any-return]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._values:
                    return self._values[key]  # type: ignore[no-any-return]
            value = build()
            with self._guard:
                self._values[key] = value
            return value

    def values(self) -> list[Any]:
        with self._guard:
            return list(self._values.values())

    def clear(self) -> None:
        with self._guard:
            self._values.clear()
            self._locks.clear()


class SharedParts:
    """What every collection's assistant shares: one embedder per embedder settings, one answerer per answerer
    settings (``warm_up`` reads its fixed prompt as it loads), one catalog per data folder. An ``embedder`` or
    ``answerer`` given is used for every settings instead of building one."""

    def __init__(
        self, *, embedder: Embedder | None = None, answerer: Answerer | None = None, warm_up: bool = False
    ) -> None:
        self._given_embedder = embedder
        self._given_answerer = answerer
        self._warm_up = warm_up
        self._embedders = _Built()
        self._answerers = _Built()
        self._catalogs = _Built()
        self._databases = _Built()
        self._chats = _Built()

    def embedder(self, settings: Settings) -> Embedder:
        """The embedding model for ``settings`` (loaded once per embedder settings)."""
        if self._given_embedder is not None:
            return self._given_embedder
        return self._embedders.get(embedder_key(settings), lambda: build_embedder(settings))

    def answerer(self, settings: Settings) -> Answerer:
        """The answer writer for ``settings`` (built once per answerer settings)."""
        if self._given_answerer is not None:
            return self._given_answerer

        def build() -> Answerer:
            answerer = build_answerer(settings, self.embedder(settings))
            if self._warm_up:
                answerer.warm_up()
            return answerer

        return self._answerers.get(answerer_key(settings), build)

    def database(self, url: str) -> PgConnection:
        """The connection to a server state store, its schema brought up to date (one per URL)."""
        # Imported here: the embedded default never loads the PostgreSQL driver.
        from assistant.index.postgres.connection import PgConnection
        from assistant.index.postgres.schema import migrate

        def build() -> PgConnection:
            connection = PgConnection(url)
            migrate(connection)
            return connection

        return self._databases.get(url, build)

    def catalog(self, settings: Settings) -> CatalogStore:
        """The catalog of the settings' state store: the server's when ``database_url`` is set, else the data
        folder's (one per folder or URL, whatever the collection)."""
        url = settings.storage.database_url
        if url:
            from assistant.index.postgres.catalog import PgCatalog

            return self._catalogs.get(url, lambda: PgCatalog(self.database(url)))
        data_dir = settings.storage.data_dir
        return self._catalogs.get(Path(data_dir).expanduser().resolve(), lambda: Catalog(catalog_file(data_dir)))

    def conversations(self, settings: Settings) -> ConversationStore:
        """The saved chats of the settings' state store."""
        url = settings.storage.database_url
        if url:
            return self._chats.get(("conversations", url), lambda: ConversationStore(self.database(url)))
        folder = Path(settings.storage.data_dir).expanduser().resolve()
        return self._chats.get(("conversations", folder), lambda: ConversationStore.in_folder(folder))

    def feedback(self, settings: Settings) -> FeedbackStore:
        """The feedback on answers of the settings' state store."""
        url = settings.storage.database_url
        if url:
            return self._chats.get(("feedback", url), lambda: FeedbackStore(self.database(url)))
        folder = Path(settings.storage.data_dir).expanduser().resolve()
        return self._chats.get(("feedback", folder), lambda: FeedbackStore.in_folder(folder))

    def uploads(self, settings: Settings) -> UploadStore:
        """Where stored uploads are kept: the server state store, or the data folder's upload folders."""
        url = settings.storage.database_url
        if url:
            from assistant.index.postgres.uploads import PgUploads

            return PgUploads(self.database(url))
        return FolderUploads()

    def close(self) -> None:
        """Close the stores opened (models need no closing)."""
        for store in [*self._chats.values(), *self._catalogs.values(), *self._databases.values()]:
            store.close()
        for built in (self._chats, self._catalogs, self._databases):
            built.clear()


def open_state_store(settings: Settings) -> None:
    """Reach the settings' server state store and bring its schema up to date, or raise the StoreError that says
    what is wrong (nothing to do for a data folder): a server starts only when its database works, and its
    workers find the schema migrated."""
    url = settings.storage.database_url
    if url:
        shared = SharedParts()
        try:
            shared.database(url)
        finally:
            shared.close()


class Parts:
    """The parts of one collection's assistant: embedder, store, catalog, search, indexer and answerer. With
    ``shared``, the embedder, answerer and catalog come from it (shared with other collections)."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        answerer: Answerer | None = None,
        store_client: Any | None = None,
        shared: SharedParts | None = None,
    ) -> None:
        self.settings = settings
        self._given_embedder = embedder
        self._given_answerer = answerer
        self._store_client = store_client
        self._shared = shared

    @cached_property
    def embedder(self) -> Embedder:
        """The embedding model (``settings.models.embedder``)."""
        if self._given_embedder is not None:
            return self._given_embedder
        return self._shared.embedder(self.settings) if self._shared else build_embedder(self.settings)

    @cached_property
    def answerer(self) -> Answerer:
        """The answer writer (``settings.llm.answerer``)."""
        if self._given_answerer is not None:
            return self._given_answerer
        if self._shared:
            return self._shared.answerer(self.settings)
        return build_answerer(self.settings, self.embedder)

    @cached_property
    def _state(self) -> SharedParts:
        """Where the state stores come from: the shared parts, or this collection's own."""
        return self._shared or SharedParts()

    @cached_property
    def catalog(self) -> CatalogStore:
        """Ingest records and keyword index of the state store."""
        return self._state.catalog(self.settings)

    @cached_property
    def uploads(self) -> UploadStore:
        """Where stored uploads are kept (see SharedParts.uploads)."""
        return self._state.uploads(self.settings)

    @cached_property
    def store(self) -> VectorStore:
        """The Chroma collection (embedded, or the server at ``settings.chroma_url``)."""
        client = self._store_client or connect(self.settings)
        return VectorStore(
            client,
            self.settings.storage.collection,
            lambda: self.embedder,
            server=self.settings.storage.chroma_url,
            path=None if self.settings.storage.chroma_url else chroma_folder(self.settings),
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
    shared: SharedParts | None = None,
) -> Parts:
    """The parts for ``settings``; any given one is used instead of building it."""
    return Parts(settings, embedder=embedder, answerer=answerer, store_client=store_client, shared=shared)
