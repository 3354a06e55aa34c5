"""The one pattern for citation markers: ``[1]``, ``[1, 2]``, and runs of them such as ``[1][3]``."""

from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# Markers with the whitespace before them, for stripping them out of a sentence.
SPACED_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
MARKER_RUN = re.compile(r"\[\d+(?:\s*,\s*\d+)*\](?:\s*\[\d+(?:\s*,\s*\d+)*\])*")


def markers_in(text: str) -> list[int]:
    """Marker numbers in order of appearance, '[1, 2]' counting as 1 and 2."""
    return [int(number) for match in MARKER.finditer(text) for number in match.group(1).split(",")]


def strip_markers(text: str) -> str:
    """The text without its markers (and the spaces that led up to them)."""
    return SPACED_MARKER.sub("", text)


def format_marker(numbers: list[int]) -> str:
    """'[1]' or '[1, 2]'."""
    return "[" + ", ".join(str(number) for number in numbers) + "]"


def attach_marker(sentence: str, numbers: list[int]) -> str:
    """The sentence with its markers replaced by one before the final punctuation: 'It is 31 m tall [1].'"""
    body = strip_markers(sentence).rstrip()
    end = len(body)
    while end and body[end - 1] in ".!?":
        end -= 1
    return f"{body[:end].rstrip()} {format_marker(numbers)}{body[end:]}"


def same_claims(left: str, right: str) -> bool:
    """True when two answers say the same words citing the same passages, wherever the markers stand
    ('neutral [1] and NATO [1].' and 'neutral and NATO [1].')."""
    return strip_markers(left).split() == strip_markers(right).split() and set(markers_in(left)) == set(
        markers_in(right)
    )
