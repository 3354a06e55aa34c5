"""Sentence splitting for scoring answers and picking context sentences (the harness's own, simple rules)."""

from __future__ import annotations

import re

from assistant.text.markers import MARKER

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "jr",
    "sr",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "no",
    "fig",
    "al",
    "approx",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.k",
    "ca",
}
# A sentence ends at . ! or ? (and any markers or closing quotes right after), before white space.
_END = re.compile(r"[.!?]+(?:[\"”’)\]]*)(?:\s*" + MARKER.pattern + r")*(?=\s|$)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; line breaks end sentences too (list items count one each)."""
    spans = []
    offset = 0
    for line in text.splitlines(keepends=True):
        spans += [(offset + start, offset + end) for start, end in _line_sentences(line)]
        offset += len(line)
    return spans


def _line_sentences(line: str) -> list[tuple[int, int]]:
    spans = []
    item = _LIST_ITEM.match(line)
    start = 0
    for match in _END.finditer(line, item.end() if item else 0):
        before = line[start : match.start()].split()
        word = before[-1].lower().lstrip('("“') if before else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue  # 'Dr. Smith', 'J. Smith', 'U.S. troops'
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(line)))
    return [(s + _leading(line[s:e]), e - _trailing(line[s:e])) for s, e in spans if line[s:e].strip()]


def _leading(text: str) -> int:
    return len(text) - len(text.lstrip())


def _trailing(text: str) -> int:
    return len(text) - len(text.rstrip())


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (list markers such as '1.' or '-' kept with their item)."""
    return [text[start:end] for start, end in sentence_spans(text)]
