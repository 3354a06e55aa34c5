import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from assistant import InputError
from eval.compare import compare, failed_floors, parse_floor
from eval.gold import GoldWarning, check_sources, load_gold
from eval.report import markdown, per_tag
from eval.squad import convert_squad


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = '{"id": "q1", "question": "What?", "answers": ["x"], "sources": ["a.txt"]}'


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "q2", "question": "Why?", "answers": "x"}', r"line 2: field 'answers': Input should be a valid list"),
        (
            '{"id": "q2", "question": "Why?", "answers": ["x"], "required": []}',
            "line 2: field 'item': 'required' must list",
        ),
        ('{"id": "q2", "question": "Why?" ', "line 2: not valid JSON"),
        ('{"id": "q1", "question": "Why?", "answers": ["y"]}', "line 2: field 'id': 'q1' already used on line 1"),
        (
            '{"id": "q2", "question": "Why?", "answers": ["y"], "answerable": false}',
            "line 2: field 'item': an unanswerable",
        ),
        ('["not", "an", "object"]', "line 2: expected a JSON object"),
    ],
)
def test_bad_gold_lines_are_named_by_file_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_gold(write_lines(tmp_path / "gold.jsonl", GOOD, line))


def test_an_empty_gold_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"gold.jsonl: the gold set is empty"):
        load_gold(write_lines(tmp_path / "gold.jsonl", ""))


def test_unknown_fields_are_kept_and_named_in_one_warning_per_file(tmp_path: Path) -> None:
    gold = write_lines(
        tmp_path / "gold.jsonl",
        '{"id": "q1", "question": "What?", "answers": ["x"], "colour": 1, "difficulty": "hard"}',
        '{"id": "q2", "question": "Who?", "answers": ["y"], "colour": 2, '
        '"history": [{"role": "user", "content": "Hi", "lang": "en"}]}',
    )
    with pytest.warns(GoldWarning) as caught:
        items = load_gold(gold)
    assert [str(w.message) for w in caught] == [
        "gold.jsonl: unknown fields kept and ignored: colour, difficulty, history[].lang"
    ]
    assert items[0].model_extra == {"colour": 1, "difficulty": "hard"} and items[1].history[0].model_extra == {
        "lang": "en"
    }


def test_a_known_gold_file_loads_without_a_warning(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_gold(write_lines(tmp_path / "gold.jsonl", GOOD))[0].required is None


def test_required_items_are_read(tmp_path: Path) -> None:
    line = (
        '{"id": "q1", "question": "What does Russia demand?", "answers": ["neutrality"], "required": '
        '["neutrality", "demilitarization"]}'
    )
    assert load_gold(write_lines(tmp_path / "gold.jsonl", line))[0].required == ["neutrality", "demilitarization"]


def test_a_gold_source_missing_from_the_corpus_is_named(tmp_path: Path) -> None:
    gold = write_lines(tmp_path / "gold.jsonl", GOOD)
    with pytest.raises(
        InputError, match=r"gold.jsonl: item 'q1' field 'sources': 'a.txt' is not a file in the corpus .* nor relative"
    ):
        check_sources(load_gold(gold), tmp_path / "corpus", gold)


def test_sources_may_be_relative_to_the_gold_files_folder(tmp_path: Path) -> None:
    corpus = tmp_path / "data" / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.txt").write_text("x")
    (tmp_path / "sets").mkdir()
    gold = write_lines(
        tmp_path / "sets" / "gold.jsonl",
        '{"id": "q1", "question": "What?", "answers": ["x"], "sources": ["../data/corpus/sub/a.txt"]}',
        '{"id": "q2", "question": "Who?", "answers": ["y"], "sources": ["sub/a.txt"]}',
    )
    items = check_sources(load_gold(gold), corpus, gold)
    assert [item.sources for item in items] == [["sub/a.txt"], ["sub/a.txt"]]


def test_a_gold_relative_source_outside_the_corpus_is_refused(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "a.txt").write_text("x")
    gold = write_lines(tmp_path / "gold.jsonl", GOOD)
    with pytest.raises(InputError, match=r"item 'q1' field 'sources': 'a.txt' is the file .* outside the corpus"):
        check_sources(load_gold(gold), tmp_path / "corpus", gold)


def test_the_project_gold_sets_are_valid_and_big_enough() -> None:
    root = Path(__file__).resolve().parents[2]
    sample = load_gold(root / "eval" / "gold" / "sample.jsonl")
    check_sources(sample, root / "eval" / "corpus")
    tags = [tag for item in sample for tag in item.tags]
    assert len(sample) >= 40 and tags.count("follow-up") >= 6 and tags.count("unanswerable") >= 8
    assert all(item.history for item in sample if "follow-up" in item.tags)
    assert len(load_gold(root / "eval" / "gold" / "seed.jsonl")) >= 15


def test_squad_v2_converts_to_gold_and_one_file_per_context(tmp_path: Path) -> None:
    squad = {
        "version": "v2.0",
        "data": [
            {
                "title": "Harbour Lights",
                "paragraphs": [
                    {
                        "context": "The lamp was automated in 1989.",
                        "qas": [
                            {
                                "id": "a1",
                                "question": "When was the lamp automated?",
                                "answers": [{"text": "1989", "answer_start": 26}, {"text": "1989", "answer_start": 26}],
                            },
                            {"id": "a2", "question": "Who built it?", "answers": [], "is_impossible": True},
                        ],
                    }
                ],
            }
        ],
    }
    source = tmp_path / "squad.json"
    source.write_text(json.dumps(squad))
    assert convert_squad(source, tmp_path / "out") == (1, 2)
    items = load_gold(tmp_path / "out" / "gold.jsonl")
    check_sources(items, tmp_path / "out" / "corpus")
    assert items[0].answers == ["1989"] and items[0].sources == ["Harbour_Lights__p000.txt"]
    assert not items[1].answerable and items[1].answers == []


def test_articles_sharing_a_title_keep_separate_files(tmp_path: Path) -> None:
    def article(text: str, qid: str) -> dict[str, Any]:
        return {
            "title": "Tides",
            "paragraphs": [
                {
                    "context": text,
                    "qas": [
                        {"id": qid, "question": "Which?", "answers": [{"text": text.split()[0], "answer_start": 0}]}
                    ],
                }
            ],
        }

    source = tmp_path / "squad.json"
    source.write_text(
        json.dumps({"data": [article("Spring tides are high.", "q1"), article("Neap tides are low.", "q2")]})
    )
    convert_squad(source, tmp_path / "out")
    items = load_gold(tmp_path / "out" / "gold.jsonl")
    texts = {(tmp_path / "out" / "corpus" / item.sources[0]).read_text() for item in items}
    assert texts == {"Spring tides are high.", "Neap tides are low."}


def squad_file(tmp_path: Path, paragraph: dict) -> Path:
    source = tmp_path / "squad.json"
    source.write_text(
        json.dumps(
            {
                "data": [
                    {
                        "title": "Fine",
                        "paragraphs": [{"context": "ok", "qas": [{"id": "f1", "question": "Ok?", "answers": []}]}],
                    },
                    {"title": "Harbour Lights", "paragraphs": [{"context": "ok", "qas": []}, paragraph]},
                ]
            }
        )
    )
    return source


@pytest.mark.parametrize(
    ("paragraph", "message"),
    [
        ({"qas": []}, r"article 1 \('Harbour Lights'\) paragraph 1: missing field 'context'"),
        (
            {"context": "c", "qas": [{"question": "Who?"}]},
            r"article 1 \('Harbour Lights'\) paragraph 1 question 0: missing field 'id'",
        ),
        ({"context": "c", "qas": [{"id": "h2"}]}, r"paragraph 1 question 0 \(id 'h2'\): missing field 'question'"),
        (
            {"context": "c", "qas": [{"id": "h3", "question": "Who?", "answers": [{"answer_start": 0}]}]},
            r"question 0 \(id 'h3'\) answer 0: missing field 'text'",
        ),
        ("just text", r"paragraph 1: expected a JSON object, got str"),
    ],
)
def test_squad_entries_missing_a_field_are_named_and_nothing_is_written(
    tmp_path: Path, paragraph: Any, message: str
) -> None:
    source = squad_file(tmp_path, paragraph)
    with pytest.raises(InputError, match=message) as error:
        convert_squad(source, tmp_path / "out")
    assert str(error.value).startswith(str(source)) and (
        "Add it, or remove" in str(error.value) or "fix or remove" in str(error.value)
    )
    assert not (tmp_path / "out").exists()


def test_compare_flags_drops_beyond_the_tolerance_and_slower_runs() -> None:
    old = {"metrics": {"hit@5": 0.95, "answer_f1": 0.5, "latency_p50_s": 1.0}}
    new = {"metrics": {"hit@5": 0.90, "answer_f1": 0.49, "latency_p50_s": 1.2}}
    rows, regressed = compare(old, new, tolerance=0.02)
    assert regressed
    assert [row["metric"] for row in rows if row["regressed"]] == ["hit@5"]


def test_fail_under_specs_are_parsed_and_checked() -> None:
    assert parse_floor("hit@5=0.9") == ("hit@5", 0.9)
    with pytest.raises(InputError, match="unknown metric 'hit@7'; valid ones are: hit@1"):
        parse_floor("hit@7=0.9")
    with pytest.raises(InputError, match="must be a number"):
        parse_floor("hit@5=high")
    assert failed_floors({"hit@5": 0.8, "latency_p50_s": 3.0}, [("hit@5", 0.9), ("latency_p50_s", 2.0)]) == [
        "hit@5 = 0.8 is below 0.9",
        "latency_p50_s = 3.0 is above 2.0 (latencies are ceilings)",
    ]


def test_a_gate_on_a_metric_the_report_lacks_fails_and_says_so() -> None:
    problems = failed_floors({"hit@5": 1.0}, [("judge_faithfulness", 0.5), ("hit@5", 0.9)])
    assert problems == [
        (
            "judge_faithfulness is absent from the report, so the gate judge_faithfulness=0.5 cannot be checked "
            "(judge metrics need --judge local or --judge openai)"
        )
    ]
    assert failed_floors({"hit@5": 1.0}, [("judge_faithfulness", 0.0)]) != []


def test_tags_of_unanswerable_questions_show_no_retrieval_score() -> None:
    records: list[dict[str, Any]] = [
        {"tags": ["unanswerable"], "answer_contains": 1.0, "hit@5": None},
        {"tags": ["single"], "answer_contains": 0.0, "hit@5": 1.0},
    ]
    records = [{**scored_record(), **record, "answerable": "unanswerable" not in record["tags"]} for record in records]
    tags = per_tag(records)
    assert tags["unanswerable"]["n"] == 1 and tags["unanswerable"]["answer_contains"] == 1.0
    assert tags["unanswerable"]["hit@5"] is None and tags["unanswerable"]["answer_recall"] is None
    assert tags["single"]["hit@5"] == 1.0
    report = {"gold": "g.jsonl", "corpus": "c", "created": "now", "settings": {"answerer": "extractive", "k": 5}}
    table = markdown({**report, "metrics": {"n": 2}, "per_tag": tags, "per_question": []})
    assert "| unanswerable | 1 | 1.0 | n/a | 1.0 | n/a |" in table


def scored_record() -> dict[str, object]:
    record: dict[str, object] = {f"hit@{k}": None for k in (1, 3, 5, 10)}
    record.update(
        rr=None,
        answer_f1=1.0,
        answer_em=1.0,
        citation_validity=1.0,
        citation_precision=None,
        citation_recall=None,
        refused=True,
        latency_s=1.0,
        retrieve_s=0.1,
        answer_s=0.9,
    )
    return record
