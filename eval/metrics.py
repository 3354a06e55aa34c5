"""Small scoring functions: retrieval, answer text, refusals, citations, claims, latency."""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

from assistant.text.markers import markers_in, strip_markers
from assistant.types import Answer, Passage
from eval.numbers import numbers_in
from eval.sentences import sentence_spans

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation) | {"“", "”", "‘", "’", "–", "—", "«", "»"}


def normalize(text: str) -> str:
    """SQuAD-style: lower case, no punctuation or articles, single spaces (Unicode-aware)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if char in _PUNCTUATION or unicodedata.category(char).startswith("P") else char for char in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when the normalized prediction equals one normalized answer."""
    return float(any(normalize(prediction) == normalize(answer) for answer in answers))


def token_f1(prediction: str, answers: Sequence[str]) -> float:
    """Best token-overlap F1 against the acceptable answers."""
    predicted = normalize(prediction).split()
    best = 0.0
    for answer in answers:
        expected = normalize(answer).split()
        common = sum((Counter(predicted) & Counter(expected)).values())
        if not predicted or not expected or common == 0:
            continue
        precision, recall = common / len(predicted), common / len(expected)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when one normalized answer appears, as whole words, in the normalized prediction."""
    text = f" {normalize(prediction)} "
    return float(any(normalize(answer) and f" {normalize(answer)} " in text for answer in answers))


def answer_recall(prediction: str, required: Sequence[str]) -> float:
    """Share of the required items that appear, as whole words after normalizing, in the prediction."""
    items = [normalize(item) for item in required if normalize(item)]
    if not items:
        return 0.0
    text = f" {normalize(strip_markers(prediction))} "
    return sum(f" {item} " in text for item in items) / len(items)


def answer_sentence_count(answer: Answer) -> int:
    """Sentences of the answer as shown (0 for a refusal)."""
    return 0 if answer.refused else len(sentence_spans(strip_markers(answer.answer)))


def unsupported_rate(removed: int, kept: int) -> float | None:
    """Removed sentences over all the sentences written (removed + kept); None when nothing was written."""
    total = removed + kept
    return removed / total if total else None


def number_support(answer: Answer) -> tuple[int, int]:
    """(numbers in the answer, how many of them occur in the text of its cited passages); (0, 0) for refusals.

    A number counts as occurring when the passages write it in digits or, for small round numbers, in words.
    """
    if answer.refused:
        return 0, 0
    stated = numbers_in(answer.answer)
    # A passage's own bracketed numbers ("[10]", a reference) are numbers it holds, not citation markers.
    cited = {number for citation in answer.citations for number in numbers_in(citation.text, words=True, markers=False)}
    return len(stated), sum(number in cited for number in stated)


def source_matches(passage_source: str, gold_source: str) -> bool:
    """A passage path matches a corpus-relative gold path when it ends with it, component by component."""
    have, want = PurePosixPath(passage_source).parts, PurePosixPath(gold_source).parts
    return len(want) <= len(have) and have[len(have) - len(want) :] == want


def is_relevant(passage: Passage, sources: Sequence[str], answers: Sequence[str]) -> bool:
    """From a gold source, or (with no sources) holding one of the answers."""
    if sources:
        return any(source_matches(passage.source, source) for source in sources)
    return contains_answer(passage.text, answers) == 1.0


def first_relevant_rank(passages: Sequence[Passage], sources: Sequence[str], answers: Sequence[str]) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    for rank, passage in enumerate(passages, start=1):
        if is_relevant(passage, sources, answers):
            return rank
    return None


def hit_at(rank: int | None, k: int) -> float:
    """1.0 when the first relevant passage is within the top ``k``."""
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None) -> float:
    """1 / rank of the first relevant passage (0 when none)."""
    return 1.0 / rank if rank else 0.0


def refusal_scores(should_refuse: Sequence[bool], refused: Sequence[bool]) -> dict[str, float]:
    """Accuracy, and precision/recall with 'should refuse' as the positive class."""
    pairs = list(zip(should_refuse, refused, strict=True))
    if not pairs:
        return {"refusal_accuracy": 0.0, "refusal_precision": 0.0, "refusal_recall": 0.0}
    true_positive = sum(gold and made for gold, made in pairs)
    return {
        "refusal_accuracy": sum(gold == made for gold, made in pairs) / len(pairs),
        "refusal_precision": true_positive / max(1, sum(made for _, made in pairs))
        if any(r for _, r in pairs)
        else 1.0,
        "refusal_recall": true_positive / max(1, sum(gold for gold, _ in pairs)) if any(g for g, _ in pairs) else 1.0,
    }


def citation_validity(answer: Answer, document_text: Callable[[str], str | None]) -> float:
    """1.0 when every marker names a shown passage and every citation's offsets slice its document to its text."""
    numbers = markers_in(answer.answer)
    if any(not 1 <= number <= len(answer.passages) for number in numbers):
        return 0.0
    for citation in answer.citations:
        if (document_text(citation.source) or "")[citation.start : citation.end] != citation.text:
            return 0.0
    return 1.0


def raw_citation_validity(raw_answer: str, shown: int) -> float | None:
    """Share of the [n] markers the answerer wrote (before validation removed any) that name one of the
    ``shown`` passages; None when the raw text has no markers.

    ``citation_validity`` scores the answer the user sees, after invalid markers were dropped; this one
    shows how often the model itself cites passages it was never given.
    """
    numbers = markers_in(raw_answer)
    if not numbers:
        return None
    return sum(1 <= number <= shown for number in numbers) / len(numbers)


def citation_precision(
    answer: Answer, sources: Sequence[str], answers: Sequence[str], evidence: Sequence[str]
) -> float | None:
    """Share of cited passages that come from a gold source or hold the evidence or an answer (None: nothing cited)."""
    if not answer.citations:
        return None
    good = 0
    for citation in answer.citations:
        text = normalize(citation.text)
        from_source = any(source_matches(citation.source, source) for source in sources)
        holds = any(normalize(snippet) and normalize(snippet) in text for snippet in [*evidence, *answers])
        good += from_source or holds
    return good / len(answer.citations)


def citation_recall(answer: Answer) -> float | None:
    """Share of answer sentences with at least one marker that names a shown passage (None: refusal)."""
    if answer.refused:
        return None
    sentences = [answer.answer[start:end] for start, end in sentence_spans(answer.answer)]
    if not sentences:
        return 0.0
    cited = sum(any(1 <= n <= len(answer.passages) for n in markers_in(sentence)) for sentence in sentences)
    return cited / len(sentences)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[index]
