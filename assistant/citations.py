"""Checking an answer's [n] markers against the passages that were shown."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.answerers.base import REFUSAL
from assistant.text import content_terms, sentence_spans
from assistant.types import Citation, Highlight, Passage

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_LEADING_MARKERS = re.compile(r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+")
# Share of an answer sentence's content words that its cited passages must contain.
MIN_SUPPORT = 0.5
# A wrong marker is moved only to a passage that holds most of the sentence's words.
REPAIR_SUPPORT = 0.7


@dataclass
class CheckedAnswer:
    """An answer after validation: invalid markers removed, citations resolved, weak sentences listed."""

    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


def is_refusal(text: str) -> bool:
    """True when the answer is (or begins with) the refusal sentence."""
    return text.strip().lower().startswith(REFUSAL.lower().rstrip("."))


def markers_in(text: str) -> list[int]:
    """Marker numbers in order of appearance, '[1, 2]' counting as 1 and 2."""
    return [int(number) for match in MARKER.finditer(text) for number in match.group(1).split(",")]


def validate(
    answer: str, passages: Sequence[Passage], document_text: Callable[[str], str | None]
) -> CheckedAnswer:
    """Resolve markers to passages; drop markers naming no shown passage or whose offsets don't hold."""
    if is_refusal(answer):
        return CheckedAnswer(REFUSAL, refused=True)
    valid = {
        number
        for number, passage in enumerate(passages, start=1)
        if (document_text(passage.source) or "")[passage.start : passage.end] == passage.text
    }

    def keep_valid(match: re.Match[str]) -> str:
        numbers = [n for n in (int(x) for x in match.group(1).split(",")) if n in valid]
        return "[" + ", ".join(str(n) for n in numbers) + "]" if numbers else ""

    text = re.sub(r"[ \t]+([.,;:])", r"\1", MARKER.sub(keep_valid, answer)).strip()
    text = _repair_markers(text, passages, valid)
    cited: dict[int, list[Highlight]] = {}
    unsupported = []
    for start, end in answer_sentences(text):
        sentence = text[start:end]
        numbers = markers_in(sentence)
        terms = content_terms(MARKER.sub("", sentence))
        support_terms = set().union(*(content_terms(passages[n - 1].text) for n in numbers)) if numbers else set()
        if not numbers or (terms and len(terms & support_terms) / len(terms) < MIN_SUPPORT):
            unsupported.append(sentence.strip())
        for number in numbers:
            cited.setdefault(number, [])
            highlight = _best_sentence(terms, passages[number - 1])
            if highlight and highlight not in cited[number]:
                cited[number].append(highlight)
    citations = [
        Citation(n=number, highlights=highlights, **passages[number - 1].model_dump(exclude={"score"}))
        for number, highlights in sorted(cited.items())
    ]
    return CheckedAnswer(text, refused=False, citations=citations, unsupported=unsupported)


def _support(terms: set[str], passage: Passage) -> float:
    return len(terms & content_terms(passage.text)) / len(terms) if terms else 0.0


def _repair_markers(text: str, passages: Sequence[Passage], valid: set[int]) -> str:
    """Renumber a sentence whose marker names the wrong passage when another shown passage clearly holds it.

    Small models often copy the right fact and write the wrong number; the reader must land on the
    passage that actually says it.
    """
    repaired = []
    position = 0
    for start, end in answer_sentences(text):
        sentence = text[start:end]
        numbers = markers_in(sentence)
        terms = content_terms(MARKER.sub("", sentence))
        if numbers and terms and max(_support(terms, passages[n - 1]) for n in numbers) < MIN_SUPPORT:
            best = max(sorted(valid), key=lambda n: _support(terms, passages[n - 1]), default=None)
            if best is not None and _support(terms, passages[best - 1]) >= REPAIR_SUPPORT:
                sentence = _single_marker(sentence, best)
        repaired.append(text[position:start] + sentence)
        position = end
    return "".join(repaired) + text[position:]


def _single_marker(sentence: str, number: int) -> str:
    """The sentence with all its markers replaced by one ``[number]`` where the first one stood."""
    first = MARKER.search(sentence)
    assert first is not None
    rest = MARKER.sub("", sentence[first.end() :])
    return f"{sentence[: first.start()]}[{number}]{rest}"


def answer_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of an answer, each keeping the markers that follow its final period."""
    spans: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        lead = _LEADING_MARKERS.match(text, start, end)
        if lead and spans:
            spans[-1] = (spans[-1][0], lead.end())
            start = lead.end() + (len(text[lead.end():end]) - len(text[lead.end():end].lstrip()))
        if start < end:
            spans.append((start, end))
    return spans


def _best_sentence(terms: set[str], passage: Passage) -> Highlight | None:
    """The passage sentence sharing most content words with an answer sentence (None if under half)."""
    best: Highlight | None = None
    best_share = 0.0
    for start, end in sentence_spans(passage.text, passage.start):
        sentence = passage.text[start - passage.start : end - passage.start]
        share = len(terms & content_terms(sentence)) / len(terms) if terms else 0.0
        if share > best_share:
            best, best_share = Highlight(start=start, end=end, text=sentence), share
    return best if best_share >= MIN_SUPPORT else None
