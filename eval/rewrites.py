"""String rules that classify or reword a question: list answers, how-to questions, polite rewordings.

Every rule returns None when it is not sure, so the generator skips the question rather than guess.
"""

from __future__ import annotations

import re

from eval.names import FUNCTION_WORDS, PREPOSITIONS, name_terms
from eval.numbers import numbers_in

# ---- list answers -------------------------------------------------------------------------------------

_COMMA = re.compile(r",\s+(?:and\s+|or\s+)?|;\s*")
_AND = re.compile(r"\s+and\s+")
_PARENTHESIS = re.compile(r"\s*\([^)]*\)")
_LIST_QUESTION = re.compile(r"^\s*(what|which|who|name|list)\b", re.IGNORECASE)
# 'What countries', 'which two dynasties', 'name both': the question asks for more than one thing.
_PLURAL_QUESTION = re.compile(
    r"^\s*(?:what|which|who|name|list)\s+(?:\w+s|two|three|four|five|both|several|are|were)\b", re.IGNORECASE
)
_POSSESSIVE_START = {"his", "her", "its", "their", "our", "my", "your"}


def list_items(question: str, answer: str) -> list[str] | None:
    """The items of an answer such as 'ELISA and IFA' or 'cough, rhinitis, fever' (2-6 items of at most 5 words, no
    prepositions inside, numbers only when every item is one); None when the answer is not clearly a list.

    With commas, items are split at the commas (an 'and' inside an item stays: 'heavy and civil engineering
    construction'), and at the last 'and' only when no comma precedes it ('China, Japan and Korea')."""
    answer = answer.strip().rstrip(".,;:")
    if not _LIST_QUESTION.match(question) or not re.search(r",\s|\sand\s", answer):
        return None
    if "," in answer or ";" in answer:
        items = _COMMA.split(answer)
        if not re.search(r",\s+(?:and|or)\s", answer):
            items = items[:-1] + _AND.split(items[-1])
    else:
        items = _AND.split(answer)
        # 'Word and Image' may be one name: two capitalised words count as a list only when asked for several.
        if all(item[:1].isupper() and " " not in item for item in items) and not _PLURAL_QUESTION.match(question):
            return None
    items = [_PARENTHESIS.sub("", item).strip(" .,;:\"'") for item in items]
    if not 2 <= len(items) <= 6 or any(not item for item in items):
        return None
    if len({item.lower() for item in items}) != len(items):
        return None
    for item in items:
        words = item.lower().split()
        if (
            len(words) > 5
            or words[0] in _POSSESSIVE_START
            or any(word in PREPOSITIONS or word in ("or", "then", "also", "including", "such") for word in words)
        ):
            return None
    with_digits = [bool(re.search(r"\d", item)) for item in items]
    if any(with_digits) and not all(re.fullmatch(r"[\d,.]+", item) for item in items):
        return None
    return items


# ---- polite, long rewordings ------------------------------------------------------------------------------

TEMPLATES = [
    "Hi, I'm new to this and was reading up on {topic}. Could you tell me {question}",
    (
        "Hello! Sorry to bother you, I'm putting together some notes about {topic} and I got a bit stuck. "
        "I was wondering, {question} Thanks so much in advance!"
    ),
    (
        "Good morning. I hope this isn't a silly question, but I've been trying to understand {topic} a little "
        "better and can't quite work it out: {question} Any help would be really appreciated."
    ),
    (
        "Hey there, quick question if you have a moment, since I was looking into {topic} earlier today. "
        "{question} Thank you, I really appreciate it!"
    ),
]


def conversational(question: str, variant: int) -> str:
    """``question`` inside a long, polite template; the topic is a name from the question itself, so no
    content word is added."""
    names = name_terms(question)
    topic = names[0].text if names else "this subject"
    text = " ".join(question.split())
    if not text.endswith("?"):
        text += "?"
    first = text.split()[0]
    if first.lower() in FUNCTION_WORDS and variant in (0, 1):
        text = text[0].lower() + text[1:]
    return TEMPLATES[variant % len(TEMPLATES)].format(topic=topic, question=text)


# ---- question classes -------------------------------------------------------------------------------------

_HOW_TO = re.compile(r"^\s*how\s+(do|does|did|is|are|can)\b", re.IGNORECASE)


def is_how_to(question: str) -> bool:
    """'How do/does/did/is/are/can ...': a question about a process or a method."""
    return bool(_HOW_TO.match(question))


def has_number(answer: str) -> bool:
    """The answer states a number (in digits, or a small number in words)."""
    return bool(numbers_in(answer, words=True))
