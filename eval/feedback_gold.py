"""Users' corrections turned into gold format v1 items, so an evaluation replays them as a regression set.

A correction is a short answer (what scores) and an optional note (the item's optional ``note`` field, which
is not scored). Sources are the collection's documents that state the answer,
relative to the deepest folder holding all of the collection's documents: they match the stored paths by
their ending (``eval.metrics.source_matches``), so the set scores hits whether it is run on the collection
itself (``eval.runner.run_on_collection``) or with that folder as a corpus.

A correction typed as a sentence (more than ``SHORT_ANSWER_WORDS`` words) rarely occurs whole in any answer,
so it also carries its key words (``required``: its numbers and the content words the question does not
already hold, kept to those the shown passages use when enough are left) and the tag ``sentence-answer``; it
then counts as answered when an answer states every number and at least ``KEY_WORD_SHARE`` of the other key
words (``states_key_words``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from assistant.chats.feedback import Feedback
from assistant.text import STOPWORDS, content_terms, stem, terms_match, words
from eval.gold import GoldItem
from eval.numbers import numbers_in
from eval.sentences import sentence_spans

TAG = "from-feedback"
SENTENCE_TAG = "sentence-answer"
# A correction of more words than this is read as a sentence, not a short answer.
SHORT_ANSWER_WORDS = 8
# Share of a sentence-length correction's key words (besides its numbers) an answer must state.
KEY_WORD_SHARE = 2 / 3


def corpus_root(sources: Iterable[str]) -> Path | None:
    """The deepest folder holding every source: the corpus a feedback gold set is run on."""
    folders = [Path(source).resolve().parent for source in sources]
    if not folders:
        return None
    root = folders[0]
    while not all(folder.is_relative_to(root) for folder in folders):
        root = root.parent
    return root


def gold_path(data_dir: Path, collection: str) -> Path:
    """Where a collection's corrections are written as a gold file."""
    return data_dir / "gold" / f"{collection}-feedback.jsonl"


def corrections(feedback: Iterable[Feedback], collection: str) -> list[Feedback]:
    """The corrected answers given in ``collection``, oldest first."""
    return [item for item in feedback if item.corrected and item.settings.get("collection") == collection]


def is_sentence(correction: str) -> bool:
    """True when a correction is too long to be a short answer (more than SHORT_ANSWER_WORDS words)."""
    return len(correction.split()) > SHORT_ANSWER_WORDS


def key_words(correction: str, question: str) -> list[str]:
    """The numbers of a correction, then its content words that the question does not already hold, in order."""
    asked = content_terms(question)
    found = list(dict.fromkeys(numbers_in(correction)))
    for word in words(correction):
        if word in STOPWORDS or len(word) < 2 or any(char.isdigit() for char in word):
            continue
        if any(terms_match(stem(word), term) for term in asked) or word in found:
            continue
        found.append(word)
    return found


def in_the_documents(key: Sequence[str], texts: Iterable[str]) -> list[str]:
    """The key words the shown passages use too: words the user put in their own way cannot be asked of an answer
    drawn from the documents. All of ``key`` when too little is left (no number and fewer than two words)."""
    terms = set().union(*(content_terms(text) for text in texts))
    numbers = set().union(*(numbers_in(text, words=True) for text in texts)) if terms else set()
    kept = [
        word
        for word in key
        if (word in numbers if numbers_in(word) else any(terms_match(stem(word), term) for term in terms))
    ]
    if any(numbers_in(word) for word in kept) or len(kept) >= 2:
        return kept
    return list(key)


def states_key_words(text: str, key: Sequence[str]) -> bool:
    """True when ``text`` states every number of ``key`` and at least KEY_WORD_SHARE of its other words (by stem)."""
    numbers = [word for word in key if numbers_in(word)]
    others = [word for word in key if not numbers_in(word)]
    if not numbers and not others:
        return False
    stated_numbers = set(numbers_in(text, words=True))
    if any(number not in stated_numbers for number in numbers):
        return False
    if not others:
        return True
    terms = content_terms(text)
    found = sum(any(terms_match(stem(word), term) for term in terms) for word in others)
    return found / len(others) >= KEY_WORD_SHARE


def gold_item(feedback: Feedback, root: Path | None) -> GoldItem:
    """One gold item: the user's short answer, the shown documents that state it (relative to ``root``) and the
    passage sentence that does, the prior turns, the user's note, and tags (``unanswerable`` when the user said
    so; ``sentence-answer`` with the key words as ``required`` when the answer was typed as a sentence)."""
    correction = " ".join((feedback.correction or "").split())
    sentence = not feedback.unanswerable and is_sentence(correction)
    shown = [str(passage.get("text", "")) for passage in _shown(feedback.answer)]
    key = in_the_documents(key_words(correction, feedback.question), shown) if sentence else []
    if feedback.unanswerable:
        answers: list[str] = []
        sources: list[str] = []
        evidence: list[str] = []
    else:
        answers = [correction]
        sources, evidence = _supporting(feedback.answer, correction, key, root)
    tags = [TAG]
    tags += ["unanswerable"] if feedback.unanswerable else []
    tags += ["follow-up"] if feedback.history else []
    tags += [SENTENCE_TAG] if key else []
    fields: dict[str, Any] = {
        "id": f"feedback-{feedback.conversation_id}-{feedback.position}",
        "question": feedback.question,
        "answers": answers,
        "answerable": not feedback.unanswerable,
        "sources": sources,
        "evidence": evidence,
        "required": key or None,
        "history": feedback.history,
        "tags": tags,
    }
    if feedback.note:
        fields["note"] = feedback.note
    return GoldItem.model_validate(fields)


def _shown(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [*answer.get("citations", []), *answer.get("passages", [])]


def _states(text: str, correction: str, key: Sequence[str]) -> bool:
    return (correction.casefold() in text.casefold()) if not key else states_key_words(text, key)


def _supporting(
    answer: dict[str, Any], correction: str, key: Sequence[str], root: Path | None
) -> tuple[list[str], list[str]]:
    """The shown passages' documents that state the correction (under ``root``), and the sentence stating it.

    When no passage states it, both are empty: the item is then scored on whether an answer contains it."""
    sources: list[str] = []
    evidence: list[str] = []
    for passage in _shown(answer):
        text = str(passage.get("text", ""))
        if not correction or not _states(text, correction, key):
            continue
        path = Path(str(passage.get("source", ""))).resolve()
        if root is not None and path.is_relative_to(root):
            relative = path.relative_to(root).as_posix()
            if relative not in sources:
                sources.append(relative)
        for start, end in sentence_spans(text):
            sentence = text[start:end].strip()
            if _states(sentence, correction, key) and sentence not in evidence:
                evidence.append(sentence)
                break
    return sources, evidence


def gold_items(feedback: Iterable[Feedback], sources: Iterable[str]) -> list[GoldItem]:
    """The corrected feedback as gold items for a collection whose documents are ``sources``."""
    root = corpus_root(sources)
    return [gold_item(item, root) for item in feedback if item.corrected]


def write_items(items: Sequence[GoldItem], path: Path) -> int:
    """Write gold items as a gold file (JSONL, format v1), unchanged files left alone; returns how many items."""
    lines = [json.dumps(item.model_dump(exclude_none=True), ensure_ascii=False) for item in items]
    text = "".join(line + "\n" for line in lines)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    return len(items)


def write_gold(feedback: list[Feedback], root: Path | None, path: Path) -> int:
    """Write the corrected feedback as a gold file (JSONL, format v1); returns how many items."""
    return write_items([gold_item(item, root) for item in feedback if item.corrected], path)
