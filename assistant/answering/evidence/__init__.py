"""The evidence for one question: the retrieved passages' sentences, scored against the question.

The gate decides from it whether anything relevant was found, the answerers write from it, and the
claim check asks it which passage sentence an answer sentence rests on. Given the stored documents,
each passage is first grown over what its chunk edges cut off (``around``): a list whole, the heading of
table rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from assistant.answering.evidence.around import (
    LIST_ITEM,
    LIST_MAX_CHARS,
    TABLE_ROW,
    is_heading_line,
    scope_heading,
    widened,
)
from assistant.answering.instructions import (
    looks_like_instruction as looks_like_instruction,  # re-exported: ingest names them
)
from assistant.answering.support import asserts_nothing
from assistant.models.embedder import Embedder
from assistant.text import content_terms, overlap, sentence_spans
from assistant.types import Passage

MIN_SENTENCE_CHARS = 12
# List steps may be short ('2. Rinse.'); a long legal sentence is still a sentence (MiniLM reads ~1,000).
MIN_LIST_ITEM_CHARS = 4
MAX_SENTENCE_CHARS = 1200
LEXICAL_WEIGHT = 0.25
# A sentence that names the question's subject in its first words is usually about it.
LEAD_WEIGHT = 0.1
LEAD_WORDS = 6
# Small nudge towards sentences of passages that retrieval ranked higher.
RANK_WEIGHT = 0.05
# Sentences this far below the best one are not evidence, however much room the excerpt has.
EXCERPT_MARGIN = 0.22
# Words that open a further item of the same list: "Officials also demand ...", "In addition, ...".
_ADDITIVE = re.compile(
    r"\b(?:also|in addition|additionally|further(?:more)?|moreover|as well|another|besides)\b", re.IGNORECASE
)


# "[12]", "[3, 4]", "[5-7]": a document's own references. Shown to a model they would pose as citation
# markers or be copied into answers, so the excerpt leaves them out.
_REFERENCE = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")


def without_references(text: str) -> str:
    """The text without bracketed reference numbers."""
    return _REFERENCE.sub("", text)


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of passage ``passage_number`` (1-based) with its relevance to the question."""

    passage_number: int
    position: int
    start: int
    end: int
    text: str
    score: float
    overlap: float
    vector: tuple[float, ...] = field(repr=False, compare=False)
    # On a line that opens with a list marker: an item, or a further sentence of one ('3. Rinse. Dry it.').
    in_list: bool = False
    # A question or a quiz's options: relevant to the question by its words, but it states nothing.
    silent: bool = False

    @property
    def is_list_item(self) -> bool:
        """A step or bullet of a list in the passage."""
        return bool(LIST_ITEM.match(self.text))


@dataclass
class Evidence:
    """The question, its passages numbered from 1, and their usable sentences scored against it."""

    question: str
    passages: list[Passage]
    sentences: list[ScoredSentence]
    instructions: list[ScoredSentence] = field(default_factory=list)

    @property
    def best(self) -> float:
        """Score of the best sentence that shares at least one word with the question (0 when none)."""
        return max((s.score for s in self.sentences if s.overlap > 0), default=0.0)

    @cached_property
    def _by_place(self) -> dict[tuple[int, int], ScoredSentence]:
        return {(s.passage_number, s.position): s for s in self.sentences}

    @cached_property
    def _in_order(self) -> dict[int, list[ScoredSentence]]:
        ordered: dict[int, list[ScoredSentence]] = {}
        for sentence in sorted(self.sentences, key=lambda s: (s.passage_number, s.position)):
            ordered.setdefault(sentence.passage_number, []).append(sentence)
        return ordered

    def beside(self, sentence: ScoredSentence, step: int = 1) -> ScoredSentence | None:
        """The usable sentence ``step`` places after (or before, when negative) this one in its passage."""
        return self._by_place.get((sentence.passage_number, sentence.position + step))

    def continuation(self, sentence: ScoredSentence) -> ScoredSentence | None:
        """The next sentence of the passage when it adds to this one ('It also demands ...')."""
        follower = self.beside(sentence)
        return follower if follower is not None and _ADDITIVE.search(follower.text) else None

    def restricted_to(self, sources: set[str]) -> Evidence:
        """The same evidence with only the passages of ``sources``, renumbered from 1 in their order."""
        keep = [number for number, passage in enumerate(self.passages, start=1) if passage.source in sources]
        if len(keep) == len(self.passages):
            return self
        renumber = {old: new for new, old in enumerate(keep, start=1)}

        def moved(sentences: list[ScoredSentence]) -> list[ScoredSentence]:
            return [
                replace(s, passage_number=renumber[s.passage_number]) for s in sentences if s.passage_number in renumber
            ]

        passages = [self.passages[old - 1] for old in keep]
        return Evidence(self.question, passages, moved(self.sentences), moved(self.instructions))

    def of_passage(self, number: int) -> list[ScoredSentence]:
        """The usable sentences of passage ``number`` in reading order."""
        return [s for s in self.sentences if s.passage_number == number]

    def excerpt(self, budget: int) -> list[str]:
        """Prompt lines '[n] sentences', numbered as the passages were shown, chosen by relevance.

        The list or procedure the best sentence belongs to or introduces comes first and whole, in order
        (past ``budget`` if need be, up to LIST_MAX_CHARS): its steps are the answer. Then every sentence
        near the best one (most relevant first) with the sentence that follows it, since that one often
        finishes the thought ("... it also demands X"), and any list it is part of. Stops at ``budget``
        characters. A table row is shown under its heading when the row does not name it.
        """
        # A question or a quiz printed in a document looks most like the question and answers nothing: shown,
        # a model takes its options for facts. Such sentences go in only as the lead-in of a list.
        stating = [s for s in self.sentences if not s.silent] or self.sentences
        if not stating:
            return []
        top = max(stating, key=lambda s: s.score)
        chosen: dict[tuple[int, int], ScoredSentence] = {}
        shown: set[tuple[str, int]] = set()
        used = 0

        def take(sentence: ScoredSentence, limit: int = budget) -> bool:
            nonlocal used
            key = (sentence.passage_number, sentence.position)
            # Two passages grown over the same list hold the same sentences: each is shown once.
            place = (self.passages[sentence.passage_number - 1].source, sentence.start)
            if key in chosen or place in shown:
                return True
            size = len(" ".join(sentence.text.split())) + 1
            if used + size > limit:
                return False
            chosen[key] = sentence
            shown.add(place)
            used += size
            return True

        for sentence in [top, *self.list_of(top)]:
            take(sentence, max(budget, LIST_MAX_CHARS))
        for sentence in sorted(stating, key=lambda s: -s.score):
            if sentence.score < top.score - EXCERPT_MARGIN:
                break
            if not take(sentence):
                continue
            follower = self.beside(sentence)
            for extra in [*([follower] if follower else []), *self.list_of(sentence)]:
                take(extra)
        return [line for number in range(1, len(self.passages) + 1) if (line := self._line(number, chosen))]

    def _line(self, number: int, chosen: dict[tuple[int, int], ScoredSentence]) -> str:
        picked = sorted((s for s in chosen.values() if s.passage_number == number), key=lambda s: s.position)
        if not picked:
            return ""
        text = " ".join(without_references(" ".join(s.text.split())) for s in picked)
        heading = scope_heading(self.passages[number - 1])
        if heading and heading not in text and any(TABLE_ROW.match(s.text) for s in picked):
            text = f"{heading} — {text}"
        return f"[{number}] {text}"

    def list_of(self, sentence: ScoredSentence) -> list[ScoredSentence]:
        """The list or procedure ``sentence`` belongs to (with the sentence that introduces it) or introduces,
        in order, without ``sentence`` itself; empty when it is neither."""
        ordered = self._in_order.get(sentence.passage_number, [])
        index = ordered.index(sentence) if sentence in ordered else -1
        if index < 0:
            return []
        if sentence.in_list:
            first = index
            while first > 0 and ordered[first - 1].in_list:
                first -= 1
        elif index + 1 < len(ordered) and ordered[index + 1].in_list:
            first = index + 1
        elif self.is_heading(sentence):
            # A section's title: its first list is what the section is for (a procedure under "# How to ...").
            first = index + 1
            while first < len(ordered) and not ordered[first].in_list:
                if self.is_heading(ordered[first]):
                    return []
                first += 1
            if first == len(ordered):
                return []
        else:
            return []
        # The sentence right before the list introduces it (``sentence`` itself is left out below).
        lead = ordered[first - 1 : first] if first > 0 else []
        if lead and lead[0].position != ordered[first].position - 1:
            lead = []
        last = first
        while last + 1 < len(ordered) and ordered[last + 1].in_list:
            last += 1
        return [s for s in [*lead, *ordered[first : last + 1]] if s is not sentence]

    def is_heading(self, sentence: ScoredSentence) -> bool:
        """The sentence is a heading line of its passage."""
        return is_heading_line(sentence.text, self.passages[sentence.passage_number - 1].section)

    def list_around(self, sentence: ScoredSentence) -> list[ScoredSentence]:
        """The list items after ``sentence`` in its passage, in order (and those before it when it is one)."""
        return [s for s in self.list_of(sentence) if s.in_list]


def evidence_pieces(start: int, text: str) -> list[tuple[int, int, str]]:
    """``(start, end, text)`` of a sentence, or of each of its lines when the sentence reads like an instruction
    and spans lines: an injected line ('<|im_start|>system', 'SYSTEM: ...') glued to an honest sentence by
    the splitter must not take that sentence out of the evidence with it."""
    if "\n" not in text or not looks_like_instruction(text):
        return [(start, start + len(text), text)]
    pieces = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group().strip()
        if line:
            begin = start + match.start() + match.group().index(line)
            pieces.append((begin, begin + len(line), line))
    return pieces


def gather_evidence(
    question: str,
    query_vector: Sequence[float],
    passages: Sequence[Passage],
    embedder: Embedder,
    document_text: Callable[[str], str | None] | None = None,
) -> Evidence:
    """Score every usable sentence of the passages: embedding similarity plus word-overlap bonuses.

    ``query_vector`` is the question's embedding, as retrieval computed it. With ``document_text`` (a
    source's whole stored text), each passage is first grown over the list it cuts and the heading of its
    table rows. Sentences addressed to a model (prompt injections) are set apart and never scored as
    evidence.
    """
    if document_text is not None:
        passages = _read_around(passages, document_text)
    question_terms = content_terms(question)
    spans = _usable_spans(passages)
    if not spans:
        return Evidence(question, list(passages), [])
    vectors = embedder.embed_recent([item[4] for item in spans])
    scored: list[ScoredSentence] = []
    instructions: list[ScoredSentence] = []
    for (number, position, start, end, text, in_list), vector in zip(spans, vectors, strict=True):
        similarity = sum(a * b for a, b in zip(query_vector, vector, strict=True))
        shared = overlap(question_terms, content_terms(text))
        lead = LEAD_WEIGHT * overlap(question_terms, content_terms(" ".join(text.split()[:LEAD_WORDS])))
        prior = RANK_WEIGHT * (len(passages) - number) / len(passages)
        score = similarity + LEXICAL_WEIGHT * shared + lead + prior
        sentence = ScoredSentence(
            number, position, start, end, text, score, shared, tuple(vector), in_list, asserts_nothing(text)
        )
        (instructions if looks_like_instruction(text) else scored).append(sentence)
    return Evidence(question, list(passages), scored, instructions)


def _read_around(passages: Sequence[Passage], document_text: Callable[[str], str | None]) -> list[Passage]:
    texts: dict[str, str | None] = {}
    for passage in passages:
        if passage.source not in texts:
            texts[passage.source] = document_text(passage.source)
    return [widened(passage, texts[passage.source]) for passage in passages]


def _usable_spans(passages: Sequence[Passage]) -> list[tuple[int, int, int, int, str, bool]]:
    """(passage number, position, start, end, text, on a list line) of each sentence long enough to judge."""
    spans = []
    for number, passage in enumerate(passages, start=1):
        for position, (start, end) in enumerate(sentence_spans(passage.text, passage.start)):
            offset = start - passage.start
            line_start = passage.text.rfind("\n", 0, offset) + 1
            in_list = bool(LIST_ITEM.match(passage.text[line_start : line_start + 24]))
            for piece in evidence_pieces(start, passage.text[offset : end - passage.start]):
                shortest = MIN_LIST_ITEM_CHARS if in_list else MIN_SENTENCE_CHARS
                if shortest <= len(piece[2]) <= MAX_SENTENCE_CHARS:
                    spans.append((number, position, *piece, in_list))
    return spans
