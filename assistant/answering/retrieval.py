"""Hybrid retrieval: dense (Chroma, sentence vectors) and keyword (FTS5 BM25) candidates, fused.

Fusion is score-aware by default: each candidate scores ``w * dense + (1 - w) * bm25 / best_bm25``.
Rank-only fusion (RRF) throws away how much better the best keyword match is, and on long documents
(COVID-QA) it pulled hit@1 from BM25's 0.51 down to 0.39; see the retrieval table in the README.

What a passage states is what counts: a question or a quiz's options printed in a document (a quiz page
repeating the user's question word for word) match the question best and answer nothing, so they add nothing
to a passage's dense score, and its BM25 score shrinks to the share of the query's words its other sentences
hold. Each passage loses a little for every passage of its document ranked above it, so the top k reaches
more documents (chosen on the dev halves of XQuAD, COVID-QA and a distractor set made from them; `qa bench
--part quality`). A share of a passage's second-best sentence can be added (``second_sentence_weight``); it is
off by default, since it did not raise both dev sets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.answering.support import asserts_nothing, may_assert_nothing
from assistant.errors import StoreError, no_room
from assistant.faults import checkpoint
from assistant.index.catalog import CatalogStore
from assistant.index.store import DenseHits, VectorStore
from assistant.models.embedder import Embedder
from assistant.settings import Settings
from assistant.text import content_terms, sentence_spans
from assistant.types import ChunkRecord, Passage

logger = logging.getLogger(__name__)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked id lists: each id scores sum(1 / (k + rank)) over the lists it appears in."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def weighted_fusion(
    dense: dict[str, float], keyword: dict[str, float], candidates: Sequence[str], dense_weight: float
) -> list[tuple[str, float]]:
    """Score each candidate by its dense similarity and its BM25 score relative to the best keyword match."""
    best = max(keyword.values(), default=0.0)
    scores = {
        item: dense_weight * dense.get(item, 0.0)
        + (1.0 - dense_weight) * (keyword.get(item, 0.0) / best if best > 0 else 0.0)
        for item in candidates
    }
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


class HybridSearch:
    """Finds the passages of one collection that best match a query."""

    def __init__(
        self, settings: Settings, catalog: CatalogStore, store: Callable[[], VectorStore], embedder: Embedder
    ) -> None:
        self._settings = settings
        self._catalog = catalog
        self._store = store  # opened at the first search: on a full disk Chroma cannot open, the keywords still read
        self._embedder = embedder

    def search(
        self,
        query: str,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        query_vector: Sequence[float] | None = None,
    ) -> list[Passage]:
        """Top ``k`` passages, best first, optionally limited to some source files.

        ``query_vector`` is the query's embedding when the caller already has it.
        """
        checkpoint("retrieve")
        k = k or self._settings.retrieval.k
        settings = self._settings
        n = max(settings.retrieval.candidates, k)
        vector = list(query_vector) if query_vector is not None else self._embedder.embed(query)
        # Vectors are sentences, several per chunk: ask for many, so that the n best chunks are among them
        # and most keyword candidates get their own similarity (the rest get the floor, an upper bound).
        try:
            hits = self._store().query(vector, 10 * n, sources)
        except StoreError as exc:
            if not no_room(exc):
                raise
            # Chroma's embedded store writes as it opens, so on a full disk it cannot search while the keyword
            # index still reads: answer from keywords alone rather than not at all.
            logger.warning("%s; searching by keywords alone until then", exc)
            hits = DenseHits({}, floor=0.0)
        dense_ids = list(hits.best)[:n]
        # One catalog snapshot for both reads: a file replaced in between would otherwise give chunks of
        # its old version (keyword) next to chunks of its new one (dense).
        with self._catalog.snapshot():
            keyword = self._catalog.keywords.search(settings.storage.collection, query, n, sources)
            records: dict[str, ChunkRecord] = {record.chunk_id: record for record, _ in keyword}
            missing = [c for c in dense_ids if c not in records]
            records.update(self._catalog.records.chunks(settings.storage.collection, missing))
        # Vectors the catalog does not list (an interrupted ingest) drop out here.
        dense_ids = [chunk_id for chunk_id in dense_ids if chunk_id in records]
        keyword_ids = [record.chunk_id for record, _ in keyword]
        if settings.retrieval.fusion == "rrf":
            fused = reciprocal_rank_fusion([dense_ids, keyword_ids], settings.retrieval.rrf_k)
        else:
            candidates = list(dict.fromkeys(dense_ids + keyword_ids))
            dense = {
                chunk_id: stating_similarity(
                    hits, chunk_id, records[chunk_id].text, settings.retrieval.second_sentence_weight
                )
                for chunk_id in candidates
            }
            terms = content_terms(query)
            scores = {record.chunk_id: score * stating_share(terms, record.text) for record, score in keyword}
            fused = weighted_fusion(dense, scores, candidates, settings.retrieval.dense_weight)
            # Rank-only fusion keeps its own order: its scores (~0.03) are on another scale than the penalty.
            fused = spread_sources(
                fused, {chunk_id: records[chunk_id].source for chunk_id, _ in fused}, settings.retrieval.source_spread
            )
        # A passage's score stays its own relevance, 0 to 1; the spread changes only the order.
        return [_passage(records[chunk_id], min(1.0, score)) for chunk_id, score in fused[:k]]


@lru_cache(maxsize=8192)
def _silent(text: str) -> tuple[bool, ...]:
    """Which of a chunk's sentences (numbered as its sentence vectors are) assert nothing: questions, a quiz's
    options. Empty when none can (most prose, told apart by one quick test)."""
    if not may_assert_nothing(text):
        return ()
    return tuple(asserts_nothing(text[start:end]) for start, end in sentence_spans(text) or [(0, len(text))])


@lru_cache(maxsize=1024)
def _stating_terms(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The content terms of a chunk's stating sentences, and those of the whole chunk."""
    spans = sentence_spans(text) or [(0, len(text))]
    silent = _silent(text)
    stating = " ".join(text[start:end] for (start, end), quiet in zip(spans, silent, strict=True) if not quiet)
    return frozenset(content_terms(stating)), frozenset(content_terms(text))


def stating_similarity(hits: DenseHits, chunk_id: str, text: str, second_weight: float) -> float:
    """A chunk's dense score: its best sentence that states something, plus ``second_weight`` of how far its
    second best rises above the floor. A sentence the vector query did not reach counts as the floor."""
    silent = _silent(text)
    reached = [
        similarity
        for similarity, number in hits.sentences.get(chunk_id, [])
        if not (0 <= number < len(silent) and silent[number])
    ]
    best = reached[0] if reached else hits.floor
    second = reached[1] if len(reached) > 1 else hits.floor
    return best + second_weight * (second - hits.floor)


def stating_share(query_terms: set[str], text: str) -> float:
    """The share of the query's terms found in a chunk that its stating sentences hold (1.0 for plain prose)."""
    if not any(_silent(text)):
        return 1.0
    stating, whole = _stating_terms(text)
    found = len(query_terms & whole)
    return len(query_terms & stating) / found if found else 1.0


def spread_sources(
    ranked: Sequence[tuple[str, float]], sources: dict[str, str], penalty: float
) -> list[tuple[str, float]]:
    """The passages reordered as if each lost ``penalty`` for every passage of the same source ranked above it;
    each keeps its own score."""
    if not penalty:
        return list(ranked)
    seen: dict[str, int] = {}
    spread = []
    for chunk_id, score in ranked:
        source = sources[chunk_id]
        spread.append((score - penalty * seen.get(source, 0), chunk_id, score))
        seen[source] = seen.get(source, 0) + 1
    return [(chunk_id, score) for _, chunk_id, score in sorted(spread, key=lambda item: (-item[0], item[1]))]


def _passage(record: ChunkRecord, score: float) -> Passage:
    return Passage(
        source=record.source,
        chunk_id=record.chunk_id,
        start=record.start,
        end=record.end,
        page=record.page,
        text=record.text,
        section=record.section,
        score=round(score, 6),
    )


class PassageRetriever(BaseRetriever):
    """LangChain retriever over the hybrid search: the Assistant's own first step, and the seam for tools
    that build their own chains. Each Document's metadata carries source, chunk_id, offsets, page, score."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: Any
    k: int = 5
    sources: list[str] | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        query_vector: Sequence[float] | None = None,
    ) -> list[Document]:
        return [
            Document(page_content=passage.text, metadata=passage.model_dump(exclude={"text"}))
            for passage in self.search.search(query, k or self.k, self.sources, query_vector)
        ]


def passage_from_document(document: Document) -> Passage:
    """The Passage a PassageRetriever Document was made from."""
    return Passage(text=document.page_content, **document.metadata)
