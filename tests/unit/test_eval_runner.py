"""run_eval against a real Assistant (real Chroma and catalog in a temp dir, hash-seeded embedder)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant import Assistant, InputError, Settings, build_assistant
from assistant.answering.answerers.base import Answerer
from assistant.answering.evidence import Evidence
from assistant.chats.feedback import FeedbackStore, settings_snapshot
from assistant.models.embedder import FakeEmbedder
from eval.feedback_gold import gold_items, write_items
from eval.report import aggregate
from eval.runner import eval_collection_name, eval_settings, is_eval_collection, run_eval, run_on_collection

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
    assert "'mydocs'" in message and "holds 1 source(s)" in message and "qa eval --collection mydocs" in message
    assert [Path(record.source).name for record in mine.sources()] == ["my-notes.txt"]


def test_eval_accepts_a_new_user_collection(settings: Settings, corpus: Path, gold: Path) -> None:
    records, info = run_eval(corpus, gold, harness(settings, corpus, "fresh-one"))
    assert len(records) == 1 and info["settings"]["storage"]["collection"] == "fresh-one"


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
    settings = settings.updated(collection=eval_collection_name(corpus))
    assistant = build_assistant(settings, embedder=FakeEmbedder(), answerer=WrongNumbers())
    records, _ = run_eval(corpus, gold, assistant)
    assert "[9]" not in records[0]["answer"]
    assert records[0]["citation_validity"] == 1.0
    assert records[0]["raw_citation_validity"] == 0.5
    assert aggregate(records)["raw_citation_validity"] == 0.5


HANDBOOK = (
    "# Staff handbook\n\n## Holidays\nEvery employee gets 25 days of paid holiday per year. Unused days may be carried "
    "over until March.\n\n## Expenses\nTravel costs are refunded within 30 days when the receipt is attached.\n"
)
HOLIDAY_QUESTION = "How many days of paid holiday does an employee get?"


@pytest.fixture
def team(make_assistant: Callable[..., Assistant], tmp_path: Path) -> Assistant:
    """A user's collection built from an uploads folder that also holds a failed upload, never ingested."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    (uploads / "garden.txt").write_text("The hedge is trimmed in June by the gardener.\n", encoding="utf-8")
    (uploads / "broken.pdf").write_bytes(b"%PDF-1.4 not a pdf")
    assistant = make_assistant(collection="team")
    assistant.ingest([uploads / "handbook.md", uploads / "garden.txt"])
    return assistant


def corrections_gold(assistant: Assistant, tmp_path: Path, *corrections: str) -> Path:
    """Ask the holiday question, save each correction as the Chat page does, export them as the Evaluation page does."""
    answer = assistant.ask(HOLIDAY_QUESTION)
    store = FeedbackStore.in_folder(assistant.settings.storage.data_dir)
    for position, correction in enumerate(corrections, start=1):
        store.save(
            conversation_id="chat1",
            position=position,
            question=HOLIDAY_QUESTION,
            history=[],
            answer=answer.model_dump(),
            settings=settings_snapshot(assistant.settings),
            correction=correction,
            note="the answer was wrong",
        )
    gold = tmp_path / "team-feedback.jsonl"
    write_items(gold_items(store.corrected(), [record.source for record in assistant.sources()]), gold)
    return gold


@pytest.mark.integration  # the team collection is embedded by the real model
def test_a_correction_scores_on_the_collection_itself_without_ingesting_anything(
    team: Assistant, tmp_path: Path
) -> None:
    gold = corrections_gold(team, tmp_path, "25 days")
    before = team.catalog.records.collections()
    ticks: list[tuple[int, int]] = []
    records, info = run_on_collection(gold, team, progress=lambda done, total, _name: ticks.append((done, total)))
    [record] = records
    assert record["answer_contains"] == 1.0 and "25 days" in record["answer"]
    # The gold source (relative to the uploads folder) is matched to the stored path: the hit counts.
    assert record["hit@1"] == 1.0 and record["citation_precision"] == 1.0
    assert info["collection"] == "team" and info["gold_warnings"] == []
    assert ticks == [(0, 1), (1, 1)]
    # No collection made, none changed (the failed upload beside the documents was never read).
    assert team.catalog.records.collections() == before and all(not is_eval_collection(name) for name, *_ in before)


@pytest.mark.integration  # the team collection is embedded by the real model
def test_a_sentence_correction_scores_by_its_key_words(team: Assistant, tmp_path: Path) -> None:
    sentence = "Each member of staff is given 25 days of paid holiday in every year"
    [record] = run_on_collection(corrections_gold(team, tmp_path, sentence), team)[0]
    assert record["gold_answers"] == [sentence] and record["answer_contains"] == 1.0
    assert record["hit@1"] == 1.0


@pytest.mark.integration  # the team collection is embedded by the real model
def test_a_wrong_correction_does_not_score(team: Assistant, tmp_path: Path) -> None:
    [record] = run_on_collection(corrections_gold(team, tmp_path, "40 days"), team)[0]
    assert record["answer_contains"] == 0.0


def test_a_collection_without_documents_is_refused_by_name(
    make_assistant: Callable[..., Assistant], tmp_path: Path, gold: Path
) -> None:
    with pytest.raises(InputError, match="collection 'nothing-here' holds no documents"):
        run_on_collection(gold, make_assistant(embedder=FakeEmbedder(), collection="nothing-here"))


@pytest.mark.integration  # the team collection is embedded by the real model
def test_a_source_the_collection_does_not_hold_is_a_warning(team: Assistant, gold: Path) -> None:
    records, info = run_on_collection(gold, team)  # the bees question names bees.txt
    assert len(records) == 1 and records[0]["hit@5"] == 0.0
    [warning] = info["gold_warnings"]
    assert "'bees.txt'" in warning and "'team' does not hold" in warning
