"""The Assistant: ingest documents, search them and answer questions with checked citations."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from assistant.answerers import REFUSAL, Answerer, build_answerer
from assistant.catalog import Catalog, SourceRecord
from assistant.citations import validate
from assistant.embedder import Embedder, build_embedder
from assistant.errors import InputError
from assistant.retrieval import HybridSearch, PassageRetriever, passage_from_document
from assistant.settings import Settings, load_settings
from assistant.store import VectorStore, connect
from assistant.types import Answer, Passage, Timings
from ingest.indexer import FileResult, Indexer, IngestReport, ProgressCallback

MAX_QUESTION_CHARS = 2000


class Assistant:
    """Question answering over one collection; heavy parts are built on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        answerer: Answerer | None = None,
        store_client: Any | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._answerer = answerer
        self._store_client = store_client

    @classmethod
    def from_settings(cls, **overrides: Any) -> Assistant:
        """Settings from qa.toml and QA_* variables, with ``overrides`` (settings fields) on top."""
        return cls(load_settings(overrides))

    @cached_property
    def embedder(self) -> Embedder:
        """The embedding model (loaded once)."""
        return self._embedder or build_embedder(self.settings)

    @cached_property
    def answerer(self) -> Answerer:
        """The answer writer chosen by the settings."""
        return self._answerer or build_answerer(self.settings, self.embedder)

    @cached_property
    def catalog(self) -> Catalog:
        """Ingest records and keyword index."""
        return Catalog(self.settings.data_dir / "catalog.sqlite3")

    @cached_property
    def store(self) -> VectorStore:
        """The Chroma collection."""
        client = self._store_client or connect(self.settings)
        return VectorStore(client, self.settings.collection, self.embedder)

    @cached_property
    def _search(self) -> HybridSearch:
        return HybridSearch(self.settings, self.catalog, self.store, self.embedder)

    @cached_property
    def _indexer(self) -> Indexer:
        return Indexer(self.settings, self.catalog, self.store, self.embedder)

    def retriever(self, k: int | None = None, sources: Sequence[str] | None = None) -> PassageRetriever:
        """A LangChain retriever over this collection (optionally limited to some source files)."""
        return PassageRetriever(search=self._search, k=k or self.settings.k, sources=list(sources) if sources else None)

    def ingest(self, paths: Iterable[str | Path], progress: ProgressCallback | None = None) -> IngestReport:
        """Add or update files and directories; unchanged files are skipped."""
        return self._indexer.ingest(paths, progress)

    def remove(self, path: str | Path) -> FileResult:
        """Remove one file's chunks from the collection."""
        return self._indexer.remove(path)

    def sources(self) -> list[SourceRecord]:
        """The files in the collection."""
        return self.catalog.sources(self.settings.collection)

    def document_text(self, source: str) -> str | None:
        """The indexed text of a file; citation offsets point into it."""
        return self.catalog.document_text(self.settings.collection, source)

    def search(self, query: str, k: int | None = None, sources: Sequence[str] | None = None) -> list[Passage]:
        """The passages that best match ``query``, best first."""
        return self._search.search(_check_question(query), k, sources)

    def ask(self, question: str, history: Sequence[dict[str, str]] | None = None) -> Answer:
        """Answer a question (with optional prior turns) from the documents, with citations."""
        final = None
        for piece in self.stream(question, history):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None
        return final

    def stream(self, question: str, history: Sequence[dict[str, str]] | None = None) -> Iterator[str | Answer]:
        """Yield answer text as it is written, then the validated ``Answer``."""
        question = _check_question(question)
        started = time.perf_counter()
        standalone = self.answerer.condense(question, history or [])
        passages = [passage_from_document(doc) for doc in self.retriever().invoke(standalone)]
        retrieved = time.perf_counter()
        pieces = []
        if passages:
            for piece in self.answerer.stream(standalone, passages):
                pieces.append(piece)
                yield piece
        else:
            pieces.append(REFUSAL)
            yield REFUSAL
        answered = time.perf_counter()
        checked = validate("".join(pieces), passages, self.document_text)
        text, refused, unsupported = checked.text, checked.refused, checked.unsupported
        if not refused and not checked.citations:
            # An answer that cites nothing valid is not presented as an answer.
            text, refused, unsupported = REFUSAL, True, [checked.text]
        yield Answer(
            answer=text,
            refused=refused,
            citations=checked.citations,
            passages=passages,
            standalone_question=standalone,
            unsupported=unsupported,
            timings=Timings(
                retrieve_s=round(retrieved - started, 4),
                answer_s=round(answered - retrieved, 4),
                total_s=round(time.perf_counter() - started, 4),
            ),
        )


def _check_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise InputError("the question is empty; type a question about your documents")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}")
    return question
