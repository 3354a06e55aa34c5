"""What the `qa` commands print, as plain functions: counts with the right plural, a search hit's best sentence
with the query's words marked, what the claim check changed in a streamed draft, and document text and file
names made safe to print on a terminal."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from assistant.text import STOPWORDS, content_terms, plural, sentence_spans, stem, terms_match
from ingest.indexer import FileResult, IngestReport

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# What a terminal acts on instead of showing: CSI sequences (ESC [ or its 8-bit form 0x9b, parameters, one
# final byte), the string sequences OSC, DCS, SOS, PM and APC (a window title, a clipboard write, a hyperlink)
# up to BEL or ST, and the other two-byte ESC sequences; then any single C0 or C1 control, DEL, and the
# bidirectional overrides and isolates that make text read in another order than it is stored.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LINE_BREAK = re.compile(r"\r\n?|[\n\v\f\x1c-\x1e\x85\u2028\u2029]")
_VISIBLE = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE_IN_TEXT = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def terminal_safe(text: str, *, name: bool = False, lines: bool = False) -> str:
    """``text`` from a document or a file name, safe to print: nothing in it can move the cursor, clear the
    screen, set colours or the window title, or start a line of its own. A ``name`` (a file name, a path, a
    message quoting them) shows each control character visibly (a newline as ``\\n``, ESC as ``\\x1b``, a byte
    that is not UTF-8 as ``\\xff``), so the name printed is the name on disk; document text loses escape
    sequences and controls, its line breaks kept when ``lines`` (the output is meant to run over several
    lines) and made spaces otherwise."""
    if name:
        return _UNSAFE.sub(_visible, text)
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _LINE_BREAK.sub("\n" if lines else " ", text).replace("\t", " ")
    return _UNSAFE_IN_TEXT.sub("", _SURROGATE.sub("\ufffd", text))


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _VISIBLE:
        return _VISIBLE[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by the file system's surrogate escape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_json(value: object) -> str:
    """``value`` as indented JSON, safe to print: json escapes C0 controls itself, not C1 controls, bidi
    overrides or the lone surrogates of a name that is not UTF-8 (which could not even be written out)."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group(0)):04x}", text)


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
