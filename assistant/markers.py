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
