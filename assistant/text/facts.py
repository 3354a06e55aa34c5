"""The checkable facts of a sentence: its numbers and the names it mentions, normalised for matching.

"2,000" and "2000" are one number, "two" is 2, "Jan." is January and "U.S." is US, so a sentence and a
passage that state the same fact in different spellings still match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from assistant.text import STOPWORDS, stem, terms_match
from assistant.text.places import other_names

# A number that is not the tail of a code such as "COVID-19" or "H1N1" (those count as names).
# Decades and ordinals keep their number: "1970s" and "10th" hold 1970 and 10.
# Units glued to a number keep it too: "31m", "1.5x", "4G".
_NUMBER = re.compile(
    r"(?<![A-Za-z]-)(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?=(?:'s|[A-Za-z]{1,3})?(?![A-Za-z\d]))"
)
_NUMBERED_WORD = re.compile(r"^\d+(?:\.\d+)?(?:'s|[A-Za-z]{1,3})$")
_SPELLED = {
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
    "dozen": 12,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "twentieth": 20,
}
_SPELLED_WORD = re.compile(r"\b(" + "|".join(_SPELLED) + r")\b", re.IGNORECASE)
_MONTHS = {
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}
# Dotted initialisms are one word: "U.S." -> "US", "e.g." is left to the stopwords.
_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
# Capitalised words that start sentences and questions without naming anything.
_NOT_NAMES = STOPWORDS | frozenset(
    """hi hello hey thanks thank please name list give describe explain tell yes no okay ok also however
    overall first second third then finally next in on at is are was were do does did can could would
    should will may might must has have had i i'm i've i'd i'll im ive let imagine suppose according
    using based step steps note yes""".split()
)


FUZZY_NAME_RATIO = 0.88
MAX_INITIALISM = 8
_DEMONYM = re.compile(r"^(.+?)(?:ish|ian|ese|an|i)$")


@dataclass(frozen=True)
class Facts:
    """What a sentence states that can be checked letter by letter: normalised key -> the words as written."""

    numbers: dict[str, str]
    names: dict[str, str]


def _number_key(whole: str, fraction: str | None) -> str:
    digits = whole.replace(",", "").lstrip("0") or "0"
    fraction = (fraction or "").rstrip("0")
    return f"{digits}.{fraction}" if fraction else digits


def numbers(text: str) -> set[str]:
    """Normalised numbers written in digits ('2,000' -> '2000', '3.50' -> '3.5').

    A two-digit decade ("the 80s") is left out: it names "the 1980s" without its century.
    """
    return {
        _number_key(match.group(1), match.group(2))
        for match in _NUMBER.finditer(text)
        if not (len(match.group(1)) == 2 and not match.group(2) and re.match(r"'?s\b", text[match.end() :]))
    }


def spelled_numbers(text: str) -> set[str]:
    """Numbers written as words ('three' -> '3'); passages are matched on both spellings."""
    return {str(_SPELLED[match.group(1).lower()]) for match in _SPELLED_WORD.finditer(text)}


def _normal_word(token: str) -> str:
    word = token.lower().replace("’", "'").replace(".", "")
    word = word.removesuffix("'s")
    return _MONTHS.get(word, word)


def _tokens(text: str) -> list[tuple[int, str]]:
    """(position, token) pairs with dotted initialisms joined ('U.S.' -> 'US')."""
    text = _DOTTED.sub(lambda match: match.group(0).replace(".", "") + " ", text)
    return [(match.start(), match.group(0)) for match in _TOKEN.finditer(text)]


def names(text: str, *, first_words: bool = False) -> dict[str, str]:
    """Names (normalised -> as written): capitalised words that don't start a sentence, acronyms, codes ('COVID-19').

    A sentence's first word counts only when it is an acronym or a code, unless ``first_words``: 'Russia
    demands' and 'Tickets cost' look alike, so a checker that asks for first words must accept them
    in any case ('tickets' in the passage vouches for 'Tickets').
    """
    found: dict[str, str] = {}
    previous_end = 0
    for position, token in _tokens(text):
        gap = text[previous_end:position]
        sentence_start = previous_end == 0 or bool(re.search(r"[.!?][\"'”’)\]]*\s+$|\n\s*$", gap))
        previous_end = position + len(token)
        if _NUMBERED_WORD.match(token):
            continue
        is_code = any(char.isdigit() for char in token) and any(char.isalpha() for char in token)
        is_acronym = len(token) >= 2 and token.isupper() and token.isalpha()
        word = _normal_word(token)
        if word in _NOT_NAMES or len(word) < 2:
            continue
        if is_code or is_acronym or (token[:1].isupper() and (not sentence_start or first_words)):
            found.setdefault(word, token)
    return found


def facts(text: str, *, spelled: bool = True, first_words: bool = False, cased: bool = True) -> Facts:
    """The numbers and names of a piece of text (numbers written as words too, unless ``spelled`` is False).

    ``first_words``: capitalised sentence starts count as names. ``cased`` False (a question typed in
    capitals or Title Case) reads no names from capital letters, only acronyms' absence aside, numbers.
    """
    found = numbers(text) | (spelled_numbers(text) if spelled else set())
    return Facts({number: number for number in found}, names(text, first_words=first_words) if cased else {})


@dataclass(frozen=True)
class Vocabulary:
    """Everything a passage (or several) can vouch for: its words, numbers and initialisms."""

    words: frozenset[str]
    numbers: frozenset[str]
    initialisms: frozenset[str]

    def mentions_name(self, name: str) -> bool:
        """True when the name occurs as a word (or a close form: 'Russian' for 'Russia'), as initials, or by
        another usual name of the same country ('Russia' for 'Moscow')."""
        return self._mentions(name) or any(
            all(self._mentions(part) for part in other.split()) for other in other_names(name)
        )

    def _mentions(self, name: str) -> bool:
        if name in self.words or name in self.initialisms:
            return True
        # Hyphenated codes and names ("SARS-CoV-2", "Jean-Luc") may be split in the text.
        parts = [part for part in re.split(r"[-']", name) if part]
        if len(parts) > 1 and all(part in self.words for part in parts):
            return True
        # "Russian" for "Russia", "Americans" for "America": forms one letter apart once stemmed.
        stemmed = stem(name)
        if len(name) >= 4 and any(
            terms_match(stemmed, stem(word)) and abs(len(stem(word)) - len(stemmed)) <= 1
            for word in self.words
            if word[:3] == name[:3]
        ):
            return True
        # "British" for "Britain", "European" for "Europe": a demonym ending on the place's stem.
        demonym = _DEMONYM.match(name)
        if demonym and len(demonym.group(1)) >= 4 and any(word.startswith(demonym.group(1)) for word in self.words):
            return True
        # A misspelt long name ("Sheeshanks" for "Sheepshanks") still names the same thing.
        return len(name) >= 8 and any(
            SequenceMatcher(None, name, word).ratio() >= FUZZY_NAME_RATIO
            for word in self.words
            if word[:1] == name[:1] and abs(len(word) - len(name)) <= 2
        )

    def mentions_number(self, number: str) -> bool:
        """True when the number occurs, in digits or in words."""
        return number in self.numbers


@lru_cache(maxsize=4096)
def vocabulary(text: str) -> Vocabulary:
    """The vocabulary of a text (cached: the same passages come back question after question)."""
    tokens = [token for _, token in _tokens(text)]
    words = {_normal_word(token) for token in tokens}
    words |= {_normal_word(part) for token in tokens for part in re.split(r"[-']", token) if part}
    initialisms: set[str] = set()
    run: list[str] = []
    for token in [*tokens, ""]:
        if token[:1].isupper():
            run.append(token[0].lower())
            continue
        if token.lower() in ("of", "and", "the", "for") and run:
            continue
        for start in range(len(run)):
            for end in range(start + 2, min(len(run), start + MAX_INITIALISM) + 1):
                initialisms.add("".join(run[start:end]))
        run = []
    # "one" is too common to count as a claimed number, but a passage saying "one year" holds 1.
    ones = {"1"} if re.search(r"\bone\b", text, re.IGNORECASE) else set()
    return Vocabulary(frozenset(words), frozenset(numbers(text) | spelled_numbers(text) | ones), frozenset(initialisms))


def missing_facts(claim: Facts, vocab: Vocabulary, names_also_in: Vocabulary | None = None) -> list[str]:
    """The numbers, then the names, of ``claim`` (as written) that ``vocab`` does not contain.

    A name found in ``names_also_in`` counts as contained; a number never does.
    """
    missing = [
        written
        for number, written in sorted(claim.numbers.items(), key=lambda item: (len(item[0]), item[0]))
        if not vocab.mentions_number(number)
    ]
    for name, written in sorted(claim.names.items()):
        if not vocab.mentions_name(name) and not (names_also_in and names_also_in.mentions_name(name)):
            missing.append(written)
    return missing
