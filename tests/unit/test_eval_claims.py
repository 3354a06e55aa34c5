"""The claim set generator (eval/claims_data.py) and its scorer (eval/claims.py), without any model: a small
SQuAD-format file made here, and the shared XQuAD and COVID-QA files when they are present."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from eval.claims import load_claims, score_claims, write_claims_report
from eval.claims_data import KINDS, SUPPORTED_KINDS, build, swap_terms
from eval.declaratives import Frame, frame

XQUAD = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "xquad-en" / "xquad.en.json"
COVID = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "covid-qa" / "covid-qa.json"
FOUNDERS = [
    "Mara Quist",
    "Olaf Brenn",
    "Ines Varga",
    "Tomas Reyk",
    "Lena Ostrow",
    "Piet Harlan",
    "Rosa Dunne",
    "Karl Vesey",
]
PLACES = [
    "Port Elwin",
    "Dunmore Bay",
    "Kestrel Point",
    "Saltmere",
    "Greyhaven",
    "Wexley Cove",
    "Brightwater",
    "Foxley Sound",
]
SHIPS = ["Heron", "Gannet", "Plover", "Curlew", "Osprey", "Petrel", "Tern", "Avocet"]


def town(i: int) -> dict:
    place, founder, ship = PLACES[i], FOUNDERS[i], SHIPS[i]
    rival = PLACES[(i + 1) % len(PLACES)]
    founded, wreck, boats = 1600 + 17 * i, 1780 + 11 * i, 20 + 7 * i
    context = (
        f"{place} is a small harbour town on a rocky northern coast. {founder} founded {place} in {founded}, after a "
        f"storm drove the first settlers ashore. The harbour of {place} holds {boats} fishing boats and two ferries. "
        f"The ship {ship} sank near {place} in {wreck} with all of its cargo. The rowing crew of {place} defeated "
        f"{rival} in the autumn regatta of {wreck + 3}. The old lighthouse was built in {founded + 40} by the council."
    )

    def qa(suffix: str, question: str, answer: str) -> dict:
        return {
            "id": f"t{i}{suffix}",
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
                    qa("c", f"Which ship sank near {place} in {wreck}?", ship),
                    qa("d", f"Who did the rowing crew of {place} defeat in the autumn regatta?", rival),
                    qa("e", "When was the old lighthouse built?", str(founded + 40)),
                ],
            }
        ],
    }


@pytest.fixture
def squad(tmp_path: Path) -> Path:
    path = tmp_path / "towns.json"
    path.write_text(json.dumps({"version": "1.1", "data": [town(i) for i in range(len(PLACES))]}), encoding="utf-8")
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def made(question: str, answer: str) -> Frame:
    found = frame(question, answer)
    assert found is not None
    return found


def test_questions_become_statements_by_rules_that_refuse_when_unsure() -> None:
    assert made("Who founded Port Elwin?", "Mara Quist").fill("Mara Quist") == "Mara Quist founded Port Elwin."
    statement = made("When did Mara Quist found Port Elwin?", "1652")
    assert statement.fill("1652") == "Mara Quist founded Port Elwin in 1652."
    assert statement.fill("1652", "negative") == "Mara Quist did not found Port Elwin in 1652."
    assert statement.fill("1652", "asked") == "Did Mara Quist found Port Elwin in 1652?"
    assert made("What did Queen Elizabeth II open in Newcastle in 1981?", "A bridge").fill("A bridge") == (
        "Queen Elizabeth II opened a bridge in Newcastle in 1981."
    )
    assert made("What is the capital of Poland?", "Warsaw").fill("Warsaw") == "The capital of Poland is Warsaw."
    assert frame("When was he elected?", "1973") is None  # a pronoun needs context
    assert frame("What did the fossils found in the shale lack?", "tentacles") is None  # two verbs: unsure


def test_the_set_is_deterministic_split_by_article_and_labelled_by_kind(squad: Path, tmp_path: Path) -> None:
    first = build({"towns": squad}, tmp_path / "a", seed=3)
    build({"towns": squad}, tmp_path / "b", seed=3)
    assert (tmp_path / "a" / "claims.jsonl").read_bytes() == (tmp_path / "b" / "claims.jsonl").read_bytes()
    items = lines(tmp_path / "a" / "claims.jsonl")
    assert first["n"] == len(items)
    sides = {split: {item["article"] for item in items if item["split"] == split} for split in ("dev", "test")}
    assert sides["dev"] and sides["test"] and not sides["dev"] & sides["test"]
    assert len(sides["dev"] | sides["test"]) <= len(PLACES)
    assert {item["kind"] for item in items} == set(KINDS)
    for item in items:
        assert item["label"] == ("supported" if item["kind"] in SUPPORTED_KINDS else "unsupported")
    build({"towns": squad}, tmp_path / "c", seed=4)
    assert (tmp_path / "c" / "claims.jsonl").read_bytes() != (tmp_path / "a" / "claims.jsonl").read_bytes()


def test_hand_checked_kinds(squad: Path, tmp_path: Path) -> None:
    build({"towns": squad}, tmp_path, seed=0)
    items = lines(tmp_path / "claims.jsonl")
    by_kind: dict[str, list[dict]] = {}
    for item in items:
        by_kind.setdefault(item["kind"], []).append(item)
    for item in by_kind["copy"]:
        assert item["sentences"] == [item["claim"]]
    for item in by_kind["relation-swap"]:
        (sentence,) = item["sentences"]
        assert item["claim"] != sentence
        assert Counter(re.findall(r"\w+", item["claim"])) == Counter(re.findall(r"\w+", sentence))
        first, second = item["exchanged"]
        assert sentence.replace(first, "\0").replace(second, first).replace("\0", second) == item["claim"]
    for item in by_kind["from-question"]:
        assert item["sentences"][-1].endswith("?")
        assert item["claim"].endswith(".")
    for item in by_kind["quiz-option"]:
        assert item["sentences"][0].startswith("Question: ") and item["sentences"][0].endswith("?")
        assert re.fullmatch(r"A\. .+ B\. .+ C\. .+", item["sentences"][1])
        assert item["answer"] not in item["claim"]
    for item in by_kind["negated"]:
        assert " not " in item["sentences"][-1] or "false" in item["sentences"][-1]
    for item in by_kind["wrong-answer"]:
        assert item["by"] in item["claim"] and item["replaced"] not in item["claim"]
        assert any(item["by"] in sentence for sentence in item["sentences"])
    paraphrases = {item["claim"] for item in by_kind["paraphrase"]}
    assert paraphrases & {f"{founder} founded {place}." for founder, place in zip(FOUNDERS, PLACES, strict=True)}


def test_swaps_leave_lists_and_other_names_alone() -> None:
    assert swap_terms("Visitors come from Port Elwin and Dunmore Bay every summer.") is None
    assert swap_terms("The disease is also known as Middle East Fever, or Desert Cough in older books.") is None
    swapped = swap_terms("The rowing crew of Port Elwin defeated Dunmore Bay in the regatta.")
    assert swapped is not None and swapped[0] == "The rowing crew of Dunmore Bay defeated Port Elwin in the regatta."


def overlap_judge(claim: str, sentences: list[str], question: str) -> tuple[bool, str]:
    """A toy judge: supported when every word of the claim occurs in the sentences."""
    words = set(re.findall(r"\w+", " ".join(sentences).lower()))
    missing = [word for word in re.findall(r"\w+", claim.lower()) if word not in words]
    return (not missing, f"not in the passage: {', '.join(missing)}" if missing else "")


def test_the_scorer_reports_per_kind_and_the_target_figures(tmp_path: Path) -> None:
    items = [
        {"id": "1", "kind": "copy", "label": "supported", "claim": "A met B.", "sentences": ["A met B."]},
        {"id": "2", "kind": "paraphrase", "label": "supported", "claim": "B was met.", "sentences": ["A met B."]},
        {"id": "3", "kind": "relation-swap", "label": "unsupported", "claim": "B met A.", "sentences": ["A met B."]},
        {"id": "4", "kind": "wrong-answer", "label": "unsupported", "claim": "C met B.", "sentences": ["A met B."]},
    ]
    records: list[dict] = []
    metrics = score_claims(items, overlap_judge, records=records)
    assert metrics["n"] == 4
    assert metrics["supported_kept"] == 0.5  # 'was' is not in the passage
    assert metrics["unsupported_removed"] == 0.5  # word overlap passes the swap
    assert metrics["relation_swap_removed"] == 0.0
    assert metrics["per_kind"]["wrong-answer"] == {"n": 1, "correct": 1.0}
    assert metrics["per_kind"]["copy"]["correct"] == 1.0
    assert metrics["seconds_per_item"] >= 0
    assert [record["correct"] for record in records] == [True, False, False, True]
    assert records[1]["reason"] == "not in the passage: was"
    report = write_claims_report(metrics, records, items, tmp_path, {"data": "x", "split": "test", "answerer": "toy"})
    assert report["metrics"] == metrics
    text = (tmp_path / "claims-report.md").read_text(encoding="utf-8")
    assert "| relation-swap | unsupported | 1 | 0.000 |" in text and "B met A." in text


def test_claims_data_command_and_loading_one_split(squad: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["eval", "claims-data", "--xquad", str(squad), "--out", str(tmp_path), "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["splits"]) == {"dev", "test"}
    test_items = load_claims(tmp_path / "claims.jsonl", "test", limit=3)
    assert len(test_items) == 3 and {item["split"] for item in test_items} == {"test"}
    assert test_items[0]["label"] != test_items[1]["label"]  # supported and unsupported in turn


@pytest.mark.skipif(not (XQUAD.is_file() and COVID.is_file()), reason="shared XQuAD and COVID-QA not present")
def test_the_public_sets_give_600_items_per_split_about_half_supported(tmp_path: Path) -> None:
    summary = build({"xquad": XQUAD, "covid-qa": COVID}, tmp_path, seed=0)
    for split in ("dev", "test"):
        counts = summary["splits"][split]
        assert counts["n"] >= 600
        assert abs(counts["supported"] - counts["unsupported"]) <= 0.1 * counts["n"]
        assert all(counts["kinds"][kind] >= 25 for kind in KINDS)
