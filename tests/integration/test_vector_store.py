"""The sentence-vector layout in a real Chroma store: a chunk scores as its best sentence."""

from pathlib import Path

import pytest

from assistant.index.store import VectorStore, chunk_of, connect, embedding_units
from assistant.models.embedder import FakeEmbedder
from assistant.settings import Settings
from assistant.types import ChunkRecord


def _store(tmp_path: Path) -> VectorStore:
    settings = Settings(data_dir=tmp_path)
    return VectorStore(connect(settings), "unit-vectors", FakeEmbedder)


def test_each_sentence_of_a_chunk_is_a_unit_with_an_id_that_names_the_chunk() -> None:
    chunk = ChunkRecord("c0ffee", "a.txt", 0, 43, None, "Tea grows in Assam. It is picked by hand.")
    units = embedding_units([chunk])
    assert [(u.vector_id, u.text) for u in units] == [
        ("c0ffee-0", "Tea grows in Assam."),
        ("c0ffee-1", "It is picked by hand."),
    ]
    assert {chunk_of(u.vector_id) for u in units} == {"c0ffee"}
    # Stores written before sentence vectors used the chunk id itself.
    assert chunk_of("c0ffee") == "c0ffee"


def test_a_query_ranks_chunks_by_their_best_sentence_and_reports_the_floor(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.upsert(
        ["a-0", "a-1", "b-0", "c-0"],
        [[0.6, 0.8, 0.0], [1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0]],
        ["a.txt", "a.txt", "b.txt", "c.txt"],
    )
    hits = store.query([1.0, 0.0, 0.0], 3)
    assert list(hits.best) == ["a", "b"]  # the nearest vector is a's second sentence; c is not reached
    assert round(hits.best["a"], 3) == 1.0 and round(hits.best["b"], 3) == 0.8
    assert round(hits.floor, 3) == 0.6  # the third vector returned: a's first sentence
    assert list(store.query([1.0, 0.0, 0.0], 3, sources=["b.txt", "c.txt"]).best) == ["b", "c"]
    assert store.chunk_ids_for_source("a.txt") == ["a"]


def test_a_book_with_more_sentences_than_one_chroma_call_takes_is_stored_whole(tmp_path: Path) -> None:
    store = _store(tmp_path)
    count = 6000  # Chroma 1.5 refuses more than 5,461 records in one call
    ids = [f"book{n // 10}-{n % 10}" for n in range(count)]
    store.upsert(ids, [[1.0, float(n), 0.0] for n in range(count)], ["book.txt"] * count)
    assert store.count() == count
    store.delete(store.ids_for_source("book.txt"))
    assert store.count() == 0


def test_checking_and_removing_never_load_the_embedding_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.app.compose
    from assistant import build_assistant

    doc = tmp_path / "harbour.txt"
    doc.write_text("The harbour master raises a red flag when winds pass 40 knots.", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", collection="lazy", answerer="extractive")
    build_assistant(settings, embedder=FakeEmbedder()).ingest([doc])

    def no_model(settings: Settings) -> FakeEmbedder:
        raise AssertionError("the embedding model was loaded")

    monkeypatch.setattr(assistant.app.compose, "build_embedder", no_model)
    fresh = build_assistant(settings)
    assert fresh.verify().ok
    assert fresh.remove(doc).status == "removed"
