"""Whether a passage asserts an answer sentence, by meaning rather than by shared words.

Words alone let through "Team A won the cup" from a passage that asks whether team A can win it, a
wrong option of a quiz, and two names of one sentence exchanged. ``SupportJudge`` looks at the passage
sentences a claim rests on:
1. their mood: a question, a quiz's list of options or a condition asserts nothing, so a claim that
   rests on one alone is unsupported whatever its words;
2. a claim whose content words run in the same order through one asserting sentence, with no negation
   or hedge dropped, copies that sentence and is supported;
3. anything else (a paraphrase, a claim joining two sentences, an exchanged role) goes to the verifier,
   a yes/no question to the language model over only those sentences, read from the probabilities of
   its two replies. Without a verifier (the extractive answerer), 3 keeps the word checks' verdict.

``answers_question`` asks the verifier whether supported sentences answer the question asked, not a
nearby one (another attribute, the whole organisation's figure, the question restated).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.prompts import load_prompt
from assistant.text import STOPWORDS, stem

# Probability of "Yes" at or above which the verifier's answer counts as yes. Chosen on the dev half of
# the generated claim set (eval/claims.py, `qa eval claims --split dev`); see the README's figures.
SUPPORT_THRESHOLD = 0.5
# A claim that uses one sentence's words in another order must clear this instead.
STRICT_THRESHOLD = 0.85
ANSWERS_THRESHOLD = 0.2
# Passage sentences shown to the verifier with a claim: the best ones, in document order.
MAX_PREMISE_SENTENCES = 3
MAX_PREMISE_CHARS = 900

_QUIZ_OPTION = re.compile(r"(?:^|[\s:;(])(?:\(?[A-Da-d][.)]|option [A-D]\b)\s*\S")
_QUIZ_WORD = re.compile(r"\b(?:quiz|trivia|multiple choice|true or false|which of the following)\b", re.IGNORECASE)
_CONDITION = re.compile(
    r"^\W*(?:if|unless|suppose|supposing|imagine|assuming|what if|should|had|were)\b"
    r"|\b(?:whether|hypothetical(?:ly)?|speculat\w+|rumou?r\w*|would have|could have|might have)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|without|cannot|n't|denied|denies|deny|refused|refuses|failed|fails|"
    r"rejected|rejects|lacks?|absent)\b|n't\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"\b(?:may|might|could|would|possibly|perhaps|probably|likely|unlikely|expected|plans?|planned|proposed|"
    r"considering|considers|hopes?|aims?|wants?|seeks?|intends?|suggests?|suggested)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ORDER_WORDS = frozenset({"not", "no", "never", "nor", "before", "after", "than"})


class Verifier(Protocol):
    """Answers a yes/no question put as chat messages with the probability of yes."""

    def yes_probability(self, messages: list[dict[str, str]]) -> float: ...


@dataclass(frozen=True)
class Support:
    """The verdict on one claim: supported or not, a reason a person understands, and the verifier's score."""

    ok: bool
    reason: str = ""
    score: float | None = None
    asked_model: bool = False


def mood(sentence: str) -> str | None:
    """'a question', 'a quiz' or 'a condition' when the sentence asserts nothing of its own, else None."""
    text = sentence.strip().rstrip("\"'”’)]").strip()
    if text.endswith("?"):
        return "a question"
    if len(_QUIZ_OPTION.findall(sentence)) >= 2 or (_QUIZ_WORD.search(sentence) and _QUIZ_OPTION.search(sentence)):
        return "a quiz"
    if _CONDITION.search(sentence):
        return "a condition"
    return None


# Moods that assert nothing at all; a condition may still state a rule.
_SILENT = frozenset({"a question", "a quiz"})
_MOOD_REASON = {
    "a question": "it only asks whether this is so",
    "a quiz": "it lists this as an option of a quiz, not as the answer",
    "a condition": "it only says what would be so under a condition",
}


def _sequence(text: str) -> list[tuple[str, str]]:
    """The text's content words in order, each as (stem, word as written); negations and order words kept."""
    return [
        (stem(word.lower()), word)
        for word in _WORD.findall(text)
        if word.lower() not in STOPWORDS or word.lower() in _ORDER_WORDS
    ]


def _positions(claim: list[str], source: list[str]) -> list[int] | None:
    """Where each word of ``claim`` occurs in ``source``, in the same order (gaps allowed), or None."""
    found, position = [], 0
    for word in claim:
        try:
            position = source.index(word, position) + 1
        except ValueError:
            return None
        found.append(position - 1)
    return found


def copies(claim: str, sentence: str) -> bool:
    """The claim copies the sentence: its content words run in order through one stretch of it, that stretch
    brings in no other name or number (which would make it another person's role or another figure), and
    the claim drops no negation or hedge of the sentence."""
    claimed, source = _sequence(claim), _sequence(sentence)
    stems = [item[0] for item in claimed]
    positions = _positions(stems, [item[0] for item in source])
    if not claimed or positions is None:
        return False
    between = source[positions[0] : positions[-1] + 1]
    if len(between) > 1.5 * len(claimed) + 2:
        return False
    if any(_is_name_or_number(word) and stem_ not in stems for stem_, word in between):
        return False
    dropped_negation = bool(_NEGATION.search(sentence)) and not _NEGATION.search(claim)
    dropped_hedge = bool(_HEDGE.search(sentence)) and not _HEDGE.search(claim)
    return not (dropped_negation or dropped_hedge)


def reorders(claim: str, sentence: str) -> bool:
    """Two or more of the sentence's names stand in the claim in another order: roles may have been exchanged
    ('Ukraine demands that Russia ...' from 'Russia demands that Ukraine ...')."""
    names = {item[0]: index for index, item in enumerate(_sequence(sentence)) if _is_name_or_number(item[1])}
    order = [names[item[0]] for item in _sequence(claim) if item[0] in names]
    order = list(dict.fromkeys(order))
    return len(order) >= 2 and order != sorted(order)


def _is_name_or_number(word: str) -> bool:
    return word[:1].isupper() or any(char.isdigit() for char in word)


def premise(sentences: Sequence[str]) -> str:
    """The sentences shown to the verifier, joined, within its character budget."""
    text = " ".join(" ".join(sentence.split()) for sentence in sentences[:MAX_PREMISE_SENTENCES])
    return text[:MAX_PREMISE_CHARS]


class SupportJudge:
    """Judges claims against the passage sentences they rest on; ``verifier`` None keeps to the rules."""

    def __init__(self, verifier: Verifier | None, threshold: float = SUPPORT_THRESHOLD) -> None:
        self.verifier = verifier
        self.threshold = threshold
        self._cache: dict[tuple[str, str], float] = {}

    def judge(self, claim: str, sentences: Sequence[str], where: str = "the cited passage") -> Support:
        """Does ``sentences`` (best first) assert ``claim``? ``where`` names them in the reason ('passage [2]').

        A question or a quiz never vouches for a claim; a condition or a hedge may (a rule of a handbook
        is a condition), but only the verifier can tell, so it is never taken as a copy.
        """
        sentences = [sentence for sentence in sentences if sentence.strip()]
        if not sentences:
            return Support(False, f"{where} has no sentence that states it")
        best_mood = mood(sentences[0])
        asserting = [sentence for sentence in sentences if mood(sentence) not in _SILENT]
        not_asserted = f"{where} does not assert it: {_MOOD_REASON[best_mood or 'a question']}"
        if not asserting:
            return Support(False, not_asserted)
        if any(copies(claim, sentence) for sentence in asserting if mood(sentence) is None):
            return Support(True)
        if self.verifier is None:
            return Support(best_mood not in _SILENT, "" if best_mood not in _SILENT else not_asserted)
        score = self.score(claim, asserting)
        # Same words in another order is how a relation swap looks: the verifier must be sure.
        needed = STRICT_THRESHOLD if any(reorders(claim, sentence) for sentence in asserting) else self.threshold
        if score >= needed:
            return Support(True, score=score, asked_model=True)
        reason = not_asserted if best_mood else f"{where} does not say this; it says something else"
        return Support(False, reason, score=score, asked_model=True)

    def score(self, claim: str, sentences: Sequence[str]) -> float:
        """The verifier's probability that the sentences assert the claim (cached per pair)."""
        assert self.verifier is not None
        text = premise(sentences)
        key = (text, claim)
        if key not in self._cache:
            messages = load_prompt("support").render(text=text, statement=claim)
            self._cache[key] = self.verifier.yes_probability(messages)
        return self._cache[key]

    def answers_question(self, question: str, reply: str) -> float | None:
        """The verifier's probability that ``reply`` answers ``question``; None without a verifier."""
        if self.verifier is None:
            return None
        messages = load_prompt("answers").render(question=question, reply=reply)
        return self.verifier.yes_probability(messages)


def judge_for(assistant: object) -> Callable[[str, list[str], str], tuple[bool, str]]:
    """The claim judge an assistant's answers go through, as a plain function for the evaluation harness:
    ``judge(claim, sentences, question) -> (supported, reason)``."""
    support: SupportJudge = assistant.support_judge  # type: ignore[attr-defined]

    def judge(claim: str, sentences: list[str], question: str) -> tuple[bool, str]:
        verdict = support.judge(claim, sentences)
        return verdict.ok, verdict.reason

    return judge
