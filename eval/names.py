"""Names and numbers in a question: what a false-premise variant can swap, and the words that stay."""

from __future__ import annotations

import re
from dataclasses import dataclass

from eval.numbers import number_spans

# Words that may start a question with a capital without naming anything.
FUNCTION_WORDS = {
    "a",
    "about",
    "according",
    "after",
    "against",
    "all",
    "along",
    "also",
    "although",
    "an",
    "and",
    "any",
    "approximately",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "besides",
    "between",
    "beyond",
    "both",
    "but",
    "by",
    "can",
    "could",
    "describe",
    "did",
    "do",
    "does",
    "during",
    "each",
    "for",
    "from",
    "give",
    "had",
    "has",
    "have",
    "he",
    "her",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "list",
    "many",
    "may",
    "might",
    "most",
    "much",
    "must",
    "name",
    "near",
    "no",
    "not",
    "of",
    "on",
    "one",
    "or",
    "other",
    "over",
    "roughly",
    "shall",
    "she",
    "should",
    "since",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "to",
    "under",
    "until",
    "upon",
    "very",
    "was",
    "we",
    "were",
    "what",
    "whatever",
    "when",
    "where",
    "whereas",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "would",
    "yes",
    "you",
    "your",
}
STOPWORDS = FUNCTION_WORDS | {
    "year",
    "years",
    "kind",
    "type",
    "types",
    "called",
    "known",
    "used",
    "use",
    "make",
    "made",
    "main",
    "first",
    "new",
    "two",
    "three",
    "people",
    "percent",
    "percentage",
    "number",
    "time",
    "times",
    "day",
    "days",
    "long",
    "large",
    "often",
    "old",
    "part",
    "done",
    "happen",
    "happened",
    "get",
}
# Capitalised words that are not names worth swapping (dates are not places, people or things).
NOT_NAMES = {
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
}
CONNECTORS = {"of", "de", "the", "upon", "von", "van", "du", "del", "da", "la", "le"}
PREPOSITIONS = {
    "of",
    "in",
    "for",
    "to",
    "by",
    "with",
    "about",
    "from",
    "on",
    "at",
    "into",
    "against",
    "between",
    "during",
    "after",
    "before",
    "under",
    "over",
    "through",
    "toward",
    "towards",
    "within",
    "without",
    "among",
    "via",
}
DETERMINERS = {
    "the",
    "a",
    "an",
    "which",
    "what",
    "whose",
    "this",
    "that",
    "its",
    "their",
    "his",
    "her",
    "these",
    "those",
}
# Dotted capitals ('U.S.'), an initial ('John C. Calhoun'), or a word that starts and ends with a letter or digit.
_TOKEN = re.compile(r"\b[A-Z](?:\.[A-Z])+\.|\b[A-Z]\.(?=\s+[A-Z])|[A-Za-z0-9][\w\-–'’.&]*\w|[A-Za-z0-9]")
ACRONYM = re.compile(r"(?=.*[A-Z].*[A-Z])[A-Za-z0-9\-]+")
_DEMONYM = re.compile(r"[A-Z][a-z]+(?:ian|ean|can|ese|ish|ch|ic|ern)")


@dataclass(frozen=True)
class Term:
    """A swappable stretch of a question: a name or a number."""

    text: str
    start: int
    end: int
    kind: str  # "name" or "number"


def is_year(text: str) -> bool:
    """A plain four-digit number between 1000 and 2099."""
    return bool(re.fullmatch(r"1\d{3}|20\d{2}", text))


PLACE_WORDS = ("in", "at", "from", "near", "to")


def place_mentions(text: str) -> tuple[dict[str, int], dict[str, int]]:
    """(how often each name occurs, how often right after 'in', 'at', 'from', 'near' or 'to' (+ 'the'))."""
    seen: dict[str, int] = {}
    placed: dict[str, int] = {}
    for name in names_in(text):
        seen[name.text] = seen.get(name.text, 0) + 1
        before = text[max(0, name.start - 10) : name.start].lower().split()
        if before and before[-1] == "the":
            before = before[:-1]
        if before and before[-1] in PLACE_WORDS:
            placed[name.text] = placed.get(name.text, 0) + 1
    return seen, placed


def name_class(text: str) -> str:
    """'acronym' (HIV-1, NASA), 'demonym' (French, Western) or 'name'."""
    if " " not in text and ACRONYM.fullmatch(text):
        return "acronym"
    if _DEMONYM.fullmatch(text):
        return "demonym"
    return "name"


def _capitalised(token: str) -> bool:
    return token[0].isupper() or bool(ACRONYM.fullmatch(token) and any(c.isalpha() for c in token))


def names_in(text: str) -> list[Term]:
    """Capitalised names (runs such as 'Super Bowl', 'John C. Calhoun', 'HIV-1', 'Doctor Who'); a sentence's
    capitalised first function word, month and day names and a trailing possessive "'s" are not names."""
    tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(text)]
    names: list[Term] = []
    run: list[tuple[int, int, str]] = []

    def close() -> None:
        while run and (run[-1][2].lower() in CONNECTORS or re.fullmatch(r"[A-Z]\.", run[-1][2])):
            run.pop()
        if run:
            names.append(Term(text[run[0][0] : run[-1][1]], run[0][0], run[-1][1], "name"))
        run.clear()

    for start, token in tokens:
        word = re.sub(r"['’]s$", "", token)
        end = start + len(word)
        if run and text[run[-1][1] : start].strip() not in ("", "-"):
            close()  # punctuation between two words ends a name
        opening = not text[:start].strip() or text[:start].rstrip()[-1] in ".:?!"
        function = word.lower() in FUNCTION_WORDS and (opening or word.islower() or word == "I")
        if _capitalised(word) and not function and word.lower() not in NOT_NAMES and not word.isdigit():
            run.append((start, end, word))
            if word != token:
                close()
        elif run and token.lower() in CONNECTORS and (token.lower() != "the" or run[-1][2].lower() in CONNECTORS):
            run.append((start, end, token))
        else:
            close()
    close()
    return [name for name in names if len(name.text) >= 3]


def name_terms(text: str) -> list[Term]:
    """Names worth using: a lone capitalised first word is left out unless it is an acronym (it is often
    just a sentence's first word, 'Despite ...')."""
    return [name for name in names_in(text) if name.start > 0 or " " in name.text or name_class(name.text) == "acronym"]


def numbers_as_terms(text: str) -> list[Term]:
    """Numbers written in digits, with at least two digits ('1' and '2' are too easy to meet by chance)."""
    return [Term(text[s:e], s, e, "number") for s, e, _ in number_spans(text) if len(re.sub(r"\D", "", text[s:e])) >= 2]


def is_modifier(text: str, term: Term) -> bool:
    """The name is used as an adjective inside a noun phrase ('which Florida city', 'the Rankine cycle'):
    swapping it for an unrelated name makes nonsense rather than a false premise."""
    before = text[: term.start].split()
    after = re.match(r"\s+([a-z][a-z\-]*)", text[term.end :])
    return bool(before and before[-1].lower() in DETERMINERS and after and after.group(1) not in FUNCTION_WORDS)


def content_words(text: str) -> set[str]:
    """Lower-case words of three letters or more that carry meaning (not stopwords)."""
    return {w for w in re.findall(r"[a-z][a-z\-]{2,}", text.lower()) if w not in STOPWORDS}


def stem(word: str) -> str:
    """A crude stem for matching words across articles: 'holds', 'holding' and 'hold' -> 'hold'."""
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:6]


def replace(text: str, term: Term, new: str) -> str:
    """``text`` with ``term`` replaced by ``new``."""
    return text[: term.start] + new + text[term.end :]
