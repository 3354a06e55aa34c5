"""Numbers in text, normalized for comparison ('2,000' == '2000', '3.50' == '3.5'); the harness's own rules,
kept apart from the assistant's claim check so that one does not grade itself."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from assistant.text.markers import strip_markers

# Digits with optional thousands groups (comma, no-break or thin space) and an optional decimal part.
# Not part of a longer token: digits glued to a letter before them (H1N1) are identifiers, not numbers.
_NUMBER = re.compile(
    r"(?<![\w.,])(?<![A-Za-z]-)"  # not inside a word, not after a name and a hyphen ('COVID-19', 'CoV-2')
    r"(\d{1,3}(?:[,\u00a0\u202f]\d{3})+|\d+)(?:\.(\d+))?"
    r"(?![\d])(?!-?[a-z]*[A-Z])"  # not the start of an identifier such as '2019-nCoV'
    r"(?!,\d)(?!\+\))"  # '1,2' is a list or a foreign decimal, not a thousands group; 'Ca(2+)' a charge
)
_ENUMERATOR = re.compile(r"^[ \t]*\d{1,3}[.)][ \t]+", re.MULTILINE)
_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
}
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)


def canonical(integer: str, fraction: str | None = None) -> str:
    """'2,000' -> '2000', '3.50' -> '3.5', '007' -> '7'."""
    digits = re.sub(r"[^\d]", "", integer)
    try:
        value = Decimal(f"{digits}.{fraction}" if fraction else digits)
    except InvalidOperation:  # pragma: no cover - the pattern only captures digits
        return integer
    return format(value.normalize(), "f")


def number_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical value) of each number written in digits."""
    return [(match.start(), match.end(), canonical(match.group(1), match.group(2))) for match in _NUMBER.finditer(text)]


def numbers_in(text: str, words: bool = False, markers: bool = True) -> list[str]:
    """Canonical numbers written in digits (and, with ``words``, 'two'..'ninety', 'hundred', 'thousand');
    [n] citation markers (unless ``markers`` is False: a passage's own brackets) and the numbering of
    list items ('1. Fill ...') are not numbers."""
    text = _ENUMERATOR.sub("", strip_markers(text) if markers else text)
    found = [value for _, _, value in number_spans(text)]
    if words:
        found += [str(_WORDS[match.group(1).lower()]) for match in _WORD.finditer(text)]
    return found
