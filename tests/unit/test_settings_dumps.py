"""Reports and feedback rows keep the settings an answer was made with, by group and with a settings_version;
the ones written before the groups (flat names, no version) still read as before."""

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from assistant import Assistant
from assistant.chats.feedback import FILE_NAME, FeedbackStore, settings_snapshot
from assistant.models.embedder import FakeEmbedder
from assistant.settings import SETTINGS_VERSION, Settings, read_settings_dump
from eval.cli import eval_command
from eval.feedback_gold import corrections
from eval.plots import write_plots
from eval.report import markdown, write_report
from eval.runner import run_on_collection

GOLD = '{"id": "q1", "question": "When do bees swarm?", "answers": ["spring"], "sources": ["bees.txt"]}\n'


def bees(make_assistant: Callable[..., Assistant], tmp_path: Path, **overrides: Any) -> Assistant:
    (tmp_path / "bees.txt").write_text("Bees swarm in spring when the hive grows crowded.\n", encoding="utf-8")
    assistant = make_assistant(embedder=FakeEmbedder(), collection="bees", **overrides)
    assistant.ingest([tmp_path / "bees.txt"])
    return assistant


def test_a_report_keeps_its_settings_by_group_with_their_version_and_no_secret(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    assistant = bees(make_assistant, tmp_path, k=4, llm_api_key="sk-very-secret", api_keys=["serve-secret"])
    (tmp_path / "gold.jsonl").write_text(GOLD, encoding="utf-8")
    records, info = run_on_collection(tmp_path / "gold.jsonl", assistant)
    write_report(records, info, tmp_path / "report")
    stored = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert stored["settings"]["settings_version"] == SETTINGS_VERSION == 2
    assert stored["settings"]["retrieval"]["k"] == 4 and stored["settings"]["llm"]["answerer"] == "extractive"
    assert stored["settings"]["storage"]["collection"] == "bees"
    text = (tmp_path / "report" / "report.json").read_text(encoding="utf-8")
    assert "sk-very-secret" not in text and "serve-secret" not in text
    assert "api_key" not in stored["settings"]["llm"] and "api_keys" not in stored["settings"]["server"]
    assert "answerer `extractive`, k=4" in (tmp_path / "report" / "report.md").read_text(encoding="utf-8")


def old_report(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` as `qa eval` wrote it before the groups: its settings by flat name, no version."""
    return {
        **report,
        "settings": read_settings_dump(report["settings"]),
        "metrics": {**report["metrics"], "hit@1": 0.0},
    }


def test_an_old_report_is_shown_and_compared_with_a_new_one(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    assistant = bees(make_assistant, tmp_path)
    (tmp_path / "gold.jsonl").write_text(GOLD, encoding="utf-8")
    new = write_report(*run_on_collection(tmp_path / "gold.jsonl", assistant), tmp_path / "new")
    old = old_report(new)
    assert "settings_version" not in old["settings"] and old["settings"]["k"] == 5
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "report.json").write_text(json.dumps(old), encoding="utf-8")

    assert "answerer `extractive`, k=5" in markdown(old)
    assert [path.name for path in write_plots(old, tmp_path / "old")]  # the plots' title reads the answerer
    result = CliRunner().invoke(eval_command, ["compare", str(tmp_path / "old"), str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    assert "hit@1" in result.output and "0.0 ->" in result.output


def test_feedback_saved_before_the_groups_reads_as_before_beside_new_feedback(tmp_path: Path) -> None:
    store = FeedbackStore.in_folder(tmp_path)
    answer = {"answer": "In spring [1].", "citations": []}
    common: dict[str, Any] = {
        "question": "When do bees swarm?",
        "history": [],
        "answer": answer,
        "correction": "spring",
    }
    # A row as it was saved before the groups: the kept settings by flat name, no version.
    store.save(
        conversation_id="old", position=1, settings={"collection": "bees", "answerer": "extractive", "k": 5}, **common
    )
    settings = Settings(data_dir=tmp_path, collection="bees", answerer="extractive", k=3, llm_api_key="sk-secret")
    new = store.save(conversation_id="new", position=1, settings=settings_snapshot(settings), **common)

    assert new.settings["k"] == 3 and new.settings["collection"] == "bees"
    rows = {item.conversation_id: item.settings for item in store.all()}
    assert rows["old"] == {"collection": "bees", "answerer": "extractive", "k": 5}
    assert rows["new"]["k"] == 3 and rows["new"]["answerer"] == "extractive" and "llm_api_key" not in rows["new"]
    assert [item.conversation_id for item in corrections(store.all(), "bees")] == ["old", "new"]
    store.close()

    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        saved = dict(db.execute("SELECT conversation_id, settings FROM feedback").fetchall())
    assert json.loads(saved["old"]) == {"collection": "bees", "answerer": "extractive", "k": 5}
    grouped = json.loads(saved["new"])
    assert grouped["settings_version"] == 2 and grouped["retrieval"]["k"] == 3
    assert grouped["storage"] == {"collection": "bees"} and "sk-secret" not in saved["new"]
