"""The Assistant: ingest documents, search them and answer questions with checked citations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from assistant.answering.answerers import Answerer
from assistant.answering.pipeline import AnswerPipeline, AnswerStream, check_question
from assistant.answering.retrieval import PassageRetriever
from assistant.answering.support import SupportJudge
from assistant.app.compose import Parts, build_parts
from assistant.app.uploads import abandoned_uploads, recover_staged
from assistant.index.catalog import CatalogStore
from assistant.index.records import SourceRecord
from assistant.index.store import VectorStore
from assistant.models.embedder import Embedder
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Passage
from ingest.consistency import Consistency
from ingest.consistency import check as check_collection
from ingest.consistency import repair as repair_collection
from ingest.indexer import FileResult, IngestReport, ProgressCallback


class Assistant:
    """Question answering over one collection, on parts built by the composition root (assistant/app/compose.py)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.settings = parts.settings

    @classmethod
    def from_settings(cls, **overrides: Any) -> Assistant:
        """Settings from qa.toml and QA_* variables, with ``overrides`` (settings fields) on top."""
        return cls(build_parts(load_settings(overrides)))

    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded once)."""
        return self.parts.embedder

    @property
    def answerer(self) -> Answerer:
        """The answer writer chosen by the settings."""
        return self.parts.answerer

    @property
    def catalog(self) -> CatalogStore:
        """Ingest records and keyword index."""
        return self.parts.catalog

    @property
    def store(self) -> VectorStore:
        """The Chroma collection."""
        return self.parts.store

    def retriever(self, k: int | None = None, sources: Sequence[str] | None = None) -> PassageRetriever:
        """A LangChain retriever over this collection (optionally limited to some source files)."""
        return PassageRetriever(
            search=self.parts.search, k=k or self.settings.retrieval.k, sources=list(sources) if sources else None
        )

    def ingest(
        self, paths: Iterable[str | Path], progress: ProgressCallback | None = None, *, remove_missing: bool = False
    ) -> IngestReport:
        """Add or update files and directories; unchanged files are skipped. ``remove_missing`` also removes the
        collection's files that are gone from the folders given."""
        return self.parts.indexer.ingest(paths, progress, remove_missing=remove_missing)

    def remove(self, path: str | Path) -> FileResult:
        """Remove one file's chunks from the collection."""
        return self.parts.indexer.remove(path)

    def verify(self, repair: bool = False) -> Consistency:
        """Check that the vector store and keyword index hold exactly what the catalog lists; ``repair``
        fixes what is found (orphan or missing vectors, keyword rows) and returns the check made after."""
        if repair:
            return repair_collection(self.settings, self.catalog, self.store, lambda: self.embedder)
        return check_collection(self.settings, self.catalog, self.store)

    def unfinished_uploads(self, repair: bool = False) -> list[str]:
        """What uploads killed mid-request left in the data folder's staging area (any collection), one line each;
        ``repair`` finishes them: a file moved in whose ingest never committed is removed or its earlier version
        put back, and staged bytes are deleted."""
        if not repair:
            return [
                f"unfinished upload left by a request that died: {name}"
                for name in abandoned_uploads(self.settings.storage.data_dir)
            ]

        def stored(collection: str, source: str) -> str | None:
            record = self.catalog.records.source(collection, source)
            return record.sha256 if record else None

        return recover_staged(self.settings.storage.data_dir, stored)

    def sources(self) -> list[SourceRecord]:
        """The files in the collection."""
        return self.catalog.records.sources(self.settings.storage.collection)

    def document_text(self, source: str) -> str | None:
        """The indexed text of a file; citation offsets point into it."""
        return self.catalog.texts.text_of(self.settings.storage.collection, source)

    def search(self, query: str, k: int | None = None, sources: Sequence[str] | None = None) -> list[Passage]:
        """The passages that best match ``query``, best first."""
        return self.parts.search.search(check_question(query), k, sources)

    @cached_property
    def pipeline(self) -> AnswerPipeline:
        """The answer chain as a LangChain Runnable: ``{"question", "history"}`` in, checked ``Answer`` out."""
        return AnswerPipeline(
            answerer=self.answerer,
            retriever=self.retriever(),
            embedder=self.embedder,
            document_text=self.document_text,
            min_relevance=self.settings.answering.min_relevance,
            min_coverage=self.settings.answering.min_term_coverage,
            support=self.support_judge,
            link_hosts=self.settings.answering.link_hosts,
        )

    @cached_property
    def support_judge(self) -> SupportJudge:
        """Judges whether passages assert answer sentences: by meaning with the answerer's model
        (``semantic_check``), else by the rules alone."""
        verifier = self.answerer.verifier if self.settings.answering.semantic_check else None
        return SupportJudge(verifier)

    def ask(self, question: str, history: Sequence[dict[str, str]] | None = None) -> Answer:
        """Answer a question (with optional prior turns) from the documents, with checked citations."""
        return self.pipeline.invoke({"question": question, "history": list(history or [])})

    def stream(self, question: str, history: Sequence[dict[str, str]] | None = None) -> AnswerStream:
        """The answer as it is written: iterate for text pieces, then read ``.answer`` for the checked Answer."""
        question = check_question(question)  # a bad question fails here, not on the first iteration
        return AnswerStream(self.pipeline.stream({"question": question, "history": list(history or [])}))


def build_assistant(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    answerer: Answerer | None = None,
    store_client: Any | None = None,
) -> Assistant:
    """An Assistant for ``settings`` (as they are: no files or environment read), with any parts given used as
    they are instead of built."""
    return Assistant(build_parts(settings, embedder=embedder, answerer=answerer, store_client=store_client))
