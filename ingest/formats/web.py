"""Web pages (.html, .htm): the visible text, one block per paragraph, headings as sections."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.document import DEFAULT_LIMITS, Limits, LoadedDocument, heading_sections
from ingest.formats.markup import visible
from ingest.formats.text import decode_text


def load_html(path: Path, data: bytes, limits: Limits = DEFAULT_LIMITS) -> LoadedDocument:
    """Visible text of an HTML page: no scripts, styles or navigation, one block per paragraph."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(decode_text(data, path.name), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    strings: list[str] = []
    has_heading = False
    headings: list[tuple[int, str]] = []
    for item in visible(soup):
        if isinstance(item, Tag):
            has_heading = has_heading or item.name in ("h1", "h2")
            if item.name in ("h1", "h2", "h3"):
                headings.append((int(item.name[1]), item.get_text(" ", strip=True)))
        else:
            strings.append(item)
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in "".join(strings).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if title and not has_heading and title not in text:
        text = f"{title}\n\n{text}".strip()
    limits.check_text(path, len(text))
    return LoadedDocument(str(path), text, sections=heading_sections(text, headings))
