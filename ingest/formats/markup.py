"""Walking parsed HTML (web pages, e-book chapters) in reading order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main ol p pre section table td th tr ul title".split()
)
_HIDDEN_TAGS = frozenset(["script", "style", "noscript", "template", "nav", "svg", "head", "iframe", "button", "form"])


def visible(soup: Any) -> Iterator[Any]:
    """The visible tags and text strings of a parsed page in document order, with a blank line before and
    after each block tag. An explicit stack rather than recursion or tree edits (inserting the blank lines
    into the tree costs time proportional to its depth), so 100,000 nested tags take linear time."""
    from bs4.element import CData, NavigableString, Tag

    stack: list[Any] = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in _HIDDEN_TAGS:
                continue
            yield node
            if node.name in _BLOCK_TAGS:
                yield "\n\n"
                stack.append("\n\n")  # popped after the children
            stack.extend(reversed(node.contents))
        elif type(node) in (str, NavigableString, CData):  # not comments, doctypes or script text
            yield node
