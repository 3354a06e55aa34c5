"""The terms of the PostgreSQL keyword index, made as SQLite's FTS5 ``porter unicode61`` tokenizer makes those of
the SQLite catalog, so that both stores rank a query's chunks alike:

- unicode61: letters, digits and private-use characters make tokens, everything else separates them; a
  combining accent inside a token stays in it (and is then dropped); tokens are lower-cased, and a letter with
  one accent loses it ("Café" -> "cafe");
- porter: the original Porter algorithm as FTS5 runs it, on a token's UTF-8 bytes, with FTS5's own choices
  ("-bli" -> "-ble", "-logi" -> "-log"); a token under 3 or over 64 bytes is kept as it is.

tests/integration/test_pg_keywords.py compares these terms with FTS5's own (its fts5vocab table) on real text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# The combining accents that continue a token (never start one) and are dropped from it: FTS5's list, the
# accents of the Latin letters that have one.
_ACCENTS = "\u0300-\u0304\u0306-\u030c\u030f\u0311\u031b\u0323-\u0328\u032d\u032e\u0330\u0331"
_PRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_TOKEN = re.compile(rf"(?:[^\W_]|[{_PRIVATE}])(?:[^\W_]|[{_PRIVATE}{_ACCENTS}])*")
_ACCENT = re.compile(f"[{_ACCENTS}]")
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
_STEM_CACHE = 200_000
_MIN_STEMMED, _MAX_STEMMED = 3, 64  # bytes


def tokens(text: str) -> list[str]:
    """The index terms of ``text``, in order (a term once per occurrence)."""
    if text.isascii():
        return [stem(token) for token in _ASCII_TOKEN.findall(text.lower())]
    found = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        folded = token.lower() if token.isascii() else "".join(map(_fold, token))
        if folded:
            found.append(stem(folded))
    return found


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """One token character lower-cased, without its accent when it has exactly one ('' for an accent alone)."""
    if _ACCENT.fullmatch(char):
        return ""
    # FTS5 folds case one character to one: the micro sign to mu, the long s to s, but sharp s stays (Python folds
    # it to 'ss').
    folded = next((form for form in (char.casefold(), char.lower()) if len(form) == 1), char)
    parts = unicodedata.decomposition(folded).split()
    if len(parts) == 2 and not parts[0].startswith("<"):
        base, accent = chr(int(parts[0], 16)), chr(int(parts[1], 16))
        if base.isascii() and base.isalpha() and _ACCENT.fullmatch(accent):
            return base.lower()
    return folded


@lru_cache(maxsize=_STEM_CACHE)
def stem(token: str) -> str:
    """A folded token's Porter stem, as FTS5's porter tokenizer gives it."""
    raw = token.encode()
    if not _MIN_STEMMED <= len(raw) <= _MAX_STEMMED:
        return token
    # Each byte one character: FTS5 stems bytes, and a non-ASCII byte is a consonant there too.
    return _porter(raw.decode("latin-1")).encode("latin-1").decode(errors="replace")


def _consonants(word: str) -> list[bool]:
    """Whether each letter is a consonant: not a, e, i, o, u, nor a y after a consonant."""
    flags: list[bool] = []
    previous = False
    for char in word:
        previous = not (char in "aeiou" or (char == "y" and previous))
        flags.append(previous)
    return flags


def _measure(word: str) -> int:
    """Porter's m: how many vowel-consonant sequences the word has."""
    flags = _consonants(word)
    return sum(1 for i in range(1, len(flags)) if flags[i] and not flags[i - 1])


def _has_vowel(word: str) -> bool:
    """FTS5's *v*: a, e, i, o, u anywhere, or y after the first letter."""
    return any(char in "aeiou" or (char == "y" and i > 0) for i, char in enumerate(word))


def _ends_cvc(word: str) -> bool:
    """Porter's *o: consonant, vowel, consonant at the end, the last not w, x or y."""
    if len(word) < 3 or word[-1] in "wxy":
        return False
    flags = _consonants(word)
    return flags[-3] and not flags[-2] and flags[-1]


def _m_above_0(word: str) -> bool:
    return _measure(word) > 0


def _m_above_1(word: str) -> bool:
    return _measure(word) > 1


def _m_above_1_st(word: str) -> bool:
    return word[-1:] in ("s", "t") and _measure(word) > 1


_Rules = tuple[tuple[str, str, Callable[[str], bool]], ...]
# (suffix, replacement, condition on what precedes the suffix); the first suffix found decides, whether its
# condition holds or not. A suffix counts only when something precedes it.
_STEP_2: _Rules = tuple(
    (suffix, replacement, _m_above_0)
    for suffix, replacement in (
        ("ational", "ate"),
        ("tional", "tion"),
        ("enci", "ence"),
        ("anci", "ance"),
        ("izer", "ize"),
        ("logi", "log"),
        ("bli", "ble"),
        ("alli", "al"),
        ("entli", "ent"),
        ("eli", "e"),
        ("ousli", "ous"),
        ("ization", "ize"),
        ("ation", "ate"),
        ("ator", "ate"),
        ("alism", "al"),
        ("iveness", "ive"),
        ("fulness", "ful"),
        ("ousness", "ous"),
        ("aliti", "al"),
        ("iviti", "ive"),
        ("biliti", "ble"),
    )
)
_STEP_3: _Rules = tuple(
    (suffix, replacement, _m_above_0)
    for suffix, replacement in (
        ("ical", "ic"),
        ("ness", ""),
        ("icate", "ic"),
        ("iciti", "ic"),
        ("ful", ""),
        ("ative", ""),
        ("alize", "al"),
    )
)
_STEP_4: _Rules = tuple(
    (suffix, "", _m_above_1_st if suffix == "ion" else _m_above_1)
    for suffix in "al ance ence er ic able ible ant ement ment ent ion ou ism ate iti ous ive ize".split()
)


def _apply(word: str, rules: _Rules) -> str:
    for suffix, replacement, condition in rules:
        if len(word) > len(suffix) and word.endswith(suffix):
            stem = word[: -len(suffix)]
            return stem + replacement if condition(stem) else word
    return word


def _porter(word: str) -> str:
    # Step 1a: plurals.
    if word.endswith("s"):
        if word[-2:-1] == "e":
            cut = 2 if (len(word) > 4 and word[-4:-2] == "ss") or (len(word) > 3 and word[-3] == "i") else 1
            word = word[:-cut]
        elif word[-2:-1] != "s":
            word = word[:-1]
    # Step 1b: -eed, -ed, -ing.
    removed = False
    if len(word) > 3 and word.endswith("eed"):
        if _m_above_0(word[:-3]):
            word = word[:-1]
    elif len(word) > 2 and word.endswith("ed") and _has_vowel(word[:-2]):
        word, removed = word[:-2], True
    elif len(word) > 3 and word.endswith("ing") and _has_vowel(word[:-3]):
        word, removed = word[:-3], True
    if removed:
        if len(word) > 2 and word[-2:] in ("at", "bl", "iz"):
            word += "e"
        elif len(word) > 1 and word[-1] == word[-2] and word[-1] not in "aeioulsz":
            word = word[:-1]
        elif _measure(word) == 1 and _ends_cvc(word):
            word += "e"
    # Step 1c: a final y after a vowel somewhere becomes i.
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    word = _apply(_apply(_apply(word, _STEP_2), _STEP_3), _STEP_4)
    # Step 5: a final e, a final double l.
    if word.endswith("e"):
        measure = _measure(word[:-1])
        if measure > 1 or (measure == 1 and not _ends_cvc(word[:-1])):
            word = word[:-1]
    if len(word) > 1 and word.endswith("ll") and _m_above_1(word[:-1]):
        word = word[:-1]
    return word
