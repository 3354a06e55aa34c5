"""The registry of per-collection Assistants (assistant/app/registry.py): collections share one embedding model,
one answerer and one catalog per data folder; the default collection's Assistant stays, the others are kept
while among the 16 most recently used; nothing is loaded that a call does not need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import assistant.app.compose
from assistant.answering.answerers.extractive import ExtractiveAnswerer
from assistant.app.registry import CAPACITY, Registry
from assistant.errors import InputError
from assistant.models.embedder import FakeEmbedder
from assistant.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", collection="docs", answerer="extractive", embedder="fake")


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Settings]]:
    """The embedders and answerers the composition root builds, by kind."""
    made: dict[str, list[Settings]] = {"embedder": [], "answerer": []}

    def embedder(settings: Settings) -> FakeEmbedder:
        made["embedder"].append(settings)
        return FakeEmbedder()

    def answerer(settings: Settings, _embedder: Any) -> ExtractiveAnswerer:
        made["answerer"].append(settings)
        return ExtractiveAnswerer()

    monkeypatch.setattr(assistant.app.compose, "build_embedder", embedder)
    monkeypatch.setattr(assistant.app.compose, "build_answerer", answerer)
    return made


def test_collections_share_one_embedder_one_answerer_and_one_catalog(
    settings: Settings, builds: dict[str, list[Settings]]
) -> None:
    registry = Registry(settings)
    default, other = registry.assistant(), registry.assistant("reports")
    assert other.settings.storage.collection == "reports" and default.settings.storage.collection == "docs"
    assert other.embedder is default.embedder and other.answerer is default.answerer
    assert other.catalog is default.catalog is registry.catalog()
    assert (len(builds["embedder"]), len(builds["answerer"])) == (1, 1)
    assert registry.assistant("reports") is other and registry.assistant(None) is default


def test_the_default_stays_and_the_16_most_recently_used_others_are_kept(
    settings: Settings, builds: dict[str, list[Settings]]
) -> None:
    registry = Registry(settings)
    default = registry.assistant()
    first = {name: registry.assistant(name) for name in [f"c{n:02d}" for n in range(CAPACITY)]}
    registry.assistant("c00")  # used again: now the most recent
    registry.assistant("one-too-many")  # c01, the least recently used, makes room
    assert registry.assistant("c00") is first["c00"]
    assert registry.assistant("c02") is first["c02"]
    assert registry.assistant("c01") is not first["c01"]  # built again on its next use
    for name in (f"c{n:02d}" for n in range(20, 20 + 2 * CAPACITY)):
        registry.assistant(name)
    assert registry.assistant() is default  # never dropped, however many collections pass
    assert registry.assistant("c01").answerer is default.answerer  # a rebuilt Assistant shares the one answerer
    assert len(builds["answerer"]) == 1


def test_an_answerer_setting_builds_another_answerer_and_other_settings_reuse_it(
    settings: Settings, builds: dict[str, list[Settings]]
) -> None:
    registry = Registry(settings)
    default = registry.assistant()
    retrieval = registry.assistant_for(settings.updated(k=9, candidates=40, min_relevance=0.6, collection="binder"))
    shorter = registry.assistant_for(settings.updated(llm_max_tokens=64))
    assert retrieval.answerer is default.answerer and retrieval.pipeline.min_relevance == 0.6
    assert shorter.answerer is not default.answerer and shorter.embedder is default.embedder
    assert [made.llm.max_tokens for made in builds["answerer"]] == [settings.llm.max_tokens, 64]
    assert len(builds["embedder"]) == 1


def test_listing_documents_loads_no_model(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any) -> Any:
        raise AssertionError("a model was loaded to list documents")

    monkeypatch.setattr(assistant.app.compose, "build_embedder", refuse)
    monkeypatch.setattr(assistant.app.compose, "build_answerer", refuse)
    registry = Registry(settings)
    assert registry.assistant("reports").sources() == []
    assert registry.collections() == ["docs"]


def test_a_name_that_cannot_be_a_collection_is_refused_before_anything_is_built(settings: Settings) -> None:
    registry = Registry(settings)
    with pytest.raises(InputError, match="not a valid name"):
        registry.assistant("../outside")


def test_one_catalog_per_data_folder_without_default_settings(tmp_path: Path, settings: Settings) -> None:
    registry = Registry(embedder=FakeEmbedder())
    here = registry.assistant_for(settings)
    there = registry.assistant_for(settings.updated(collection="binder"))
    elsewhere = registry.assistant_for(settings.updated(data_dir=tmp_path / "other"))
    assert here.catalog is there.catalog is registry.catalog(settings.storage.data_dir)
    assert elsewhere.catalog is not here.catalog
    assert here.embedder is elsewhere.embedder  # the one given is everyone's
    registry.close()
