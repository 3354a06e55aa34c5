"""What the `qa` commands print, as plain functions: counts with the right plural, a search hit's best sentence
with the query's words marked, what the claim check changed in a streamed draft."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.text import STOPWORDS, content_terms, plural, sentence_spans, stem, terms_match
from ingest.indexer import FileResult, IngestReport

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def best_sentence(text: str, query: str) -> str:
    """The sentence of ``text`` that holds most of the query's words (the first one when none does), on one line."""
    terms = content_terms(query)
    best, best_hits = "", -1
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        found = content_terms(sentence)
        hits = sum(any(terms_match(term, other) for other in found) for term in terms)
        if hits > best_hits:
            best, best_hits = sentence, hits
    return " ".join(best.split())


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def mark_terms(text: str, query: str, mark: Callable[[str], str]) -> str:
    """``text`` with each word that matches a word of ``query`` passed through ``mark``."""
    terms = content_terms(query)

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        lowered = word.lower()
        if lowered in STOPWORDS or len(lowered) < 2:
            return word
        return mark(word) if any(terms_match(stem(lowered.removesuffix("'s")), term) for term in terms) else word

    return _WORD.sub(replace, text) if terms else text


def interrupted_summary(finished: Sequence[FileResult], total: int | None) -> str:
    """What an interrupted ingest did finish: those files are stored, each whole."""
    done = IngestReport(list(finished)).summary()
    return (
        f"ingest stopped after {len(finished)} of {plural(total or len(finished), 'file')} ({done}); "
        "those are stored, run the same command again for the rest"
    )
