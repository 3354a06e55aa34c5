"""Example questions drawn from a collection's own documents: their section headings or short title lines."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.index.catalog import CatalogStore

# Sections that name a place, not a topic: 'Sales > row 14', 'page 2 (OCR text)', 'Slide 3' (a titled slide,
# 'Slide 3: Budget', keeps its title).
_PLACE = re.compile(r"^(row|page|slide|sheet|part|chapter|section)\s*\d+\b(?!:)", re.IGNORECASE)
_NUMBERING = re.compile(r"^(slide\s*\d+:\s*|[\d.]+\s+|[ivx]+\.\s+)", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]{2,}")
MAX_EXAMPLES = 3
# The chat page asks for examples on every redraw of an empty chat: only the newest documents are read, so a
# large collection whose files have no headings does not cost a read of every file each time.
MAX_DOCUMENTS_READ = 20


def _topic(section: str) -> str | None:
    """The last part of a section path as a topic ('Handbook > 4.2 Holidays' -> 'Holidays'), or None."""
    last = section.split(">")[-1].strip()
    if not last or _PLACE.match(last):
        return None
    topic = _NUMBERING.sub("", last).strip(" :#*-")
    words = _WORDS.findall(topic)
    return topic if 1 <= len(words) <= 8 and len(topic) <= 60 else None


def _title_line(text: str) -> str | None:
    """The document's first line when it reads like a title (a few words, no closing full stop)."""
    first = next((line.strip(" #*\t") for line in text.splitlines() if line.strip()), "")
    words = _WORDS.findall(first)
    return first if 2 <= len(words) <= 8 and len(first) <= 60 and not first.endswith((".", "?", "!")) else None


def _folded(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


def example_questions(catalog: CatalogStore, collection: str, limit: int = MAX_EXAMPLES) -> list[str]:
    """Up to ``limit`` questions about the newest documents of ``collection`` (at most MAX_DOCUMENTS_READ of
    them), one per document, from a section heading or a title line; [] when none reads like a topic."""
    questions: list[str] = []
    newest = sorted(catalog.records.sources(collection), key=lambda record: -record.ingested_at)
    for record in newest[:MAX_DOCUMENTS_READ]:
        name = Path(record.source).stem.replace("_", " ").replace("-", " ")
        chunks = catalog.records.chunks(collection, catalog.records.chunk_ids(collection, record.source)[:20])
        topics = [_topic(chunk.section) for chunk in sorted(chunks.values(), key=lambda chunk: chunk.start)]
        title = _title_line((catalog.texts.text_of(collection, record.source) or "")[:400])
        # A heading that repeats the file name or the title asks nothing: prefer the first section under it.
        said = {_folded(name), _folded(title or "")}
        topic = next((topic for topic in topics if topic and _folded(topic) not in said), title)
        if topic and _folded(topic) != _folded(name):
            questions.append(f"What does {name} say about {topic}?")
        if len(questions) >= limit:
            break
    return questions
