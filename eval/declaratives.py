"""A question and its answer turned into a statement, by a few string rules that return None when unsure.

    "Who founded Port Elwin?" + "Mara Quist"             -> "Mara Quist founded Port Elwin."
    "When did Mara Quist found Port Elwin?" + "1652"     -> "Mara Quist founded Port Elwin in 1652."
    "When was the bridge built?" + "1890"                -> "The bridge was built in 1890."
    "How many boats did the harbour hold?" + "40"        -> "The harbour held 40 boats."

A ``Frame`` keeps the statement with a slot for the answer, so the same statement can be filled with another
entity (a wrong answer), negated, or turned into a yes/no question, without parsing it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eval.names import PREPOSITIONS
from eval.pronouns import BASE_VERBS
from eval.rewrites import has_number

SLOT = "\x00"
MAX_ANSWER_WORDS = 6

IRREGULAR = {
    "be": "was",
    "beat": "beat",
    "become": "became",
    "begin": "began",
    "bind": "bound",
    "break": "broke",
    "bring": "brought",
    "broadcast": "broadcast",
    "build": "built",
    "buy": "bought",
    "catch": "caught",
    "choose": "chose",
    "come": "came",
    "cost": "cost",
    "cut": "cut",
    "do": "did",
    "draw": "drew",
    "drive": "drove",
    "eat": "ate",
    "fall": "fell",
    "feel": "felt",
    "fight": "fought",
    "find": "found",
    "fly": "flew",
    "get": "got",
    "give": "gave",
    "go": "went",
    "grow": "grew",
    "have": "had",
    "hear": "heard",
    "hit": "hit",
    "hold": "held",
    "keep": "kept",
    "know": "knew",
    "lay": "laid",
    "lead": "led",
    "leave": "left",
    "lend": "lent",
    "let": "let",
    "lose": "lost",
    "make": "made",
    "mean": "meant",
    "meet": "met",
    "pay": "paid",
    "put": "put",
    "read": "read",
    "ride": "rode",
    "rise": "rose",
    "run": "ran",
    "say": "said",
    "see": "saw",
    "seek": "sought",
    "sell": "sold",
    "send": "sent",
    "set": "set",
    "shoot": "shot",
    "show": "showed",
    "sing": "sang",
    "sit": "sat",
    "speak": "spoke",
    "spend": "spent",
    "spread": "spread",
    "stand": "stood",
    "strike": "struck",
    "take": "took",
    "teach": "taught",
    "tell": "told",
    "think": "thought",
    "throw": "threw",
    "understand": "understood",
    "wear": "wore",
    "win": "won",
    "write": "wrote",
}
# Stressed last syllables that double their consonant ('refer' -> 'referred').
_DOUBLING = {"refer", "occur", "admit", "permit", "control", "compel", "commit", "submit", "prefer", "transfer"}
VERBS = (
    BASE_VERBS
    | set(IRREGULAR)
    | {
        "acquire",
        "adopt",
        "award",
        "bear",
        "capture",
        "conquer",
        "elect",
        "employ",
        "found",
        "graduate",
        "hire",
        "host",
        "invade",
        "name",
        "open",
        "order",
        "own",
        "reign",
        "rule",
        "sign",
        "succeed",
        "surrender",
        "defend",
        "ban",
        "stop",
        "plan",
        "drop",
        "recommend",
        "estimate",
        "measure",
        "observe",
        "cause",
        "kill",
        "reach",
        "last",
    }
)


def past(verb: str) -> str:
    """The simple past of a base verb ('build' -> 'built', 'found' -> 'founded', 'plan' -> 'planned')."""
    if verb in IRREGULAR:
        return IRREGULAR[verb]
    if verb in _DOUBLING or re.fullmatch(r"[^aeiou]*[aeiou][bdgmnpt]", verb):
        return verb + verb[-1] + "ed"
    if verb.endswith("e"):
        return verb + "d"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ied"
    return verb + "ed"


PAST_TO_BASE = {past(verb): verb for verb in sorted(VERBS)} | {"was": "be", "were": "be"}
COPULAS = {"is", "was", "are", "were"}
ADVERBS = {"first", "originally", "initially", "officially", "last", "finally", "formally", "also", "still", "later"}
_PARTICIPLE = re.compile(
    r"[a-z]+(?:ed|en|wn)|built|born|held|made|led|found|won|sold|sent|set|paid|known|taught|bought"
)
_DANGLING = {"called", "named", "known", "considered", "used", "do", "does", "did", "have", "has", "had"}
_HOW_MANY = re.compile(r"^how (many) ((?:[a-z\-]+ ){0,3}?[a-z\-]+) (did|were|was) (.+)$", re.IGNORECASE)
_WHEN = re.compile(r"^(when|in what year|in which year|what year|where) (did|was|were) (.+)$", re.IGNORECASE)
_OBJECT = re.compile(r"^(what|who|whom) did (.+)$", re.IGNORECASE)
_SUBJECT = re.compile(r"^(who|what|which [a-z\-]+(?: [a-z\-]+)?) ([a-z]+) (.+)$", re.IGNORECASE)
_DATE_ON = re.compile(
    r"^(\d{1,2}(?:st|nd|rd|th)? (?:of )?[A-Z][a-z]+|[A-Z][a-z]+ \d{1,2}(?:st|nd|rd|th)?)(?:,? \d{4})?$"
)


@dataclass(frozen=True)
class Frame:
    """A statement with the answer's place marked; ``negative`` and ``asked`` say the same with 'not' inserted
    and as a yes/no question (each with the same slot); ``rule`` names the rule that made it."""

    positive: str
    negative: str
    asked: str
    rule: str

    def fill(self, answer: str, form: str = "positive") -> str:
        text = {"positive": self.positive, "negative": self.negative, "asked": self.asked}[form]
        answer = answer.strip().rstrip(",;:")
        if not text.startswith(SLOT) and answer.split()[0] in ("A", "An", "The"):
            answer = answer[0].lower() + answer[1:]  # 'opened A bridge' -> 'opened a bridge'
        filled = text.replace(SLOT, answer)
        return filled[:1].upper() + filled[1:]


def _clean(question: str) -> str | None:
    text = " ".join(question.split()).rstrip(" ?.")
    if not text or "?" in text or re.search(r"[,;:()\"]|\bor\b", text):
        return None  # two questions in one, choices, asides: not a single clean clause
    return text


def _where(answer: str, rule_word: str) -> str:
    """The answer with the preposition a statement needs ('in 1652', 'on 7 February 2016', 'in Paris')."""
    first = answer.split()[0].lower()
    if first in PREPOSITIONS or first in ("around", "near", "during", "since"):
        return SLOT
    if rule_word != "where" and _DATE_ON.match(answer.strip()):
        return f"on {SLOT}"
    return f"in {SLOT}"


def _subject_and_verb(words: list[str]) -> tuple[int, str] | None:
    """(index of the base verb after a subject of at least one word, the verb), or None when there is none or
    more than one candidate ('What did the fossils found in the shale lack?' is left alone)."""
    found = []
    for index in range(1, len(words)):
        word = words[index]
        if word.islower() and (word in VERBS or word in PAST_TO_BASE):
            before = words[index - 1].lower()
            if before in ("the", "a", "an", "of", "to", "their", "its", "his", "her") or before in PREPOSITIONS:
                continue
            found.append((index, word))
    if len(found) != 1 or found[0][1] not in VERBS:
        return None
    return found[0]


def _participle(words: list[str]) -> int | None:
    """The index of the last past participle after the first word."""
    for index in range(len(words) - 1, 0, -1):
        if words[index].islower() and _PARTICIPLE.fullmatch(words[index]) and words[index] not in ("been", "seen"):
            return index
    return None


def _lower_start(text: str) -> str:
    """The first word in lower case when it is a plain function word ('The bridge' -> 'the bridge')."""
    first = text.split()[0]
    return text[0].lower() + text[1:] if first in ("The", "A", "An") else text


def frame(question: str, answer: str) -> Frame | None:
    """The statement a question asks for, with a slot for its answer; None when no rule is sure."""
    text = _clean(question)
    if text is None or not answer.strip() or len(answer.split()) > MAX_ANSWER_WORDS:
        return None
    if "(" in answer or re.search(r"\bor\b", answer):
        return None
    if re.search(r"\b(he|she|it|they|his|her|its|their|him|them)\b", text, re.IGNORECASE):
        return None  # a pronoun needs the passage's context to mean anything
    return _how_many(text, answer) or _when_where(text, answer) or _object(text) or _subject(text)


def _how_many(text: str, answer: str) -> Frame | None:
    match = _HOW_MANY.match(text)
    if not match or not has_number(answer):
        return None
    noun, auxiliary, rest = match.group(2), match.group(3).lower(), match.group(4).split()
    if noun.split()[-1].lower() in answer.lower().split():
        noun = ""  # the answer names its unit ('two cases'): not written twice
    if auxiliary == "did":
        found = _subject_and_verb(rest)
        if found is None:
            return None
        index, verb = found
        subject, tail = " ".join(rest[:index]), " ".join(rest[index + 1 :])
        if tail.split()[-1:] and tail.split()[-1] in PREPOSITIONS:
            return None
        body = " ".join(part for part in (SLOT, noun, tail) if part)
        return Frame(
            f"{subject} {past(verb)} {body}.",
            f"{subject} did not {verb} {body}.",
            f"Did {_lower_start(subject)} {verb} {body}?",
            "how-many-did",
        )
    tail = " ".join(rest)
    if rest[-1] in PREPOSITIONS or rest[0] in ("there", "it"):
        return None
    counted = f"{SLOT} {noun}".strip()
    return Frame(
        f"{counted} {auxiliary} {tail}.",
        f"{counted} {auxiliary} not {tail}.",
        f"{auxiliary.capitalize()} {counted} {tail}?",
        "how-many-were",
    )


def _when_where(text: str, answer: str) -> Frame | None:
    match = _WHEN.match(text)
    if not match:
        return None
    word, auxiliary, rest = match.group(1).lower(), match.group(2).lower(), match.group(3).split()
    place = _where(answer, word)
    if auxiliary == "did":
        found = _subject_and_verb(rest)
        if found is None:
            return None
        index, verb = found
        subject, tail = " ".join(rest[:index]), " ".join(rest[index + 1 :])
        if (tail.split()[-1:] and tail.split()[-1] in PREPOSITIONS) or tail.startswith("and "):
            return None
        tail = f" {tail}" if tail else ""
        return Frame(
            f"{subject} {past(verb)}{tail} {place}.",
            f"{subject} did not {verb}{tail} {place}.",
            f"Did {_lower_start(subject)} {verb}{tail} {place}?",
            f"{word.split()[-1]}-did",
        )
    found_participle = _participle(rest)
    if found_participle is None or rest[-1] in PREPOSITIONS:
        return None
    index = found_participle
    if any(word in COPULAS for word in rest[:index]):
        return None
    while index > 1 and rest[index - 1] in ADVERBS:
        index -= 1  # 'When was X first identified?' -> 'X was first identified'
    subject, tail = " ".join(rest[:index]), " ".join(rest[index:])
    return Frame(
        f"{subject} {auxiliary} {tail} {place}.",
        f"{subject} {auxiliary} not {tail} {place}.",
        f"{auxiliary.capitalize()} {_lower_start(subject)} {tail} {place}?",
        f"{word.split()[-1]}-was",
    )


def _object(text: str) -> Frame | None:
    """'What did X invent?' -> 'X invented <answer>.'; 'Who did X marry?' -> 'X married <answer>.'"""
    match = _OBJECT.match(text)
    if not match:
        return None
    rest = match.group(2).split()
    found = _subject_and_verb(rest)
    if found is None or found[1] in ("do", "be", "have", "mean", "say", "think", "call", "name"):
        return None
    index, verb = found
    subject, tail = " ".join(rest[:index]), rest[index + 1 :]
    if tail and tail[-1] in PREPOSITIONS:
        body = " ".join([*tail, SLOT])  # 'What did X look at?' -> 'X looked at <answer>'
    elif not tail or (tail[0] in PREPOSITIONS and tail[0] != "to"):
        body = " ".join([SLOT, *tail])  # 'What did X give to Y?' -> 'X gave <answer> to Y'
    else:
        return None  # 'What did X use Y for' and the like: the slot's place is unclear
    return Frame(
        f"{subject} {past(verb)} {body}.",
        f"{subject} did not {verb} {body}.",
        f"Did {_lower_start(subject)} {verb} {body}?",
        "object-did",
    )


def _subject(text: str) -> Frame | None:
    """'Who founded X?' / 'Which team won X?' / 'What is the capital of X?' -> '<answer> founded X.'"""
    match = _SUBJECT.match(text)
    if not match:
        return None
    verb, rest = match.group(2), match.group(3)
    words = rest.split()
    if verb in ("did", "does", "do", "has", "have", "had", "can", "could", "will", "would"):
        return None
    if words[-1] in PREPOSITIONS or words[-1] in _DANGLING or any(w in ("did", "does", "do") for w in words):
        return None
    if verb in COPULAS:
        if words[0] != "the" or _participle(["x", *words]) is not None:
            return None  # 'What was X called', 'Who was X married to': the slot is not the subject
        # 'What is the capital of X?' -> 'The capital of X is <answer>.'
        return Frame(
            f"{rest} {verb} {SLOT}.", f"{rest} {verb} not {SLOT}.", f"{verb.capitalize()} {rest} {SLOT}?", "copula"
        )
    base = PAST_TO_BASE.get(verb)
    if base is None or base == "be":
        return None
    return Frame(f"{SLOT} {verb} {rest}.", f"{SLOT} did not {base} {rest}.", f"Did {SLOT} {base} {rest}?", "subject")


# ---- statements wrapped as questions, speculation and denials --------------------------------------------------

ASKING = [
    "Is it really true that {s}?",
    "Can anyone confirm whether {s}?",
    "Readers keep writing in to ask: is it the case that {s}?",
    "Could it turn out, in the end, that {s}?",
]
SPECULATING = [
    "If it turned out that {s}, the whole account would have to be rewritten.",
    "Some commentators wonder what would follow if {s}.",
    "It may be that {s}, although no record we have seen confirms it.",
    "One could imagine a version of events in which {s}.",
]
DENYING = ["It is not true that {s}.", "Contrary to a claim that circulates, it is false that {s}."]


def clause(statement: str) -> str:
    """A statement as a clause inside another sentence: no final stop, a function word lowered."""
    return _lower_start(statement.strip().rstrip("."))
