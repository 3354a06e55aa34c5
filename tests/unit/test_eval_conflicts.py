"""The pairs eval/conflicts.py measures the disagreement threshold on, from a small SQuAD-format file."""

import json
from pathlib import Path

from eval.conflicts import pairs

DEPOTS = ["Quayside", "Harbour", "Millbrook", "Kingsgate"]


def squad_file(tmp_path: Path) -> Path:
    articles = []
    for depot in DEPOTS:
        context = (
            f"The {depot} depot employed 410 staff in 2022. It ran 35 buses on the night shift. "
            f"The {depot} depot employed 380 staff in 2021. Its canteen opened in 1998. "
            f"By the union's count the {depot} depot had 452 staff in 2022."
        )
        question = {"id": depot, "question": "How many?", "answers": [{"text": "410", "answer_start": 24}]}
        articles.append({"title": depot, "paragraphs": [{"context": context, "qas": [question]}]})
    path = tmp_path / "squad.json"
    path.write_text(json.dumps({"data": articles}), encoding="utf-8")
    return path


def test_counts_are_changed_and_only_sentences_the_rule_would_flag_are_near_misses(tmp_path: Path) -> None:
    dev, _ = pairs({"toy": squad_file(tmp_path)}, "dev", 0)
    test, near = pairs({"toy": squad_file(tmp_path)}, "test", 0)
    assert len(dev) + len(test) == 4 * 4  # every counting sentence of every article, once
    assert ("It ran 35 buses on the night shift.", "It ran 38 buses on the night shift.") in dev + test
    # The same count of the same depot and year by another source is a near miss of the rule; another year
    # or another noun is not.
    assert near and all(b.startswith("By the union's count") for _, b in near)
    assert not any("2021" in b or "buses" in b for _, b in near)
