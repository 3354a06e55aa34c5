"""Turning answers and passages into safe Streamlit markdown (document text can never inject markup)."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.types import Answer, Citation

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
    """'[1] file.pdf · page 2 · chars 10-200 · score 0.031', the file name escaped (it is a label)."""
    parts = [f"[{citation.n}] {escape(Path(citation.source).name)}"]
    if citation.page:
        parts.append(f"page {citation.page}")
    parts.append(f"chars {citation.start}-{citation.end}")
    if score is not None:
        parts.append(f"score {score:.3f}")
    return " · ".join(parts)


# One citation marker or several in a row: '[1]', '[1, 2]', '[1][3]'.
_MARKERS = re.compile(r"\[\d+(?:\s*,\s*\d+)*\](?:\s*\[\d+(?:\s*,\s*\d+)*\])*")


def _escaped(text: str) -> str:
    """``escape`` without the final strip: a single leading/trailing space stays, so pieces can be joined."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def _inline(text: str) -> str:
    """Answer text as escaped markdown with its [n] markers in bold; whitespace runs become one space."""
    pieces = []
    position = 0
    for match in _MARKERS.finditer(text):
        before = _escaped(text[position : match.start()])
        markers = "".join("[" + ", ".join(re.findall(r"\d+", group)) + "]" for group in match.group().split("]")[:-1])
        # '**' opens only after a space or punctuation and closes only before one.
        space_before = " " if before and not before.endswith(" ") else ""
        space_after = " " if text[match.end() : match.end() + 1].isalnum() else ""
        pieces.append(f"{before}{space_before}**{markers}**{space_after}")
        position = match.end()
    pieces.append(_escaped(text[position:]))
    return "".join(pieces)


def answer_markdown(answer: Answer) -> str:
    """The answer text, escaped, markers in bold; each unsupported sentence on a red background with a ⚠."""
    text = answer.answer
    spans: list[tuple[int, int]] = []
    position = 0
    for sentence in answer.unsupported:
        sentence = sentence.strip()
        start = text.find(sentence, position) if sentence else -1
        if start < 0:
            continue
        spans.append((start, start + len(sentence)))
        position = start + len(sentence)
    pieces = []
    position = 0
    for start, end in spans:
        pieces.append(_inline(text[position:start]))
        pieces.append(f":red-background[{_inline(text[start:end]).strip()}] ⚠")
        position = end
    pieces.append(_inline(text[position:]))
    return "".join(pieces).strip()


def conversation_markdown(messages: list[dict]) -> str:
    """The whole conversation as Markdown, with each answer's citations listed under it."""
    lines = ["# Conversation", ""]
    for message in messages:
        if message["role"] == "user":
            lines += [f"**You:** {message['content']}", ""]
            continue
        answer = Answer.model_validate(message["answer"])
        lines += [f"**Assistant:** {answer.answer}", ""]
        for citation in answer.citations:
            page = f", page {citation.page}" if citation.page else ""
            quote = " ".join((citation.highlights[0].text if citation.highlights else citation.text).split())
            lines.append(f"- [{citation.n}] {citation.source}{page}, chars {citation.start}-{citation.end}: \"{quote}\"")
        lines.append("")
    return "\n".join(lines)
