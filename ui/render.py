"""Turning answers and passages into safe Streamlit markdown (document text can never inject markup)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from assistant.text.markers import MARKER_RUN, markers_in, strip_markers
from assistant.types import Answer, Citation, Highlight, Passage, Span, Unsupported

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def escape(text: str) -> str:
    """Backslash-escape every character Streamlit markdown could treat as markup."""
    return _escaped(text).strip()


# At most this many of the passages found are shown under a refusal.
REFUSAL_CARDS = 5
CLOSEST_HEADING = "Closest passages found"
CLOSEST_NOTE = "The documents may still hold the answer: read these."
WHY_LABEL = "Why this answer?"
OPEN_LABEL = "Open in the document"
DETAILS_LABEL = "Details"
SHOW_MORE_LABEL = "Show more"


def file_name(source: str) -> str:
    """The file name of a stored path (Windows or POSIX separators), never the folders it sits in."""
    return PurePath(source.replace("\\", "/")).name or source


@dataclass(frozen=True)
class Card:
    """One source card: its number as shown, the passage, the sentences it marks, and its retrieval score."""

    number: int
    span: Span
    highlights: list[Highlight] = field(default_factory=list)
    score: float | None = None


def card_numbers(answer: Answer) -> dict[int, int]:
    """Passage number (as the answer's markers and reasons use it) -> the card number shown: an answer's
    cited passages 1..n in the order the text first cites them; a refusal's closest passages in order."""
    if answer.refused:
        return {number: card.number for number, card in _refusal_cards(answer)}
    cited = [citation.n for citation in answer.citations]
    order = [n for n in markers_in(answer.answer) if n in cited] + cited
    return {n: shown for shown, n in enumerate(dict.fromkeys(order), start=1)}


def _refusal_cards(answer: Answer) -> list[tuple[int, Card]]:
    """(passage number, card) for the first distinct passages a refusal found."""
    cards: list[tuple[int, Card]] = []
    seen: set[str] = set()
    for number, passage in enumerate(answer.passages, start=1):
        if passage.chunk_id in seen:
            continue
        seen.add(passage.chunk_id)
        cards.append((number, Card(len(cards) + 1, passage, [], passage.score)))
        if len(cards) == REFUSAL_CARDS:
            break
    return cards


def answer_cards(answer: Answer) -> list[Card]:
    """The cards shown under an answer (its citations, numbered as cited) or a refusal (the closest passages)."""
    if answer.refused:
        return [card for _, card in _refusal_cards(answer)]
    numbers = card_numbers(answer)
    scores = {passage.chunk_id: passage.score for passage in answer.passages}
    cards = [
        Card(numbers[citation.n], citation, list(citation.highlights), scores.get(citation.chunk_id))
        for citation in answer.citations
    ]
    return sorted(cards, key=lambda card: card.number)


def place_title(span: Span) -> str:
    """'handbook.md · 4.2 Holidays · page 3': the file name (never its folders), the section and the page; the
    name and section escaped (they are labels)."""
    parts = [escape(file_name(span.source))]
    if span.section:
        parts.append(escape(span.section))
    if span.page:
        parts.append(f"page {span.page}")
    return " · ".join(parts)


def card_title(span: Span, number: int) -> str:
    """'[1] handbook.md · 4.2 Holidays · page 3' (see ``place_title``)."""
    return f"[{number}] {place_title(span)}"


def card_details(card: Card) -> str:
    """What the 'Details' toggle shows: where the passage sits in the stored text, its score and stored path."""
    parts = [f"Characters {card.span.start}–{card.span.end} of the document text"]
    if card.score is not None:
        parts.append(f"retrieval score {card.score:.3f}")
    parts.append(f"stored as {escape(card.span.source)}")
    if isinstance(card.span, Citation | Passage):
        parts.append(f"chunk {escape(card.span.chunk_id)}")
    return " · ".join(parts)


def _escaped(text: str) -> str:
    """``escape`` without the final strip: a single leading/trailing space stays, so pieces can be joined."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def _inline(text: str, numbers: dict[int, int] | None = None) -> str:
    """Answer text as escaped markdown with its [n] markers in bold; whitespace runs become one space.
    With ``numbers``, each marker shows its card number, and a marker with no card is left out."""
    pieces = []
    position = 0
    for match in MARKER_RUN.finditer(text):
        before = _escaped(text[position : match.start()])
        groups = [[int(n) for n in re.findall(r"\d+", group)] for group in match.group().split("]")[:-1]]
        if numbers is not None:
            groups = [[numbers[n] for n in group if n in numbers] for group in groups]
        markers = "".join("[" + ", ".join(map(str, dict.fromkeys(group))) + "]" for group in groups if group)
        position = match.end()
        if not markers:
            pieces.append(before.rstrip() if text[position : position + 1] in ".,;:!?" else before)
            continue
        # '**' opens only after a space or punctuation and closes only before one.
        space_before = " " if before and not before.endswith(" ") else ""
        space_after = " " if text[match.end() : match.end() + 1].isalnum() else ""
        pieces.append(f"{before}{space_before}**{markers}**{space_after}")
    pieces.append(_escaped(text[position:]))
    return "".join(pieces)


def escaped_pieces(pieces: Iterable[str]) -> Iterator[str]:
    """Streamed text pieces escaped one by one, so a draft cannot inject markup while it is being written."""
    for piece in pieces:
        yield _escaped(piece)


# The evaluation report's heading for the sentences the check removed (the chat says it in plain words instead).
REMOVED_HEADING = "Removed by the citation check"


def answer_markdown(answer: Answer) -> str:
    """The answer text, escaped, its [n] markers in bold and numbered as the cards under it (removed sentences
    are explained apart: ``why_markdown``)."""
    return _inline(answer.answer, card_numbers(answer)).strip()


def removed_markdown(item: Unsupported) -> str:
    """One removed sentence, struck through on a red background, then why it was removed; both escaped (the
    evaluation report's form; the chat uses ``why_markdown``)."""
    return f":red-background[~~{escape(item.sentence)}~~] — {escape(item.reason)}"


# Saved chats from before the core said it plainly word a withdrawn answer for developers.
_PLAIN_WORDS = (
    ("do not state what the drafted answer said", "do not clearly state an answer"),
    ("the drafted answer", "the answer"),
    ("drafted answer", "answer"),
)


def plain_words(text: str) -> str:
    """A refusal or removal reason without the developer words ('drafted answer')."""
    for jargon, plain in _PLAIN_WORDS:
        text = text.replace(jargon, plain)
    return text


def refusal_markdown(answer: Answer) -> str:
    """The refusal text in plain words, escaped, followed by its reason when the text does not already say it."""
    reason = _unsaid_reason(answer)
    return escape(plain_words(answer.answer)) + (f"\n\n**Why:** {escape(plain_words(reason))}" if reason else "")


def _unsaid_reason(answer: Answer) -> str | None:
    """The refusal reason, unless the refusal text already says it (compared ignoring case and spacing)."""
    reason = (answer.refusal_reason or "").strip() if answer.refused else ""
    return reason if reason and _folded(reason) not in _folded(answer.answer) else None


def _folded(text: str) -> str:
    """Text compared loosely: one case, one kind of apostrophe, single spaces."""
    return " ".join(text.replace("\u2019", "'").casefold().split())


# 'the cited passage [2]', 'passages [1, 2]' or a bare '[2]' in a reason.
_REASON_MARKER = re.compile(r"(\b(?:the )?(?:cited )?passages? )?(\[\d+(?:\s*,\s*\d+)*\])")


def plain_reason(reason: str, numbers: dict[int, int]) -> str:
    """A removal reason in plain words whose [n] are the card numbers shown ('the number 95 is not in passage
    [1]'); a passage without a card becomes 'the passage it cites', a bare marker without one is left out."""

    def shown(match: re.Match[str]) -> str:
        cards = list(dict.fromkeys(numbers[n] for n in markers_in(match.group(2)) if n in numbers))
        marker = "[" + ", ".join(map(str, cards)) + "]"
        if match.group(1) is None:
            return marker if cards else ""
        if not cards:
            return "the passage it cites"
        return ("passage " if len(cards) == 1 else "passages ") + marker

    text = _REASON_MARKER.sub(shown, plain_words(reason))
    return re.sub(r"\s+([.,;:])", r"\1", " ".join(text.split()))


def _why_items(answer: Answer) -> list[tuple[str, str]]:
    """(sentence without its markers, plain reason) for each sentence the check left out."""
    numbers = card_numbers(answer)
    items = []
    for item in answer.unsupported:
        sentence = " ".join(strip_markers(item.sentence).split())
        if sentence:
            items.append((sentence, plain_reason(item.reason, numbers)))
    return items


def why_markdown(answer: Answer) -> str | None:
    """What the 'Why this answer?' expander says: which sentences the citation check left out and why, and
    what was changed in the text; None when there is nothing to say."""
    items = _why_items(answer)
    lines = []
    if items and answer.refused:
        lines.append(
            "An answer was written from the passages found, but the citation check could not find its sentences "
            "stated in them, so it is not shown:"
        )
    elif items:
        count = "One sentence was" if len(items) == 1 else f"{len(items)} sentences were"
        lines.append(
            f"{count} left out of the answer, because the citation check could not find "
            f"{'it' if len(items) == 1 else 'them'} stated in the passages cited:"
        )
    lines += [f"- “{escape(sentence)}” — {escape(reason)}" for sentence, reason in items]
    if items:
        lines.append("")
        lines.append("A sentence left out may still be true: open the passages to check.")
    notes = [note for note in answer.notes if note]
    if notes:
        lines.append("")
        lines += [f"- {escape(note[:1].upper() + note[1:])}." for note in notes]
    return "\n".join(lines).strip() or None


def _quoted(text: str) -> str:
    """Document text for the export: one line, every Markdown character escaped."""
    return escape(" ".join(text.split()))


def _export_lines(answer: Answer) -> list[str]:
    """An answer for the Markdown export: its text, the refusal reason, what was left out and why, and the
    passages with their text quoted (escaped: a passage cannot become a heading, quote, list, link or HTML)."""
    numbers = card_numbers(answer)
    text = _inline(answer.answer, numbers).strip() if not answer.refused else escape(plain_words(answer.answer))
    lines = [f"**Assistant:** {text}", ""]
    reason = _unsaid_reason(answer)
    if reason:
        lines += [f"*Why:* {escape(plain_words(reason))}", ""]
    items = _why_items(answer)
    if items:
        lines.append("Left out by the citation check:")
        lines += [f"- “{escape(sentence)}” ({escape(why)})" for sentence, why in items]
        lines.append("")
    cards = answer_cards(answer)
    if answer.refused and cards:
        lines += [f"{CLOSEST_HEADING}:", ""]
    for card in cards:
        where = "".join(
            f", {part}"
            for part in (escape(card.span.section), f"page {card.span.page}" if card.span.page else "")
            if part
        )
        quote = _quoted(card.highlights[0].text) if card.highlights else ""
        lines.append(
            f"- [{card.number}] {escape(file_name(card.span.source))}{where}" + (f": “{quote}”" if quote else "")
        )
        lines += ["", f"  > {_quoted(card.span.text)}", ""]
    return lines


def conversation_markdown(messages: list[dict], title: str = "Conversation") -> str:
    """The whole conversation as Markdown: each answer with its refusal reason, what was left out, and the
    passages it rests on (or, for a refusal, the closest found) quoted in full."""
    lines = [f"# {' '.join(title.split())}", ""]
    for message in messages:
        if message["role"] == "user":
            lines += [f"**You:** {message['content']}", ""]
            continue
        lines += _export_lines(Answer.model_validate(message["answer"]))
        lines.append("")
    return "\n".join(lines)


_RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def export_file_name(title: str, suffix: str) -> str:
    """A safe file name for an export named after the chat: 'Holiday rules', '.md' -> 'holiday-rules.md'
    (letters and digits of any script, '-' between words, at most 60 characters); 'conversation.md' when the
    title has no letter or digit."""
    suffix = "." + suffix.lstrip(".") if suffix.strip(".") else ""
    folded = unicodedata.normalize("NFKC", title).casefold()
    slug = re.sub(r"[^\w]+|_+", "-", folded).strip("-")[:60].strip("-")
    if not slug:
        return f"conversation{suffix}"
    if slug in _RESERVED_NAMES:
        slug += "-chat"
    return f"{slug}{suffix}"


def timings_caption(answer: Answer) -> str:
    """'retrieve 0.12 s · first token 0.80 s · total 1.40 s' (first token only when the answerer streamed)."""
    timings = answer.timings
    parts = [f"retrieve {timings.retrieve_s:.2f} s"]
    if timings.first_token_s is not None:
        parts.append(f"first token {timings.first_token_s:.2f} s")
    parts.append(f"total {timings.total_s:.2f} s")
    return " · ".join(parts)
