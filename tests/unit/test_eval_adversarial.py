"""The adversarial set generator on a small SQuAD-format file made here: swaps, balance, determinism."""

import json
from pathlib import Path

import pytest

from assistant import InputError
from eval.adversarial import build, candidates
from eval.gold import check_sources, load_gold
from eval.names import names_in
from eval.questions import Library
from eval.squad import read_squad

TOWNS = [
    # place, founder, founded, wreck year, goods, boats
    ("Port Elwin", "Mara Quist", 1652, 1788, ("wool", "cheese", "timber"), 40),
    ("Dunmore Bay", "Olaf Brenn", 1731, 1826, ("salt", "herring", "rope"), 55),
    ("Kestrel Point", "Ines Varga", 1804, 1911, ("slate", "apples", "cider"), 23),
    ("Saltmere", "Tomas Reyk", 1699, 1867, ("linen", "honey", "peat"), 31),
]


def town(index: int) -> dict:
    place, founder, founded, wreck, goods, boats = TOWNS[index]
    ship = ["Heron", "Gannet", "Plover", "Curlew"][index]
    context = (
        f"{place} is a small harbour town on a rocky coast. {founder} founded {place} in {founded}, after a storm "
        f"drove the settlers ashore. The harbour of {place} holds {boats} fishing boats. The town exports "
        f"{goods[0]}, {goods[1]} and {goods[2]}. The ship {ship} sank near {place} in {wreck}. To reach the "
        "lighthouse, visitors climb the cliff path and then cross the old stone bridge."
    )

    def qa(suffix: str, question: str, answer: str) -> dict:
        return {
            "id": f"t{index}{suffix}",
            "question": question,
            "answers": [{"text": answer, "answer_start": context.index(answer)}],
        }

    return {
        "title": place.replace(" ", "_"),
        "paragraphs": [
            {
                "context": context,
                "qas": [
                    qa("a", f"Who founded {place}?", founder),
                    qa("b", f"When did {founder} found {place}?", str(founded)),
                    qa("c", f"How many fishing boats does the harbour of {place} hold?", str(boats)),
                    qa("d", f"What goods does {place} export?", f"{goods[0]}, {goods[1]} and {goods[2]}"),
                    qa(
                        "e",
                        f"How do visitors reach the lighthouse of {place}?",
                        "climb the cliff path and then cross the old stone bridge",
                    ),
                    qa("f", f"When was {place} founded?", str(founded)),
                    qa("g", f"Which ship sank near {place} in {wreck}?", ship),
                ],
            }
        ],
    }


@pytest.fixture
def squad(tmp_path: Path) -> Path:
    path = tmp_path / "towns.json"
    path.write_text(json.dumps({"version": "1.1", "data": [town(i) for i in range(len(TOWNS))]}), encoding="utf-8")
    return path


def test_every_kind_is_made_and_false_premises_swap_in_terms_their_article_never_mentions(squad: Path) -> None:
    made = candidates(Library({"towns": read_squad(squad)}), seed=1)
    assert all(made[kind] for kind in ["false-premise", "numeric", "list", "how-to", "follow-up", "conversational"])
    articles = {
        f"towns/{a['title']}__p000.txt": a["paragraphs"][0]["context"] for a in json.loads(squad.read_text())["data"]
    }
    originals = {qa["question"] for a in json.loads(squad.read_text())["data"] for qa in a["paragraphs"][0]["qas"]}
    swapped_kinds = set()
    for premise in made["false-premise"]:
        provenance, item = premise.provenance, premise.item
        assert provenance["replacement"].casefold() not in articles[provenance["about"]].casefold()
        # Not a question another article answers: the rest of the question still ties it to its own article.
        assert item["question"] not in originals
        others = [name.text for name in names_in(item["question"]) if name.text != provenance["replacement"]]
        assert not any(
            provenance["replacement"] in text and any(o in text for o in others) for text in articles.values()
        )
        assert provenance["swapped"] not in item["question"] and provenance["replacement"] in item["question"]
        assert item["answers"] == [] and not item["answerable"] and "false-premise" in item["tags"]
        swapped_kinds.add("number" if provenance["swapped"].isdigit() else "name")
    assert swapped_kinds == {"name", "number"}
    lists = {m.item["question"]: m.item["required"] for m in made["list"]}
    assert lists["What goods does Port Elwin export?"] == ["wool", "cheese", "timber"]
    follow = next(m.item for m in made["follow-up"] if m.item["id"] == "towns-follow-up-t0f")
    assert follow["question"] == "When was it founded?" and "Port Elwin" in follow["history"][0]["content"]
    assert [turn["role"] for turn in follow["history"]] == ["user", "assistant"]
    assert all(len(m.item["question"]) > 2 * len(m.provenance["original"]) for m in made["conversational"])


def test_the_written_set_is_half_answerable_in_every_prefix_and_loads_as_gold(squad: Path, tmp_path: Path) -> None:
    summary = build({"towns": squad}, tmp_path / "out", seed=3)
    items = load_gold(tmp_path / "out" / "gold.jsonl")
    check_sources(items, tmp_path / "out" / "corpus", tmp_path / "out" / "gold.jsonl")
    assert summary["answerable"] == summary["unanswerable"] == len(items) // 2 > 0
    for size in range(2, len(items) + 1, 2):
        assert sum(item.answerable for item in items[:size]) == size // 2
    assert all(item.sources and item.sources[0].startswith("towns/") for item in items if item.answerable)
    provenance = (tmp_path / "out" / "provenance.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in provenance] == [item.id for item in items]


def test_the_same_seed_gives_the_same_set(squad: Path, tmp_path: Path) -> None:
    build({"towns": squad}, tmp_path / "a", seed=7)
    build({"towns": squad}, tmp_path / "b", seed=7)
    assert (tmp_path / "a" / "gold.jsonl").read_bytes() == (tmp_path / "b" / "gold.jsonl").read_bytes()
    capped = build({"towns": squad}, tmp_path / "c", seed=7, max_per_kind=1)
    assert capped["tags"]["false-premise"] == 1 and capped["n"] == 2


def test_no_dataset_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="give at least one dataset"):
        build({}, tmp_path / "out")


def test_the_cli_writes_the_set_and_prints_the_counts(squad: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from assistant.cli import main

    result = CliRunner().invoke(
        main, ["eval", "adversarial", "--xquad", str(squad), "--out", str(tmp_path / "out"), "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "answerable" in result.output and "false-premise" in result.output
    assert (tmp_path / "out" / "corpus" / "xquad").is_dir() and (tmp_path / "out" / "summary.json").is_file()
