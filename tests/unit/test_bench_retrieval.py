import json
from pathlib import Path

from eval.bench.retrieval import GoldSpan, Hit, build_corpus, score


def test_articles_become_files_whose_offsets_point_at_the_gold_answers(tmp_path: Path) -> None:
    squad = {
        "data": [
            {
                "title": "Tea Growing",
                "paragraphs": [
                    {
                        "context": "Tea grows in Assam.",
                        "qas": [
                            {
                                "id": "1",
                                "question": "Where does tea grow?",
                                "answers": [{"text": "Assam", "answer_start": 13}],
                            }
                        ],
                    },
                    {
                        "context": "It is picked by hand in spring.",
                        "qas": [
                            {
                                "id": "2",
                                "question": "When is it picked?",
                                "answers": [{"text": "in spring", "answer_start": 21}],
                            },
                            {"id": "3", "question": "Who grows coffee?", "answers": [], "is_impossible": True},
                        ],
                    },
                ],
            }
        ]
    }
    (tmp_path / "squad.json").write_text(json.dumps(squad))
    gold = build_corpus(tmp_path / "squad.json", tmp_path / "corpus")
    text = (tmp_path / "corpus" / "Tea_Growing.txt").read_text()
    assert [(g.file, text[g.start : g.end]) for g in gold] == [
        ("Tea_Growing.txt", "Assam"),
        ("Tea_Growing.txt", "in spring"),
    ]


def test_a_passage_hit_needs_half_the_answer_span_while_a_file_hit_needs_only_the_file() -> None:
    gold = [GoldSpan("q", "a.txt", 100, 140)]
    wrong_file = Hit("/data/b.txt", 90, 200)
    elsewhere = Hit("/data/a.txt", 0, 90)
    grazing = Hit("/data/a.txt", 130, 400)  # holds 10 of the 40 answer characters
    holding = Hit("/data/a.txt", 110, 400)  # holds 30 of them
    result = score([[wrong_file, elsewhere, grazing, holding]], gold)
    assert (result["file_hit@1"], result["file_hit@5"], result["file_mrr"]) == (0.0, 1.0, 0.5)
    assert (result["passage_hit@1"], result["passage_hit@5"], result["passage_mrr"]) == (0.0, 1.0, 0.25)
