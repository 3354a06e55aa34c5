"""Users' corrections turned into gold format v1 items, so `qa eval` replays them as a regression set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.feedback import Feedback
from eval.gold import GoldItem
from eval.sentences import sentence_spans

TAG = "from-feedback"


def corpus_root(sources: list[str]) -> Path | None:
    """The deepest folder holding every source: the corpus a feedback gold set is run on."""
    if not sources:
        return None
    folders = [Path(source).resolve().parent for source in sources]
    root = folders[0]
    while not all(folder.is_relative_to(root) for folder in folders):
        root = root.parent
    return root


def gold_item(feedback: Feedback, root: Path) -> GoldItem:
    """One gold item: the user's answer, the cited documents that state it (corpus-relative) and the
    passage sentence that does, the prior turns, and tags (``unanswerable`` when the user said so)."""
    if feedback.unanswerable:
        answers: list[str] = []
        sources: list[str] = []
        evidence: list[str] = []
    else:
        correction = (feedback.correction or "").strip()
        answers = [correction]
        sources, evidence = _supporting(feedback.answer, correction, root)
    tags = [TAG] + (["unanswerable"] if feedback.unanswerable else []) + (["follow-up"] if feedback.history else [])
    return GoldItem(
        id=f"feedback-{feedback.conversation_id}-{feedback.position}",
        question=feedback.question,
        answers=answers,
        answerable=not feedback.unanswerable,
        sources=sources,
        evidence=evidence,
        history=feedback.history,
        tags=tags,
    )


def _supporting(answer: dict[str, Any], correction: str, root: Path) -> tuple[list[str], list[str]]:
    """The shown passages' documents that state the correction (under ``root``), and the sentence stating it.

    When no passage states it, both are empty: the item is then scored on whether an answer contains it."""
    wanted = correction.casefold()
    sources: list[str] = []
    evidence: list[str] = []
    for passage in [*answer.get("citations", []), *answer.get("passages", [])]:
        text = str(passage.get("text", ""))
        if not wanted or wanted not in text.casefold():
            continue
        path = Path(str(passage.get("source", ""))).resolve()
        if path.is_relative_to(root):
            relative = path.relative_to(root).as_posix()
            if relative not in sources:
                sources.append(relative)
        for start, end in sentence_spans(text):
            sentence = text[start:end].strip()
            if wanted in sentence.casefold() and sentence not in evidence:
                evidence.append(sentence)
                break
    return sources, evidence


def write_gold(feedback: list[Feedback], root: Path, path: Path) -> int:
    """Write the corrected feedback as a gold file (JSONL, format v1); returns how many items."""
    items = [gold_item(item, root) for item in feedback if item.corrected]
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(item.model_dump(exclude_none=True), ensure_ascii=False) for item in items]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(items)
