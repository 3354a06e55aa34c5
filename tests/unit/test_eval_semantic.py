"""The semantic gold set (eval/semantic.py, eval/docs_gen.py): format v1, balance, splits, generated documents."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from eval.gold import GoldWarning, check_sources, load_gold
from eval.semantic import ANSWERABLE, UNANSWERABLE, build
from ingest.loaders import load_document
from tests.unit.test_eval_claims import COVID, XQUAD, squad  # noqa: F401  (the fixture: synthetic towns)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_set_loads_as_gold_v1_balanced_deterministic_and_split(squad: Path, tmp_path: Path) -> None:  # noqa: F811
    summary = build({"towns": squad}, tmp_path / "a", seed=2)
    build({"towns": squad}, tmp_path / "b", seed=2)
    assert (tmp_path / "a" / "gold.jsonl").read_bytes() == (tmp_path / "b" / "gold.jsonl").read_bytes()
    with pytest.warns(
        GoldWarning, match="unknown fields"
    ):  # fields beyond v1 (wrong_options, premise, ...) are kept and reported
        items = load_gold(tmp_path / "a" / "gold.jsonl")
    check_sources(items, tmp_path / "a" / "corpus")
    assert summary["answerable"] == summary["unanswerable"] == len(items) // 2
    assert [item.answerable for item in items[:10]] == [True, False] * 5
    kinds = {item.tags[0] for item in items}
    assert {
        "procedure",
        "table",
        "comparison",
        "list",
        "nearby-attribute",
        "hypothetical",
        "false-premise-named",
    } <= kinds
    assert kinds <= set(ANSWERABLE) | set(UNANSWERABLE)
    for item in items:
        assert ("dev" in item.tags) != ("test" in item.tags)
        assert ("unanswerable" in item.tags) == (not item.answerable)
    sides = {
        split: {
            source for item in items if split in item.tags for source in item.sources if source.startswith("articles/")
        }
        for split in ("dev", "test")
    }
    assert not sides["dev"] & sides["test"]


def test_generated_documents_hold_the_answers_and_not_the_missing_attributes(squad: Path, tmp_path: Path) -> None:  # noqa: F811
    build({"towns": squad}, tmp_path, seed=0)
    corpus = tmp_path / "corpus"
    rows = lines(tmp_path / "gold.jsonl")
    suffixes = {path.suffix for path in (corpus / "generated").iterdir()}
    assert {".docx", ".xlsx", ".pptx", ".md"} <= suffixes
    for row in rows:
        kind = row["tags"][0]
        if kind == "table":
            path = corpus / row["sources"][0]
            text = load_document(path).text
            assert any(answer in text for answer in row["answers"]), (row, text[:300])
        if kind in ("comparison", "procedure"):
            texts = " ".join(load_document(corpus / source).text for source in row["sources"])
            assert all(item in texts for item in row["required"])
        if kind == "procedure":
            text = (corpus / row["sources"][0]).read_text(encoding="utf-8")
            assert 6 <= sum(line[:2].rstrip(".").isdigit() for line in text.splitlines()) <= 8
            assert text.index("1. ") > 700  # the steps begin late in the first chunk, so chunking splits them
        if kind == "nearby-attribute":
            asked = row["question"].split("How many ")[1].split(" did ")[0]
            text = load_document(corpus / row["about"]).text.lower()
            assert asked.split()[0] not in text or row["given"].lower() in text


def test_semantic_data_command(squad: Path, tmp_path: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(main, ["eval", "semantic-data", "--xquad", str(squad), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "nearby-attribute" in result.output and (tmp_path / "gold.jsonl").is_file()


@pytest.mark.skipif(not (XQUAD.is_file() and COVID.is_file()), reason="shared XQuAD and COVID-QA not present")
def test_the_public_set_has_600_items_half_answerable_every_kind_on_both_sides(tmp_path: Path) -> None:
    summary = build({"xquad": XQUAD, "covid-qa": COVID}, tmp_path, seed=0)
    assert summary["n"] >= 600 and summary["answerable"] == summary["unanswerable"]
    for split in ("dev", "test"):
        assert all(summary["kinds_by_split"][split][kind] >= 10 for kind in [*ANSWERABLE, *UNANSWERABLE])
