"""The stored document around a retrieved passage: what a chunk edge cut off is read back.

A list or procedure that the passage starts inside, ends inside or introduces is read whole from the
document (its lead-in before, its items after the chunk's end), and a passage of table rows reaches back
to the heading that scopes them when the rows do not name it. A passage only ever grows over its
document's own text, so ``document[start:end] == text`` still holds and a citation of it stays exact.
"""

from __future__ import annotations

import re

from assistant.text import sentence_spans
from assistant.types import Passage

# How far a passage may grow each way to finish a list: procedures are rarely longer, and every 100
# characters shown cost the local model ~0.4 s before its first token.
LIST_MAX_ITEMS = 20
LIST_MAX_CHARS = 1500
SCOPE_MAX_CHARS = 1500
LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)]|step\s+\d+\b)", re.IGNORECASE)
# 'Site: Site B; Hours: 14:00-20:00; Staff: 3.': a table row as the loaders write it.
TABLE_ROW = re.compile(r"^[^:;\n]{1,80}: [^\n]*; [^:;\n]{1,80}: ", re.MULTILINE)
# Parts of a section path that name a place in a table or slide rather than a heading of the text.
_NOT_A_HEADING = re.compile(r"row \d+|header row|speaker notes|page \d+.*", re.IGNORECASE)
_SLIDE_NUMBER = re.compile(r"Slide \d+: ")
_MARKDOWN_HEADING = re.compile(r"#{1,6}[ \t]+\S")
_TO_NEXT_LINE = re.compile(r"[^\S\n]*\n\s*(?=\S)")
# A line break and at most one blank line: list items stand on lines of their own, or one paragraph each.
_LINE_BREAK = re.compile(r"[ \t\r]*\n(?:[ \t\r]*\n)?[ \t]*")


def widened(passage: Passage, document: str | None) -> Passage:
    """The passage grown over its document to hold a list it cuts and the heading of its table rows."""
    if not document or document[passage.start : passage.end] != passage.text:
        return passage
    start, end = _list_start(document, passage.start), _list_end(document, passage.end)
    end = max(end, _section_list_end(document, passage, start, end))
    start = min(start, _scope_start(document, passage.section, start, end))
    if (start, end) == (passage.start, passage.end):
        return passage
    return passage.model_copy(update={"start": start, "end": end, "text": document[start:end]})


def scope_heading(passage: Passage) -> str:
    """The heading that scopes the passage's table rows when the passage holds it as a line of its own."""
    heading = _innermost_heading(passage.section)
    if heading and TABLE_ROW.search(passage.text) and _heading_line(passage.text, heading, 0, len(passage.text)):
        return heading
    return ""


def _line_end(document: str, offset: int) -> int:
    end = document.find("\n", offset)
    return len(document) if end < 0 else end


def _next_line(document: str, position: int) -> tuple[int, int, bool] | None:
    """(start, end, directly) of the next non-blank line after ``position``, across at most one blank line;
    ``directly`` when no blank line lies between."""
    match = _LINE_BREAK.match(document, position)
    if match is None or match.end() >= len(document):
        return None
    end = _line_end(document, match.end())
    text = document[match.end() : end]
    if not text.strip():
        return None
    return match.end(), match.end() + len(text.rstrip()), match.group().count("\n") == 1


def _previous_line(document: str, line_start: int) -> tuple[int, int, bool] | None:
    """(start, end, directly) of the non-blank line before the line at ``line_start``, across at most one
    blank line."""
    position, blanks = line_start - 1, 0
    while position >= 0:
        start = document.rfind("\n", 0, position) + 1
        text = document[start:position]
        if text.strip():
            begin = start + len(text) - len(text.lstrip())
            return begin, begin + len(text.strip()), blanks == 0
        blanks += 1
        if blanks > 1:
            return None
        position = start - 1
    return None


def _list_end(document: str, end: int) -> int:
    """Where the list that ``end`` stops inside of, or that starts right after it, ends (within the caps)."""
    line_start = document.rfind("\n", 0, max(end - 1, 0)) + 1
    if LIST_ITEM.match(document[line_start:end]):
        # The rest of an item the chunk cut after one of its sentences.
        end = line_start + len(document[line_start : _line_end(document, end)].rstrip())
    limit, items = end + LIST_MAX_CHARS, 0
    while items < LIST_MAX_ITEMS and (line := _next_line(document, end)) is not None and line[1] <= limit:
        start, stop, directly = line
        text = document[start:stop]
        if LIST_ITEM.match(text):
            items += 1
        elif not (items and directly and text[:1].islower()):  # a wrapped item goes on in lower case
            break
        end = stop
    return end


def is_heading_line(text: str, section: str = "") -> bool:
    """A Markdown heading, or the innermost heading of ``section`` standing alone."""
    line = text.strip()
    if _MARKDOWN_HEADING.match(line):
        return True
    heading = _innermost_heading(section)
    return bool(heading) and line.rstrip(" #") == heading


def _section_list_end(document: str, passage: Passage, start: int, end: int) -> int:
    """Where the first list of the section ends when the passage holds the section's heading but stops before
    its list: a procedure's title retrieved without its steps ("# How to descale the kettle", an introduction,
    then the steps in the next chunk)."""
    text = document[start:end]
    headings = [line for line in re.finditer(r"(?m)^.+$", text) if is_heading_line(line.group(), passage.section)]
    if not headings or _has_item(text[headings[-1].end() :]):
        return end
    limit, position = end + LIST_MAX_CHARS, _line_end(document, end)
    while (line := _next_any_line(document, position)) is not None and line[1] <= limit:
        line_text = document[line[0] : line[1]]
        if is_heading_line(line_text, passage.section):
            return end
        if LIST_ITEM.match(line_text):
            return _list_end(document, line[1])
        position = line[1]
    return end


def _has_item(text: str) -> bool:
    return any(LIST_ITEM.match(line) for line in text.splitlines())


def _next_any_line(document: str, position: int) -> tuple[int, int] | None:
    """(start, end) of the next non-blank line after ``position``, however many blank lines lie between."""
    match = _TO_NEXT_LINE.match(document, position)
    if match is None:
        return None
    return match.end(), _line_end(document, match.end())


def _list_start(document: str, start: int) -> int:
    """Where the list that ``start`` is inside of begins, with the sentence that introduces it."""
    line_start = document.rfind("\n", 0, start) + 1
    if not LIST_ITEM.match(document[line_start : _line_end(document, start)]):
        return start
    limit, position = start - LIST_MAX_CHARS, line_start
    for _ in range(LIST_MAX_ITEMS):
        line = _previous_line(document, position)
        if line is None or line[0] < limit:
            break
        begin, stop, directly = line
        text = document[begin:stop]
        if LIST_ITEM.match(text) or (directly and text[:1].islower()):
            position = begin
            continue
        # The lead-in, however it ends ('... these steps:', '... as follows.', a heading): its last sentence.
        spans = sentence_spans(text, begin)
        return spans[-1][0] if spans else begin
    return min(start, position)


def _innermost_heading(section: str) -> str:
    parts = [part for part in section.split(" > ") if part.strip() and not _NOT_A_HEADING.fullmatch(part.strip())]
    return _SLIDE_NUMBER.sub("", parts[-1].strip(), count=1) if parts else ""


def _heading_line(text: str, heading: str, start: int, end: int) -> re.Match[str] | None:
    """The last line of ``text[start:end]`` that is the heading alone (Markdown's '## ' allowed)."""
    lines = list(re.finditer(rf"(?m)^[ \t]*(?:#{{1,6}}[ \t]+)?{re.escape(heading)}[ \t#]*$", text[start:end]))
    return lines[-1] if lines else None


def _scope_start(document: str, section: str, start: int, end: int) -> int:
    """Where the heading of the table rows in ``document[start:end]`` begins, when the rows do not name it."""
    heading = _innermost_heading(section)
    text = document[start:end]
    if not heading or heading in text or not TABLE_ROW.search(text):
        return start
    window = max(0, start - SCOPE_MAX_CHARS)
    line = _heading_line(document, heading, window, start)
    if line is None:
        return start
    return window + line.start() + len(line.group()) - len(line.group().lstrip())
