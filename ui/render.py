"""Turning answers and passages into safe Streamlit markdown (document text can never inject markup)."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.types import Answer, Citation

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def escape(text: str) -> str:
    """Backslash-escape every character Streamlit markdown could treat as markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


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
    """'[1] file.pdf · page 2 · chars 10-200 · score 0.031'."""
    parts = [f"[{citation.n}] {Path(citation.source).name}"]
    if citation.page:
        parts.append(f"page {citation.page}")
    parts.append(f"chars {citation.start}-{citation.end}")
    if score is not None:
        parts.append(f"score {score:.3f}")
    return " · ".join(parts)


def answer_markdown(answer: Answer) -> str:
    """The answer text, escaped, with unsupported sentences struck through is too strong: they get a mark."""
    text = escape(answer.answer)
    for sentence in answer.unsupported:
        marked = escape(sentence)
        if marked and marked in text:
            text = text.replace(marked, f":red-background[{marked}] ⚠", 1)
    return re.sub(r"\\\[(\d+(?:\\?, ?\d+)*)\\\]", lambda m: "**[" + m.group(1).replace("\\", "") + "]**", text)


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
