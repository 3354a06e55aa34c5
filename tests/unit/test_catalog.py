import sqlite3
from pathlib import Path

from assistant.index.catalog import Catalog
from tests.fixtures.catalog import add_texts


def _ranking(catalog: Catalog, collection: str, query: str) -> list[tuple[str, float]]:
    return [(record.chunk_id, score) for record, score in catalog.keywords.search(collection, query, 10)]


def test_a_large_collection_leaves_another_collections_keyword_ranking_unchanged(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.db")
    add_texts(
        catalog,
        "kitchen",
        "tea.txt",
        [
            "Green tea wants water at 80 degrees and two minutes.",
            "Black tea wants boiling water and four minutes.",
            "Coffee is ground just before brewing.",
        ],
    )
    before = _ranking(catalog, "kitchen", "how long does black tea steep in water")
    # Thousands of chunks that all say 'tea' and 'water' would change BM25's document frequencies and
    # average length if the two collections shared one index.
    add_texts(
        catalog,
        "archive",
        "ledger.txt",
        [f"Shipment {n}: tea and water casks, tea chests, more tea." for n in range(2000)],
    )
    after = _ranking(catalog, "kitchen", "how long does black tea steep in water")
    assert next(chunk for chunk, _ in before) == "tea.txt-1"
    assert after == before
    assert all(chunk.startswith("ledger") for chunk, _ in _ranking(catalog, "archive", "tea chests"))


def test_removing_a_source_empties_only_its_own_collections_index(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.db")
    add_texts(catalog, "one", "a.txt", ["Saturn has many moons."])
    add_texts(catalog, "two", "a.txt", ["Saturn has rings of ice."])
    catalog.remove_source("one", "a.txt")
    assert _ranking(catalog, "one", "Saturn") == []
    assert [chunk for chunk, _ in _ranking(catalog, "two", "Saturn")] == ["a.txt-0"]


def test_a_catalog_with_the_old_shared_keyword_index_is_split_per_collection_on_open(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    Catalog(path).close()
    db = sqlite3.connect(path)
    # As a file written before migrations were recorded, with the one keyword table of older versions.
    db.execute("DROP TABLE schema_migrations")
    db.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(text, tokenize = 'porter unicode61')")
    for rowid, (collection, text) in enumerate(
        [("one", "Saturn has many moons."), ("two", "Jupiter has a red spot.")], 1
    ):
        db.execute(
            'INSERT INTO chunks (rowid, collection, chunk_id, source, start, "end", page, text) '
            "VALUES (?, ?, ?, 'a.txt', 0, ?, NULL, ?)",
            (rowid, collection, f"c{rowid}", len(text), text),
        )
        db.execute("INSERT INTO chunks_fts (rowid, text) VALUES (?, ?)", (rowid, text))
    db.commit()
    db.close()
    catalog = Catalog(path)
    assert [chunk for chunk, _ in _ranking(catalog, "one", "Saturn moons")] == ["c1"]
    assert _ranking(catalog, "two", "Saturn moons") == []
    assert [chunk for chunk, _ in _ranking(catalog, "two", "Jupiter")] == ["c2"]
    catalog.close()
    assert not sqlite3.connect(path).execute("SELECT 1 FROM sqlite_master WHERE name='chunks_fts'").fetchall()
