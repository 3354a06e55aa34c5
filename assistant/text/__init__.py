"""Plain-text helpers shared by chunking, retrieval and answering: sentences and content words."""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) and whitespace,
# or at a blank line. Abbreviations are not special-cased: a rare false split costs little here.
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)\]]))\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])|\n\s*\n|\n(?=\s*(?:[-*•#>|]|\d+[.)])\s?)"
)
# Initials and titles ("U.S.", "Dr.") end with a period but rarely end a sentence.
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]\.(?:[A-Z]\.)*|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|e\.g|i\.e|No|Inc|Ltd|Co|Gen|Sen|Rep|Gov|Lt|Col|Mt|approx|Fig)\.)$"
)
# "1." or "2)" opening a line numbers a list item; it does not end a sentence.
_ENUMERATOR = re.compile(r"\s*(?:step\s+)?\d{1,3}[.)]", re.IGNORECASE)
# A line that may follow a heading starts like a sentence.
_SENTENCE_START = re.compile(r"[ \t]*[A-Z0-9\"'“‘(]")
_HEADING_MAX = 70
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves said says say according tell told does did what's who's
    there's let's many much per via""".split()
)


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences in ``text``, stripped of surrounding whitespace.

    Offsets are shifted by ``offset`` so spans of a chunk can point into its whole document.
    """
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        if text[match.start() - 1 : match.start()] == "." and _ABBREVIATION.search(
            text, max(0, match.start() - 12), match.start()
        ):
            continue
        if _ENUMERATOR.fullmatch(text, text.rfind("\n", 0, match.start()) + 1, match.start()):
            continue
        _append_stripped(text, position, match.start(), offset, spans)
        position = match.end()
    _append_stripped(text, position, len(text), offset, spans)
    return spans


def _append_stripped(text: str, start: int, end: int, offset: int, spans: list[tuple[int, int]]) -> None:
    # A short line without end punctuation (a title, a heading, a PDF header) stands on its own. Only
    # line breaks are visited: a regex tried at every character cost 70 steps per character of prose.
    line = start
    while (newline := text.find("\n", line, end)) != -1:
        if (
            (line == 0 or text[line - 1] == "\n")
            and 0 < newline - line <= _HEADING_MAX
            and text[newline - 1] not in ".!?,;:-–—"
            and _SENTENCE_START.match(text, newline + 1, end)
        ):
            _append_piece(text, start, newline + 1, offset, spans)
            start = newline + 1
        line = newline + 1
    _append_piece(text, start, end, offset, spans)


def _append_piece(text: str, start: int, end: int, offset: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((offset + start + lead, offset + start + lead + len(stripped)))


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    tokens = (match.group(0).lower().replace("’", "'") for match in _WORD.finditer(text))
    return [token.removesuffix("'s") for token in tokens]


def stem(word: str) -> str:
    """A light suffix stripper so that 'demands'/'demanded' and 'demand' meet."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    # Short plurals and verb forms too: "runs" and "run", "cars" and "car".
    if len(word) == 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def content_terms(text: str) -> set[str]:
    """Stemmed words that carry meaning (no stopwords, no single characters)."""
    return {stem(word) for word in words(text) if word not in STOPWORDS and len(word) > 1}


def terms_match(left: str, right: str) -> bool:
    """Stemmed terms that are equal, or where one extends the other ('russia'/'russian')."""
    if left == right:
        return True
    short, long_ = sorted((left, right), key=len)
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3


def overlap(question_terms: set[str], text_terms: set[str]) -> float:
    """Share of ``question_terms`` that some term of ``text_terms`` matches."""
    if not question_terms:
        return 0.0
    hits = sum(any(terms_match(term, other) for other in text_terms) for term in question_terms)
    return hits / len(question_terms)


# Chat-template control tokens as text: ChatML and Llama 3 (<|im_start|>, <|eot_id|>), Llama 2 ([INST], <<SYS>>,
# <s>). llama.cpp tokenizes the whole templated prompt with special tokens enabled, so such text inside a
# document would become real turn boundaries and could open a fake system turn.
_CONTROL_TOKEN = re.compile(r"<\|([^<>|\s]{1,64})\|>|\[(/?INST)\]|<<(/?SYS)>>|</?s>")


def without_control_tokens(text: str) -> str:
    """``text`` with chat-template control tokens made plain (``<|im_start|>`` -> ``<im_start>``)."""
    return _CONTROL_TOKEN.sub(
        lambda m: f"<{m.group(1)}>" if m.group(1) else f"({m.group(2) or m.group(3) or 's'})", text
    )


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 chunk', '2 chunks', '0 sources'."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"
