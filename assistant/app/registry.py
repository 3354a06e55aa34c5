"""The registry of per-collection Assistants: what the CLI, the HTTP service and the browser app get theirs from.

Every Assistant it hands out shares, through one `SharedParts` (assistant/app/compose.py), the embedding
model, the answerer and its language model (one per answerer settings), and the catalog of its data folder;
each collection has its own vector store. The Assistant of the registry's own settings stays built; those of
other settings are kept while they are among the ``capacity`` most recently used, so a stream of collection
names cannot keep an Assistant each for ever. An Assistant dropped from the registry is not closed: a request
still using it finishes with it, and the parts it shares stay open.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from assistant.answering.answerers import Answerer
from assistant.app.compose import SharedParts, build_parts
from assistant.app.service import Assistant
from assistant.errors import InputError
from assistant.index.catalog import CatalogStore
from assistant.models.embedder import Embedder
from assistant.settings import Settings

# Assistants kept besides the registry's own (most recently used kept).
CAPACITY = 16


class Registry:
    """Per-collection Assistants over shared parts. ``settings`` are the default ones (`assistant()` with no
    collection); an ``embedder`` or ``answerer`` given is used by every Assistant, ``store_client`` by every
    store; ``warm_up`` has each answerer read its fixed prompt as it loads (the browser app's first question)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        answerer: Answerer | None = None,
        store_client: Any | None = None,
        capacity: int = CAPACITY,
        warm_up: bool = False,
    ) -> None:
        self._settings = settings
        self.shared = SharedParts(embedder=embedder, answerer=answerer, warm_up=warm_up)
        self._store_client = store_client
        self.capacity = capacity
        self._pinned: Assistant | None = None
        self._kept: OrderedDict[str, Assistant] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        """The default settings; a registry made without them has no default collection."""
        if self._settings is None:
            raise TypeError("this registry has no default settings: ask with assistant_for(settings)")
        return self._settings

    def settings_for(self, collection: str | None) -> Settings:
        """The default settings with ``collection`` (None: the default one); InputError for a name that is
        not a valid collection name."""
        base = self.settings
        if collection is None or collection == base.storage.collection:
            return base
        try:
            return Settings.model_validate({**base.model_dump(), "collection": collection})
        except ValueError as exc:
            raise InputError(f"collection {collection!r} is not a valid name") from exc

    def assistant(self, collection: str | None = None) -> Assistant:
        """The Assistant of ``collection`` (None: the default settings' own) under the default settings."""
        return self.assistant_for(self.settings_for(collection))

    def assistant_for(self, settings: Settings) -> Assistant:
        """The Assistant for ``settings``, built on first use; Assistants with equal settings are one."""
        with self._lock:
            if self._settings is not None and settings == self._settings:
                if self._pinned is None:
                    self._pinned = self._build(settings)
                return self._pinned
            key = settings.model_dump_json()
            if key not in self._kept:
                self._kept[key] = self._build(settings)
                while len(self._kept) > self.capacity:
                    self._kept.popitem(last=False)
            self._kept.move_to_end(key)
            return self._kept[key]

    def holds(self, settings: Settings) -> bool:
        """Whether an Assistant for ``settings`` is built and kept (the default one always counts)."""
        with self._lock:
            return (self._settings is not None and settings == self._settings) or (
                settings.model_dump_json() in self._kept
            )

    def collections(self) -> list[str]:
        """The collections of the default data folder that hold documents, and the default collection."""
        names = {name for name, _, _ in self.catalog().records.collections()}
        return sorted(names | {self.settings.storage.collection})

    def catalog(self, data_dir: Path | None = None) -> CatalogStore:
        """The catalog of the registry's state store (or of another data folder), shared by its collections."""
        if data_dir is None:
            return self.shared.catalog(self.settings)
        return self.shared.catalog((self._settings or Settings()).updated(data_dir=Path(data_dir)))

    def embedder(self, settings: Settings | None = None) -> Embedder:
        """The embedding model for ``settings`` (default: the registry's), loaded once."""
        return self.shared.embedder(settings or self.settings)

    def answerer(self, settings: Settings | None = None) -> Answerer:
        """The answerer for ``settings`` (default: the registry's), built once per answerer settings."""
        return self.shared.answerer(settings or self.settings)

    def close(self) -> None:
        """Forget the Assistants and close the catalogs opened."""
        with self._lock:
            self._pinned = None
            self._kept.clear()
        self.shared.close()

    def _build(self, settings: Settings) -> Assistant:
        return Assistant(build_parts(settings, store_client=self._store_client, shared=self.shared))
