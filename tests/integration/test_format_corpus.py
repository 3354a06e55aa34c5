"""The generated corpus of slides, workbooks, CSV, an e-book, an e-mail, a scanned PDF and a laid-out PDF,
ingested on real parts (Chroma, the embedding model, the catalog): each fact is found and cited at its
slide, sheet row, chapter, page or e-mail part, with offsets that slice the stored text."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import Assistant, Settings, build_assistant
from assistant.cli import main
from assistant.models.embedder import Embedder
from assistant.types import Span
from tests.fixtures.formats import FACTS, Fact, write_corpus

HAS_TESSERACT = shutil.which("tesseract") is not None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("formats") / "docs")


@pytest.fixture(scope="module")
def assistant(corpus: Path, real_embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), collection="formats", answerer="extractive")
    built = build_assistant(settings, embedder=real_embedder)
    built.report = built.ingest([corpus])  # type: ignore[attr-defined]
    yield built
    built.catalog.close()


def facts() -> list[Fact]:
    return [fact for fact in FACTS if HAS_TESSERACT or "scan" not in fact.file]


def assert_cited_at(assistant: Assistant, span: Span, fact: Fact) -> None:
    """The span holds the answer's words, in the fact's file, at its page and section, and its offsets slice
    the text the catalog stored."""
    assert Path(span.source).name == fact.file
    assert fact.answer in span.text
    assert span.page == fact.page
    assert span.section.endswith(fact.section) if fact.section else span.section == ""
    assert (assistant.document_text(span.source) or "")[span.start : span.end] == span.text


def test_every_generated_file_ingests(assistant: Assistant) -> None:
    results = {Path(result.source).name: result for result in assistant.report.results}  # type: ignore[attr-defined]
    assert len(results) == 7
    for name, result in results.items():
        if "scan" in name and not HAS_TESSERACT:
            assert result.status == "failed" and "Tesseract is not installed" in result.reason
            continue
        assert result.status == "added" and result.chunks > 0 and not result.warning, result


@pytest.mark.parametrize("fact", facts(), ids=lambda fact: f"{fact.file}:{fact.answer}")
def test_search_finds_each_fact_at_its_place(assistant: Assistant, fact: Fact) -> None:
    passages = assistant.search(fact.question, 3)
    holding = [p for p in passages if fact.answer in p.text and Path(p.source).name == fact.file]
    assert holding, [(Path(p.source).name, p.section, p.text[:60]) for p in passages]
    assert_cited_at(assistant, holding[0], fact)


@pytest.mark.parametrize("fact", facts(), ids=lambda fact: f"{fact.file}:{fact.answer}")
def test_extractive_answers_cite_each_fact_at_its_place(assistant: Assistant, fact: Fact) -> None:
    answer = assistant.ask(fact.question)
    assert not answer.refused, answer.refusal_reason
    cited = [citation for citation in answer.citations if fact.answer in citation.text]
    assert cited, answer
    assert_cited_at(assistant, cited[0], fact)
    for highlight in cited[0].highlights:
        assert (assistant.document_text(cited[0].source) or "")[highlight.start : highlight.end] == highlight.text


def test_the_keyword_index_holds_section_paths(assistant: Assistant) -> None:
    # 'speaker notes' is in no slide's text, only in the notes' section path.
    found = assistant.catalog.keywords.search("formats", "speaker notes", 5)
    assert found and all(record.section.endswith("speaker notes") for record, _ in found)
    assert all("speaker" not in record.text for record, _ in found)


def test_a_changed_file_is_rechunked_and_an_unchanged_one_left(assistant: Assistant, corpus: Path) -> None:
    report = assistant.ingest([corpus])
    assert report.count("unchanged") == (7 if HAS_TESSERACT else 6)


def test_terminal_citations_and_search_show_the_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus: Path
) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_EMBEDDER", "fake")
    monkeypatch.setenv("QA_ANSWERER", "extractive")
    cli = CliRunner()
    assert cli.invoke(main, ["ingest", str(corpus / "ferry_stats.xlsx")]).exit_code == 0
    asked = cli.invoke(main, ["ask", "How many passengers did the Island Shuttle route carry in 2025?"])
    assert asked.exit_code == 0
    assert "[1] ferry_stats.xlsx, Routes > row 3, chars " in asked.output
    searched = cli.invoke(main, ["search", "Island Shuttle passengers", "-k", "1"])
    assert "1. ferry_stats.xlsx, Routes > row 3, chars " in searched.output
