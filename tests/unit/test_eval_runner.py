"""run_eval against a real Assistant (real Chroma and catalog in a temp dir, hash-seeded embedder)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant import Assistant, InputError, Settings, build_assistant
from assistant.answerers.base import Answerer
from assistant.embedder import FakeEmbedder
from assistant.evidence import Evidence
from eval.report import aggregate
from eval.runner import eval_collection_name, eval_settings, run_eval

QUESTION = '{"id": "q1", "question": "When do bees swarm?", "answers": ["spring"], "sources": ["bees.txt"]}\n'


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "bees.txt").write_text("Bees swarm in spring when the hive grows crowded.\n", encoding="utf-8")
    return folder


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text(QUESTION, encoding="utf-8")
    return path


def harness(settings: Settings, corpus: Path, collection: str | None = None) -> Assistant:
    """The assistant `qa eval` builds for ``corpus`` (its own collection unless one is named)."""
    return build_assistant(eval_settings(settings, corpus, collection=collection), embedder=FakeEmbedder())


def user_collection(make_assistant: Callable[..., Assistant], tmp_path: Path, name: str) -> Assistant:
    own = tmp_path / "my-notes.txt"
    own.write_text("My own notes about the garden and its hedges.\n", encoding="utf-8")
    assistant = make_assistant(embedder=FakeEmbedder(), collection=name)
    assistant.ingest([own])
    return assistant


def test_eval_refuses_a_user_collection_holding_other_documents_and_keeps_them(
    settings: Settings, make_assistant: Callable[..., Assistant], tmp_path: Path, corpus: Path, gold: Path
) -> None:
    mine = user_collection(make_assistant, tmp_path, "mydocs")
    with pytest.raises(InputError) as error:
        run_eval(corpus, gold, harness(settings, corpus, "mydocs"))
    message = str(error.value)
    assert "'mydocs'" in message and "holds 1 source(s)" in message and "Omit --collection" in message
    assert [Path(record.source).name for record in mine.sources()] == ["my-notes.txt"]


def test_eval_accepts_a_new_user_collection(settings: Settings, corpus: Path, gold: Path) -> None:
    records, info = run_eval(corpus, gold, harness(settings, corpus, "fresh-one"))
    assert len(records) == 1 and info["settings"]["collection"] == "fresh-one"


def test_eval_prunes_its_own_collection_of_files_gone_from_the_corpus(
    settings: Settings, make_assistant: Callable[..., Assistant], tmp_path: Path, corpus: Path, gold: Path
) -> None:
    own = user_collection(make_assistant, tmp_path, eval_collection_name(corpus))
    run_eval(corpus, gold, harness(settings, corpus))
    assert [Path(record.source).name for record in own.sources()] == ["bees.txt"]


def test_eval_rejects_a_limit_below_one(settings: Settings, corpus: Path, gold: Path) -> None:
    with pytest.raises(InputError, match="limit 0"):
        run_eval(corpus, gold, harness(settings, corpus), limit=0)


class WrongNumbers(Answerer):
    """Cites the shown passage once and a passage that was never shown once."""

    name = "scripted"

    def stream(self, evidence: Evidence) -> Iterator[str]:
        yield "Bees swarm in spring [1]."
        yield " The hive grows crowded [9]."


def test_raw_citation_validity_sees_markers_validation_removed(settings: Settings, corpus: Path, gold: Path) -> None:
    settings = settings.model_copy(update={"collection": eval_collection_name(corpus)})
    assistant = build_assistant(settings, embedder=FakeEmbedder(), answerer=WrongNumbers())
    records, _ = run_eval(corpus, gold, assistant)
    assert "[9]" not in records[0]["answer"]
    assert records[0]["citation_validity"] == 1.0
    assert records[0]["raw_citation_validity"] == 0.5
    assert aggregate(records)["raw_citation_validity"] == 0.5
