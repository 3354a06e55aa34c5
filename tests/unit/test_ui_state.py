"""The UI shares one loaded answerer between settings that only differ in collection, k or retrieval."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import assistant.app.compose
import ui.state
from assistant import Settings
from assistant.answering.answerers.extractive import ExtractiveAnswerer


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Settings]]:
    """Every answerer the app builds, whichever module builds it."""
    calls: list[Settings] = []

    def build(settings: Settings, embedder: object) -> ExtractiveAnswerer:
        calls.append(settings)
        return ExtractiveAnswerer()

    monkeypatch.setattr(assistant.app.compose, "build_answerer", build)
    ui.state.registry.clear()  # the process's registry, as in a freshly started app
    yield calls
    ui.state.registry.clear()


def test_changing_collection_or_k_reuses_the_loaded_answerer(built: list[Settings], tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path, collection="first", answerer="extractive", embedder="fake", k=5)
    first = ui.state.get_assistant(base)
    second = ui.state.get_assistant(base.updated(collection="second", k=9, candidates=40, min_relevance=0.6))
    assert second.settings.storage.collection == "second" and second.settings.retrieval.k == 9
    assert second.pipeline.min_relevance == 0.6
    assert first.answerer is second.answerer
    assert len(built) == 1
    # One catalog per data folder: the pages' (collection counts) is the Assistants'.
    assert first.catalog is second.catalog is ui.state.catalog(str(tmp_path))


def test_changing_an_answerer_setting_builds_a_new_answerer(built: list[Settings], tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path, collection="first", answerer="extractive", embedder="fake")
    first = ui.state.get_assistant(base)
    shorter = ui.state.get_assistant(base.updated(llm_max_tokens=64))
    assert first.answerer is not shorter.answerer
    assert [settings.llm.max_tokens for settings in built] == [base.llm.max_tokens, 64]


def sidebar() -> AppTest:
    def script() -> None:
        from ui.state import sidebar_settings

        sidebar_settings()

    app = AppTest.from_function(script, default_timeout=30)
    app.run()
    return app


@pytest.mark.parametrize(("configured", "top"), [("5", 10), ("20", 20), ("50", 50)])
def test_the_k_slider_allows_the_configured_k(
    configured: str, top: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QA_K", configured)
    app = sidebar()
    assert not app.exception
    slider = app.sidebar.slider[0]
    assert (slider.max, slider.value) == (top, int(configured))
