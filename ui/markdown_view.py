"""A Markdown document shown as formatted text, safely: headings, bold and italic, lists, quotes and tables
look formatted, while every character of the document is escaped, so nothing in it can become HTML, a link
target, an image or a Streamlit directive. Links show their text only, images their alt text, raw HTML is
shown as text. Cited sentences are marked by their offsets in the document text, so the marks land on the
same characters the citation names.

The parser is a small subset of CommonMark: enough to read a handbook, never enough to run anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

MARKDOWN_SUFFIXES = (".md", ".markdown")

# Characters Streamlit markdown could act on, backslash-escaped in everything shown (as ui.render.escape).
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
_ATX_CLOSE = re.compile(r"[ \t]+#+[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_QUOTE = re.compile(r"^ {0,3}> ?")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")

Colour = str | None


@dataclass(frozen=True)
class Glyph:
    """One shown character, where it sits in the document, and its style."""

    char: str
    offset: int
    bold: bool = False
    italic: bool = False


@dataclass
class Block:
    """A heading, paragraph, list item, quote, rule, table or code block, with its text as glyphs."""

    kind: str
    glyphs: list[Glyph] = field(default_factory=list)
    level: int = 0  # heading level, or list nesting
    marker: str = ""  # '-' or '3.' for a list item
    rows: list[list[list[Glyph]]] = field(default_factory=list)  # table cells
    code: list[str] = field(default_factory=list)


def is_markdown(source: str) -> bool:
    """True for a .md/.markdown file."""
    return source.lower().endswith(MARKDOWN_SUFFIXES)


# ---------------------------------------------------------------------------------------------------------- inline


def _punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def inline_glyphs(content: str, offsets: list[int]) -> list[Glyph]:
    """The shown characters of inline Markdown: escapes resolved, code as written, links as their text, images
    as their alt text, HTML as text, and ``*``/``_`` emphasis turned into bold or italic."""
    tokens: list[Glyph | list[object]] = []  # glyphs, and delimiter runs [char, count, can_open, can_close, offset]
    i = 0
    n = len(content)
    while i < n:
        char = content[i]
        if char == "\\" and i + 1 < n and content[i + 1] in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~":
            tokens.append(Glyph(content[i + 1], offsets[i + 1]))
            i += 2
        elif char == "`":
            run = len(content[i:]) - len(content[i:].lstrip("`"))
            close = _closing_backticks(content, i + run, run)
            if close < 0:
                tokens.extend(Glyph("`", offsets[i + k]) for k in range(run))
                i += run
                continue
            tokens.extend(Glyph(content[k], offsets[k]) for k in range(i + run, close))
            i = close + run
        elif char == "!" and content.startswith("[", i + 1):
            end = _bracket_end(content, i + 1)
            after = _target_end(content, end + 1) if end >= 0 else -1
            if after < 0:
                tokens.append(Glyph("!", offsets[i]))
                i += 1
                continue
            # An image: its alt text only, as plain characters.
            tokens.extend(Glyph(content[k], offsets[k]) for k in range(i + 2, end) if content[k] not in "*_`")
            i = after
        elif char == "[":
            end = _bracket_end(content, i)
            after = _target_end(content, end + 1) if end >= 0 else -1
            if after < 0:
                tokens.append(Glyph("[", offsets[i]))
                i += 1
                continue
            # A link: its text, formatted, never its target.
            tokens.extend(inline_glyphs(content[i + 1 : end], offsets[i + 1 : end + 1]))
            i = after
        elif char in "*_":
            run = len(content[i:]) - len(content[i:].lstrip(char))
            before = content[i - 1] if i > 0 else " "
            after_char = content[i + run] if i + run < n else " "
            left = not after_char.isspace() and (
                not _punctuation(after_char) or before.isspace() or _punctuation(before)
            )
            right = not before.isspace() and (
                not _punctuation(before) or after_char.isspace() or _punctuation(after_char)
            )
            if char == "*":
                can_open, can_close = left, right
            else:
                can_open = left and (not right or _punctuation(before))
                can_close = right and (not left or _punctuation(after_char))
            tokens.append([char, run, can_open, can_close, offsets[i]])
            i += run
        else:
            tokens.append(Glyph(char, offsets[i]))
            i += 1
    return _emphasis(tokens)


def _closing_backticks(content: str, start: int, run: int) -> int:
    """Where a backtick run of exactly ``run`` starts at or after ``start``, or -1."""
    for match in re.finditer(r"`+", content[start:]):
        if len(match.group()) == run:
            return start + match.start()
    return -1


def _bracket_end(content: str, start: int) -> int:
    """The index of the ']' matching the '[' at ``start``, or -1."""
    depth = 0
    i = start
    while i < len(content):
        if content[i] == "\\":
            i += 2
            continue
        if content[i] == "[":
            depth += 1
        elif content[i] == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _target_end(content: str, start: int) -> int:
    """After a link's ']': the end of its '(target)' or '[reference]', or -1 when there is none."""
    if content.startswith("(", start):
        depth = 0
        for i in range(start, len(content)):
            if content[i] == "(":
                depth += 1
            elif content[i] == ")":
                depth -= 1
                if depth == 0:
                    return i + 1
        return -1
    if content.startswith("[", start):
        end = _bracket_end(content, start)
        return end + 1 if end >= 0 else -1
    return -1


def _emphasis(tokens: list[Glyph | list[object]]) -> list[Glyph]:
    """CommonMark's delimiter matching, simplified: each closer takes the nearest opener of its character;
    two from each side make bold, one italic; unmatched delimiters stay as text."""
    pairs: list[tuple[int, int, str]] = []
    used: dict[int, list[int]] = {}  # delimiter index -> [chars used from its start, chars used from its end]
    openers: list[int] = []
    for index, token in enumerate(tokens):
        if isinstance(token, Glyph):
            continue
        char, count, can_open, can_close = token[0], int(token[1]), bool(token[2]), bool(token[3])  # type: ignore[call-overload]
        used[index] = [0, 0]
        left = count
        while can_close and left > 0:
            opener = next((o for o in reversed(openers) if tokens[o][0] == char and _left(tokens, used, o) > 0), None)  # type: ignore[index]
            if opener is None:
                break
            take = 2 if left >= 2 and _left(tokens, used, opener) >= 2 else 1
            used[opener][1] += take
            left -= take
            used[index][0] += take
            pairs.append((opener, index, "bold" if take == 2 else "italic"))
            # Openers between the pair can no longer match.
            openers = [o for o in openers if o <= opener]
            if _left(tokens, used, opener) == 0:
                openers.remove(opener)
        if can_open and left > 0:
            openers.append(index)
    glyphs: list[Glyph] = []
    for index, token in enumerate(tokens):
        bold = any(o < index < c and kind == "bold" for o, c, kind in pairs)
        italic = any(o < index < c and kind == "italic" for o, c, kind in pairs)
        if isinstance(token, Glyph):
            glyphs.append(Glyph(token.char, token.offset, bold or token.bold, italic or token.italic))
            continue
        offset = int(token[4])  # type: ignore[call-overload]
        glyphs.extend(Glyph(str(token[0]), offset, bold, italic) for _ in range(_left(tokens, used, index)))
    return glyphs


def _left(tokens: list[Glyph | list[object]], used: dict[int, list[int]], index: int) -> int:
    token = tokens[index]
    assert not isinstance(token, Glyph)
    return int(token[1]) - sum(used.get(index, [0, 0]))  # type: ignore[call-overload]


# ----------------------------------------------------------------------------------------------------------- blocks


@dataclass
class _Line:
    start: int  # offset of the line's first character in the document
    text: str


def _lines(text: str, start: int, end: int, base: int) -> list[_Line]:
    lines = []
    position = start + base
    for piece in text[start:end].split("\n"):
        lines.append(_Line(position, piece))
        position += len(piece) + 1
    return lines


def _content(parts: list[tuple[int, str]]) -> tuple[str, list[int]]:
    """Pieces of lines (offset, text) joined by newlines, with each character's document offset."""
    content = []
    offsets: list[int] = []
    for index, (start, piece) in enumerate(parts):
        if index:
            content.append("\n")
            offsets.append(start - 1)
        content.append(piece)
        offsets.extend(range(start, start + len(piece)))
    return "".join(content), [*offsets, offsets[-1] + 1 if offsets else 0]


def _cells(line: _Line) -> list[list[Glyph]]:
    """A table row's cells (a leading and a trailing '|' are optional; '\\|' is not a separator)."""
    text = line.text
    bounds = []  # (start, end) of each cell in the line
    cell_start = 0
    index = 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == "|":
            bounds.append((cell_start, index))
            cell_start = index + 1
        index += 1
    bounds.append((cell_start, len(text)))
    if bounds and not text[bounds[0][0] : bounds[0][1]].strip() and text.lstrip().startswith("|"):
        bounds.pop(0)
    if len(bounds) > 1 and not text[bounds[-1][0] : bounds[-1][1]].strip() and text.rstrip().endswith("|"):
        bounds.pop()
    cells = []
    for begin, finish in bounds:
        piece = text[begin:finish]
        lead = len(piece) - len(piece.lstrip())
        trimmed = piece.strip()
        first = line.start + begin + lead
        cells.append(inline_glyphs(trimmed, [*range(first, first + len(trimmed)), first + len(trimmed)]))
    return cells


def parse_blocks(text: str, start: int = 0, end: int | None = None, base: int = 0) -> list[Block]:
    """The blocks of ``text[start:end]`` read as Markdown; every glyph keeps its offset into ``text`` plus
    ``base`` (the document offset of ``text[0]``, for a passage read alone)."""
    end = len(text) if end is None else end
    lines = _lines(text, start, end, base)
    blocks: list[Block] = []
    parts: list[tuple[int, str]] = []  # the open paragraph, list item or quote
    open_kind: Block | None = None

    def close() -> None:
        nonlocal parts, open_kind
        if open_kind is not None and parts:
            content, offsets = _content(parts)
            open_kind.glyphs = inline_glyphs(content, offsets)
            blocks.append(open_kind)
        parts, open_kind = [], None

    index = 0
    while index < len(lines):
        line = lines[index]
        raw = line.text
        fence = _FENCE.match(raw)
        if not raw.strip():
            close()
        elif fence:
            close()
            marker = fence.group(1)
            code = []
            index += 1
            while index < len(lines) and not lines[index].text.strip().startswith(marker[0] * len(marker)):
                code.append(lines[index].text)
                index += 1
            blocks.append(Block("code", code=code))
        elif open_kind is not None and open_kind.kind == "paragraph" and _SETEXT.match(raw):
            open_kind.kind, open_kind.level = "heading", 1 if raw.strip()[0] == "=" else 2
            close()
        elif _RULE.match(raw):
            close()
            blocks.append(Block("rule"))
        elif heading := _ATX.match(raw):
            close()
            body = raw[heading.end() :]
            closing = _ATX_CLOSE.search(body)
            if closing:
                body = body[: closing.start()]
            elif set(body.strip()) == {"#"}:
                body = ""
            open_kind, parts = (
                Block("heading", level=len(heading.group(1))),
                [(line.start + heading.end(), body.rstrip())],
            )
            close()
        elif _REFERENCE.match(raw):
            close()  # a link's target, defined apart: not shown
        elif (
            "|" in raw
            and index + 1 < len(lines)
            and _TABLE_RULE.match(lines[index + 1].text)
            and "-" in lines[index + 1].text
        ):
            close()
            rows = [_cells(line)]
            index += 2
            while index < len(lines) and lines[index].text.strip() and "|" in lines[index].text:
                rows.append(_cells(lines[index]))
                index += 1
            blocks.append(Block("table", rows=rows))
            continue
        elif item := _ITEM.match(raw):
            close()
            indent = len(item.group(1).expandtabs(4))
            marker = item.group(2)
            open_kind = Block("item", level=min(indent // 2, 5), marker="-" if marker in "-*+" else marker[:-1] + ".")
            parts = [(line.start + item.end(), raw[item.end() :])]
        elif quote := _QUOTE.match(raw):
            if open_kind is None or open_kind.kind != "quote":
                close()
                open_kind = Block("quote")
            parts.append((line.start + quote.end(), raw[quote.end() :]))
        else:
            lead = len(raw) - len(raw.lstrip())
            if open_kind is None:
                open_kind = Block("paragraph")
            parts.append((line.start + lead, raw[lead:]))
        index += 1
    close()
    return blocks


# ---------------------------------------------------------------------------------------------------------- output


def _escaped(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def _wrapped(text: str, opening: str, closing: str) -> str:
    """``text`` inside the delimiters, its leading and trailing spaces moved outside (so they apply)."""
    core = text.strip(" ")
    if not core:
        return text
    lead = text[: len(text) - len(text.lstrip(" "))]
    trail = text[len(text.rstrip(" ")) :]
    return f"{lead}{opening}{core}{closing}{trail}"


def glyphs_markdown(glyphs: list[Glyph], colour_of: Callable[[int], Colour], strong: bool = False) -> str:
    """Glyphs as escaped markdown: bold and italic as ** and *, marked characters inside a colour directive."""
    pieces = []
    for colour, coloured in groupby(glyphs, key=lambda glyph: colour_of(glyph.offset)):
        inner = []
        for (bold, italic), styled in groupby(coloured, key=lambda glyph: (glyph.bold or strong, glyph.italic)):
            text = _escaped("".join(glyph.char for glyph in styled))
            delimiter = ("**" if bold else "") + ("*" if italic else "")
            inner.append(_wrapped(text, delimiter, delimiter[::-1]) if delimiter else text)
        joined = "".join(inner)
        pieces.append(_wrapped(joined, f":{colour}-background[", "]") if colour else joined)
    return re.sub(r" {2,}", " ", "".join(pieces)).strip()


def blocks_markdown(blocks: list[Block], colour_of: Callable[[int], Colour], heading_shift: int | None = 2) -> str:
    """Blocks as markdown; headings ``heading_shift`` levels smaller (None: as bold lines, for a small card)."""
    out: list[str] = []
    previous = ""
    for block in blocks:
        if block.kind == "code":
            longest = max((len(run) for line in block.code for run in re.findall(r"`+", line)), default=0)
            fence = "`" * max(3, longest + 1)
            chunk = "\n".join([fence, *block.code, fence])
        elif block.kind == "rule":
            chunk = "---"
        elif block.kind == "table":
            width = max(len(row) for row in block.rows)
            rows = [
                "| "
                + " | ".join(glyphs_markdown(cell, colour_of) or " " for cell in row + [[]] * (width - len(row)))
                + " |"
                for row in block.rows
            ]
            chunk = "\n".join([rows[0], "|" + " --- |" * width, *rows[1:]])
        else:
            shown = glyphs_markdown(block.glyphs, colour_of, strong=block.kind == "heading" and heading_shift is None)
            if not shown:
                continue
            if block.kind == "heading" and heading_shift is not None:
                chunk = "#" * min(6, block.level + heading_shift) + " " + shown
            elif block.kind == "item":
                chunk = "    " * block.level + block.marker + " " + shown
            elif block.kind == "quote":
                chunk = "> " + shown
            else:
                chunk = shown
        # List items of one list stay together; every other block is a paragraph of its own.
        out.append(("\n" if previous == "item" and block.kind == "item" else "\n\n") + chunk if out else chunk)
        previous = block.kind
    return "".join(out)


def markdown_document(
    text: str,
    start: int,
    end: int,
    colour_of: Callable[[int], Colour],
    heading_shift: int | None = 2,
    base: int = 0,
) -> str:
    """``text[start:end]`` of a Markdown document as formatted, escaped markdown with its marks (offsets
    given to ``colour_of`` are ``base`` plus the index in ``text``)."""
    return blocks_markdown(parse_blocks(text, start, end, base), colour_of, heading_shift)


def plain_markdown(text: str, colour_of: Callable[[int], Colour], base: int = 0) -> str:
    """Plain text as escaped markdown, paragraphs kept, marked characters in their colour (orange in bold)."""
    paragraphs = []
    for match in re.finditer(r"\S(?:.*?\S)??(?=\s*\n\s*\n|\s*$)", text, flags=re.DOTALL):
        glyphs = [
            Glyph(char, base + match.start() + index, bold=colour_of(base + match.start() + index) == "orange")
            for index, char in enumerate(match.group())
        ]
        paragraphs.append(glyphs_markdown(glyphs, colour_of))
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
