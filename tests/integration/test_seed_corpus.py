"""The product's first promise, checked on the seed article through the CLI a user would type."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_ANSWERER", "extractive")
    return CliRunner()


def test_russia_question_is_answered_with_citations_that_slice_the_article(cli: CliRunner, seed_corpus: Path) -> None:
    ingested = cli.invoke(main, ["ingest", str(seed_corpus), "--collection", "seed"])
    assert ingested.exit_code == 0, ingested.output
    assert "1 added" in ingested.output

    result = cli.invoke(main, ["ask", "What does Russia demand?", "--json", "--collection", "seed"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) >= {"answer", "refused", "citations", "passages", "standalone_question", "timings"}
    assert not answer["refused"]
    assert "neutrality" in answer["answer"] and "demilitarization" in answer["answer"]
    article = (seed_corpus / "ukraine_nato_news.txt").read_text(encoding="utf-8")
    assert answer["citations"]
    for citation in answer["citations"]:
        assert f"[{citation['n']}]" in answer["answer"]
        assert Path(citation["source"]).name == "ukraine_nato_news.txt"
        assert article[citation["start"] : citation["end"]] == citation["text"]
        for highlight in citation["highlights"]:
            assert article[highlight["start"] : highlight["end"]] == highlight["text"]
    assert any("neutrality" in h["text"] for c in answer["citations"] for h in c["highlights"])
    assert set(answer["timings"]) == {"retrieve_s", "first_token_s", "answer_s", "total_s"}
    assert answer["refusal_reason"] is None and answer["unsupported"] == []


def test_question_the_article_cannot_answer_is_refused(cli: CliRunner, seed_corpus: Path) -> None:
    cli.invoke(main, ["ingest", str(seed_corpus), "-c", "seed"])
    result = cli.invoke(main, ["ask", "Who won the 1998 World Cup?", "--json", "-c", "seed"])
    answer = json.loads(result.stdout)
    assert answer["refused"] is True
    assert answer["answer"] == "I don't know based on the documents: they do not mention 1998 World Cup."
    assert answer["refusal_reason"] == "they do not mention 1998 World Cup"
    assert answer["citations"] == []


def test_reingesting_reports_the_article_unchanged(cli: CliRunner, seed_corpus: Path) -> None:
    cli.invoke(main, ["ingest", str(seed_corpus), "-c", "seed"])
    again = cli.invoke(main, ["ingest", str(seed_corpus), "-c", "seed"])
    assert again.exit_code == 0
    assert "1 unchanged -> collection 'seed'" in again.output
