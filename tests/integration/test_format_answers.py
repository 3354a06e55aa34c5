"""The real local model answers one question per generated format (slides and their notes, a sheet, a CSV,
an e-book, an e-mail, a scanned PDF, a two-column PDF and its table), citing the passage at its slide,
sheet row, chapter, page or e-mail part, with offsets that slice the stored text to the cited words."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant, Settings, build_assistant
from assistant.answering.answerers.generative import GenerativeAnswerer
from assistant.models.embedder import Embedder
from assistant.models.llm import LocalChatModel
from tests.fixtures.formats import FACTS, Fact, write_corpus

pytestmark = pytest.mark.llm


@pytest.fixture(scope="module")
def assistant(real_embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    corpus = write_corpus(tmp_path_factory.mktemp("formats") / "docs")
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), collection="formats", answerer="local")
    model = LocalChatModel(settings)
    built = build_assistant(
        settings, embedder=real_embedder, answerer=GenerativeAnswerer(model, settings, name="local")
    )
    built.ingest([corpus])
    yield built
    built.catalog.close()


def key_words(fact: Fact) -> str:
    """The part of the answer the written answer must carry: its number, else its longest word."""
    tokens = fact.answer.split()
    return next((token for token in tokens if re.search(r"\d", token)), max(tokens, key=len))


@pytest.mark.parametrize("fact", FACTS, ids=lambda fact: f"{fact.file}:{fact.answer}")
def test_the_model_answers_from_each_format_citing_the_right_place(assistant: Assistant, fact: Fact) -> None:
    if "scan" in fact.file and shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr is not installed (.ci/run installs it)")
    answer = assistant.ask(fact.question)
    assert not answer.refused, (answer.refusal_reason, answer.unsupported)
    assert key_words(fact) in answer.answer, answer.answer
    cited = [c for c in answer.citations if Path(c.source).name == fact.file and fact.answer in c.text]
    assert cited, [(Path(c.source).name, c.section, c.text[:80]) for c in answer.citations]
    citation = cited[0]
    stored = assistant.document_text(citation.source) or ""
    assert stored[citation.start : citation.end] == citation.text
    assert citation.page == fact.page
    assert citation.section.endswith(fact.section) if fact.section else citation.section == ""
    # The sentence the answer rests on, by its own offsets, holds the cited words.
    assert citation.highlights
    assert any(fact.answer in highlight.text for highlight in citation.highlights)
    for highlight in citation.highlights:
        assert stored[highlight.start : highlight.end] == highlight.text
