"""Keyword search on large collections scores only the rows of the query's rarest terms."""

from pathlib import Path

import pytest

import assistant.index.keywords as keywords_module
from assistant.index.catalog import Catalog
from tests.fixtures.catalog import add_texts


def _ids(catalog: Catalog, collection: str, query: str, n: int = 10) -> list[str]:
    return [record.chunk_id for record, _ in catalog.keywords.search(collection, query, n)]


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    catalog = Catalog(tmp_path / "catalog.db")
    # 'infection' is in a third of the chunks, 'ferret' in three of them.
    texts = [f"Report {n} of the {'surgical' if n % 3 else 'infection'} ward." for n in range(300)]
    texts[10] = "Ferret infection ward."
    texts[20] = "A ferret model in the surgical ward."
    texts[30] = "Ferret seen in the surgical ward."
    add_texts(catalog, "lab", "notes.txt", texts)
    return catalog


def test_within_the_budget_every_term_counts(catalog: Catalog) -> None:
    ranked = _ids(catalog, "lab", "ferret infection", 5)
    assert ranked[0] == "notes.txt-10"  # the only chunk with both terms
    assert len(ranked) == 5  # infection-only chunks fill the list


def test_over_the_budget_only_rows_with_a_rare_term_are_ranked_with_every_terms_score(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = dict(catalog.keywords.search("lab", "ferret infection", 5))
    monkeypatch.setattr(keywords_module, "KEYWORD_ROW_BUDGET", 100)
    pruned = catalog.keywords.search("lab", "ferret infection", 5)
    # The 100 infection-only rows are not ranked; the ferret rows keep their full scores and order.
    assert pruned[0][0].chunk_id == "notes.txt-10"
    assert sorted(record.chunk_id for record, _ in pruned) == ["notes.txt-10", "notes.txt-20", "notes.txt-30"]
    assert all(score == pytest.approx(full[record]) for record, score in pruned)
    # A query of common terms only still searches its rarest one.
    assert len(_ids(catalog, "lab", "infection ward", 5)) == 5


def test_over_the_budget_the_top_rows_are_those_of_a_full_search_when_rare_terms_decide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = Catalog(tmp_path / "catalog.db")
    texts = [f"Note {n}: {'the ward was cleaned' if n % 4 else 'an infection in the ward'}." for n in range(400)]
    for n in range(0, 400, 20):  # some rows with the rare term, with and without the common one
        texts[n] = f"Ferret {'infection' if n % 40 else 'sighting'} number {n}" + " and so on" * (n // 20) + "."
    add_texts(catalog, "lab", "notes.txt", texts)
    full = [
        (record.chunk_id, round(score, 9)) for record, score in catalog.keywords.search("lab", "ferret infection", 10)
    ]
    monkeypatch.setattr(keywords_module, "KEYWORD_ROW_BUDGET", 30)
    pruned = [
        (record.chunk_id, round(score, 9)) for record, score in catalog.keywords.search("lab", "ferret infection", 10)
    ]
    assert pruned == full


def test_row_counts_follow_new_documents_from_this_and_other_connections(catalog: Catalog, tmp_path: Path) -> None:
    assert _ids(catalog, "lab", "okapi") == []
    add_texts(catalog, "lab", "more.txt", ["An okapi in the ward."])
    assert _ids(catalog, "lab", "okapi") == ["more.txt-0"]
    other = Catalog(tmp_path / "catalog.db")
    add_texts(other, "lab", "zoo.txt", ["A quokka in the ward."])
    other.close()
    assert _ids(catalog, "lab", "quokka") == ["zoo.txt-0"]
