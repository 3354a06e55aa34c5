"""Turning answers and passages into safe Streamlit markdown (document text can never inject markup)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.markers import MARKER_RUN
from assistant.types import Answer, Citation, Unsupported

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def escape(text: str) -> str:
    """Backslash-escape every character Streamlit markdown could treat as markup."""
    return _escaped(text).strip()


def highlighted(citation: Citation) -> str:
    """The cited passage as markdown, its supporting sentences on an orange background."""
    pieces = []
    position = citation.start
    for highlight in sorted(citation.highlights, key=lambda h: h.start):
        if highlight.start < position:
            continue
        pieces.append(escape(citation.text[position - citation.start : highlight.start - citation.start]))
        pieces.append(f":orange-background[{escape(highlight.text)}]")
        position = highlight.end
    pieces.append(escape(citation.text[position - citation.start :]))
    return " ".join(piece for piece in pieces if piece)


def card_title(citation: Citation, score: float | None) -> str:
    """'[1] file.pdf · page 2 · Sales > row 4 · chars 10-200 · score 0.71', the file name and section
    escaped (they are labels)."""
    parts = [f"[{citation.n}] {escape(Path(citation.source).name)}"]
    if citation.page:
        parts.append(f"page {citation.page}")
    if citation.section:
        parts.append(escape(citation.section))
    parts.append(f"chars {citation.start}-{citation.end}")
    if score is not None:
        parts.append(f"score {score:.3f}")
    return " · ".join(parts)


def _escaped(text: str) -> str:
    """``escape`` without the final strip: a single leading/trailing space stays, so pieces can be joined."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def _inline(text: str) -> str:
    """Answer text as escaped markdown with its [n] markers in bold; whitespace runs become one space."""
    pieces = []
    position = 0
    for match in MARKER_RUN.finditer(text):
        before = _escaped(text[position : match.start()])
        markers = "".join("[" + ", ".join(re.findall(r"\d+", group)) + "]" for group in match.group().split("]")[:-1])
        # '**' opens only after a space or punctuation and closes only before one.
        space_before = " " if before and not before.endswith(" ") else ""
        space_after = " " if text[match.end() : match.end() + 1].isalnum() else ""
        pieces.append(f"{before}{space_before}**{markers}**{space_after}")
        position = match.end()
    pieces.append(_escaped(text[position:]))
    return "".join(pieces)


def escaped_pieces(pieces: Iterable[str]) -> Iterator[str]:
    """Streamed text pieces escaped one by one, so a draft cannot inject markup while it is being written."""
    for piece in pieces:
        yield _escaped(piece)


REMOVED_HEADING = "Removed by the citation check"


def answer_markdown(answer: Answer) -> str:
    """The answer text, escaped, its [n] markers in bold (removed sentences are shown apart: ``removed_markdown``)."""
    return _inline(answer.answer).strip()


def removed_markdown(item: Unsupported) -> str:
    """One removed sentence, struck through on a red background, then why it was removed; both escaped."""
    return f":red-background[~~{escape(item.sentence)}~~] — {escape(item.reason)}"


def refusal_markdown(answer: Answer) -> str:
    """The refusal text, escaped, followed by its reason when the text does not already say it."""
    reason = _unsaid_reason(answer)
    return escape(answer.answer) + (f"\n\n**Why:** {escape(reason)}" if reason else "")


def _unsaid_reason(answer: Answer) -> str | None:
    """The refusal reason, unless the refusal text already says it (compared ignoring case and spacing)."""
    reason = (answer.refusal_reason or "").strip() if answer.refused else ""
    return reason if reason and _folded(reason) not in _folded(answer.answer) else None


def _folded(text: str) -> str:
    """Text compared loosely: one case, one kind of apostrophe, single spaces."""
    return " ".join(text.replace("\u2019", "'").casefold().split())


def _export_lines(answer: Answer) -> list[str]:
    """An answer for the Markdown export: its text, the refusal reason, removed sentences and citations."""
    lines = [f"**Assistant:** {answer.answer}", ""]
    reason = _unsaid_reason(answer)
    if reason:
        lines += [f"*Why:* {reason}", ""]
    if answer.unsupported:
        lines.append(f"{REMOVED_HEADING}:")
        lines += [f"- ~~{' '.join(item.sentence.split())}~~ ({item.reason})" for item in answer.unsupported]
        lines.append("")
    for citation in answer.citations:
        page = f", page {citation.page}" if citation.page else ""
        quote = " ".join((citation.highlights[0].text if citation.highlights else citation.text).split())
        lines.append(f'- [{citation.n}] {citation.source}{page}, chars {citation.start}-{citation.end}: "{quote}"')
        lines += ["", f"  > {' '.join(citation.text.split())}", ""]
    return lines


def conversation_markdown(messages: list[dict], title: str = "Conversation") -> str:
    """The whole conversation as Markdown: each answer with its refusal reason, removed sentences, citations
    and the cited passages quoted in full."""
    lines = [f"# {' '.join(title.split())}", ""]
    for message in messages:
        if message["role"] == "user":
            lines += [f"**You:** {message['content']}", ""]
            continue
        lines += _export_lines(Answer.model_validate(message["answer"]))
        lines.append("")
    return "\n".join(lines)


def timings_caption(answer: Answer) -> str:
    """'retrieve 0.12 s · first token 0.80 s · total 1.40 s' (first token only when the answerer streamed)."""
    timings = answer.timings
    parts = [f"retrieve {timings.retrieve_s:.2f} s"]
    if timings.first_token_s is not None:
        parts.append(f"first token {timings.first_token_s:.2f} s")
    parts.append(f"total {timings.total_s:.2f} s")
    return " · ".join(parts)
