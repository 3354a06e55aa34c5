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

from assistant.answering.prompts import load_prompt
from assistant.text import STOPWORDS, stem

# Probability of "Yes" at or above which the verifier's answer counts as yes. Chosen on the dev half of
# the generated claim set (eval/claims.py, `qa eval claims --split dev`); see the README's figures.
SUPPORT_THRESHOLD = 0.5
# A claim that uses one sentence's words in another order must clear this instead.
STRICT_THRESHOLD = 0.8
ANSWERS_THRESHOLD = 0.1
# Passage sentences shown to the verifier with a claim: the best ones, in document order.
MAX_PREMISE_SENTENCES = 3
MAX_PREMISE_CHARS = 900

_QUIZ_OPTION = re.compile(r"(?:^|[\s:;(])(?:\(?[A-Da-d][.)]|option [A-D]\b)\s*\S")
_QUIZ_WORD = re.compile(r"\b(?:quiz|trivia|multiple choice|true or false|which of the following)\b", re.IGNORECASE)
_CONDITION = re.compile(
    r"^\W*(?:if|unless|suppose|supposing|imagine|assuming|what if|should|had|were)\b"
    r"|\b(?:whether|hypothetical(?:ly)?|speculat\w+|rumou?r\w*|would have|could have|might have|imagine[ds]?|"
    r"conceivabl[ey]|scenario|supposing|suppose[ds]?|in case)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|without|cannot|n't|denied|denies|deny|refused|refuses|failed|fails|"
    r"rejected|rejects|lacks?|absent|false|untrue|myth|contrary)\b|n't\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"\b(?:may|might|could|would|possibly|perhaps|probably|likely|unlikely|expected|plans?|planned|proposed|"
    r"considering|considers|hopes?|aims?|wants?|seeks?|intends?|suggests?|suggested)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_FRAME_WORDS = 6
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

    @property
    def asked_model(self) -> bool:
        """True when the verifier was asked (its score is then kept)."""
        return self.score is not None


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


def asserts_nothing(sentence: str) -> bool:
    """A question or a quiz's options: the sentence states nothing a claim could rest on."""
    return mood(sentence) in _SILENT


def may_assert_nothing(text: str) -> bool:
    """False when no sentence of ``text`` can be a question or a quiz's options: the quick test search runs on
    every candidate passage before it looks sentence by sentence."""
    return "?" in text or _QUIZ_OPTION.search(text) is not None


_MOOD_REASON = {
    "a question": "it only asks whether this is so",
    "a quiz": "it lists this as an option of a quiz, not as the answer",
    "a condition": "it only says what would be so under a condition",
}


def _content(text: str) -> tuple[list[re.Match[str]], list[tuple[int, str, str]]]:
    """The text's word tokens, and its content words as (token index, stem, word as written); negations and
    order words count as content."""
    tokens = list(_WORD.finditer(text))
    content = [
        (index, stem(token.group().lower()), token.group())
        for index, token in enumerate(tokens)
        if token.group().lower() not in STOPWORDS or token.group().lower() in _ORDER_WORDS
    ]
    return tokens, content


def _sequence(text: str) -> list[tuple[str, str]]:
    """The text's content words in order, each as (stem, word as written)."""
    return [(stem_, word) for _, stem_, word in _content(text)[1]]


def _positions(claim: list[str], source: list[str]) -> list[int] | None:
    """Where the words of ``claim`` occur in ``source`` in the same order, over the shortest stretch; None when
    they do not all occur in that order."""
    best: list[int] | None = None
    for begin, word in enumerate(source):
        if not claim or word != claim[0]:
            continue
        found, position = [begin], begin + 1
        for other in claim[1:]:
            try:
                position = source.index(other, position) + 1
            except ValueError:
                return best
            found.append(position - 1)
        if best is None or found[-1] - found[0] < best[-1] - best[0]:
            best = found
    return best


@dataclass(frozen=True)
class _Match:
    """Where a claim's content words run in order through a sentence, and what the sentence says around them."""

    compact: bool
    brings_names: bool
    window: str


def _match(claim: str, sentence: str) -> _Match | None:
    claimed = _sequence(claim)
    tokens, content = _content(sentence)
    stems = [item[0] for item in claimed]
    positions = _positions(stems, [item[1] for item in content])
    if not claimed or positions is None:
        return None
    between = content[positions[0] : positions[-1] + 1]
    brings = any(_is_name_or_number(word) and stem_ not in stems for _, stem_, word in between)
    # The words just before the stretch carry its frame: "it is false that", "if", "did not".
    first = max(0, between[0][0] - _FRAME_WORDS)
    lead = sentence[tokens[first].start() : tokens[between[0][0]].start()]
    # ... but not across a clause boundary: "X did not win A, but won B" frames only A.
    lead = re.split(r"[,;:]|\bbut\b|\bwhile\b|\bwhereas\b", lead)[-1]
    # Inside the stretch a frame word counts when the next content word is one the claim copies: in
    # "demands that Ukraine never join NATO and remain neutral", "never" frames the skipped "join NATO".
    copied = {content[position][0] for position in positions}
    inner = []
    for place, (index, _, word) in enumerate(between):
        following = next((item[0] for item in between[place + 1 :] if item[0] > index), None)
        if following is not None and following in copied and (_NEGATION.search(word) or _HEDGE.search(word)):
            inner.append(word)
    for index, token in enumerate(tokens[between[0][0] : between[-1][0]], start=between[0][0]):
        word = token.group()
        if word.lower() in STOPWORDS and _NEGATION.search(word) and (index + 1) in copied:
            inner.append(word)
    window = " ".join([lead, *inner])
    return _Match(len(between) <= 1.5 * len(claimed) + 2, brings, window)


def dropped_frame(claim: str, sentence: str) -> str | None:
    """What the claim leaves out of the words of the sentence it copies: 'a negation', 'a hedge' or 'a condition'
    ('X won' from 'X did not win', 'X may win', 'if X wins'), else None."""
    return _dropped(claim, sentence, _match(claim, sentence))


def _dropped(claim: str, sentence: str, match: _Match | None) -> str | None:
    if match is None or not match.compact:
        return None
    for name, pattern in (("a negation", _NEGATION), ("a hedge", _HEDGE)):
        if pattern.search(match.window) and not pattern.search(claim):
            return name
    # A condition frames the whole sentence, wherever it stands ("Staff may leave early if it is hot").
    if _CONDITION.search(sentence) and not _CONDITION.search(claim):
        return "a condition"
    return None


def copies(claim: str, sentence: str) -> bool:
    """The claim copies the sentence: its content words run in order through one stretch of it, that stretch
    brings in no other name or number (which would make it another person's role or another figure), and
    the claim drops no negation, hedge or condition of it."""
    match = _match(claim, sentence)
    return match is not None and match.compact and not match.brings_names and _dropped(claim, sentence, match) is None


def reorders(claim: str, sentence: str) -> bool:
    """Two or more names of the sentence stand in the claim in another order: roles may have been exchanged
    ('Ukraine demands that Russia ...' from 'Russia demands that Ukraine ...'). A name is a word written with a
    capital in both; a column header ('Depot: Quayside') that the claim writes in lower case is not one."""
    claimed = {item[0] for item in _sequence(claim) if item[1][:1].isupper()}
    names = {
        item[0]: index for index, item in enumerate(_sequence(sentence)) if item[1][:1].isupper() and item[0] in claimed
    }
    order = list(dict.fromkeys(names[item[0]] for item in _sequence(claim) if item[0] in names))
    return len(order) >= 2 and order != sorted(order)


def _is_name_or_number(word: str) -> bool:
    return word[:1].isupper() or any(char.isdigit() for char in word)


_NUMBER = re.compile(r"^\d[\d,.]*$")
_NEAR = 4
_YEAR = re.compile(r"^(?:1[5-9]|20)\d\d$")


def misplaced_number(claim: str, sentence: str) -> tuple[str, str] | None:
    """A number the claim counts something with that the sentence gives for something else: ('240',
    'night-shift workers') for 'The depot has 240 night-shift workers' from 'The depot employs 240 people in
    all. Of them, 35 work the night shift.' The two content words after the number must stand near it in
    the sentence (either one does: '35 people work' fits 'Of them, 35 work')."""
    claimed = [token.group() for token in _WORD.finditer(claim)]
    source = [token.group().lower() for token in _WORD.finditer(sentence)]
    source_stems = [stem(word) for word in source]
    for index, word in enumerate(claimed):
        # A year names a time, not a count; a range's first number counts with its second.
        ranged = index + 1 < len(claimed) and claimed[index + 1].lower() in ("to", "and", "or")
        if not _NUMBER.match(word) or _YEAR.match(word) or word not in source or ranged:
            continue
        following = [stem(other.lower()) for other in claimed[index + 1 : index + 6] if other.lower() not in STOPWORDS][
            :2
        ]
        if not following or _NUMBER.match(following[0]):
            continue
        places = [place for place, other in enumerate(source) if other == word]
        if not any(
            stem_ in source_stems[max(0, place - _NEAR) : place + _NEAR + 1] for place in places for stem_ in following
        ):
            return word, " ".join(claimed[index + 1 : index + 3])
    return None


_CELL = re.compile(r"(?:^|[;—])\s*([^:;—]{1,60}?):\s*([^;]+?)\s*(?=;|\.?\s*$)")


def row_support(claim: str, sentence: str) -> bool | None:
    """For a table row ('Depot: Quayside; Drivers: 12.'): True when every number of the claim is the value of a
    cell whose header the claim names (and so is each cell value it names), False when a number is the value of
    a cell whose header the claim does not name; None when the sentence is not a row or the claim has no number
    from it."""
    cells = [(header.strip(), value.strip()) for header, value in _CELL.findall(sentence)]
    if len(cells) < 2:
        return None
    claimed = {stem(word.lower()) for word in _WORD.findall(claim)}
    bound = False
    for header, value in cells:
        if not _NUMBER.match(value) or value not in _WORD.findall(claim):
            continue
        bound = True
        if not {stem(word.lower()) for word in _WORD.findall(header)} & claimed:
            return False
    return True if bound else None


_FRAME_REASON = {
    "a negation": "it says this is not so",
    "a hedge": "it only says this may be so, or is planned or wanted",
    "a condition": "it only says what would be so under a condition",
}


def _closest_first(claim: str, sentences: list[str]) -> list[str]:
    """The sentences in order of how many of the claim's content words they hold (stable for ties)."""
    stems = {item[0] for item in _sequence(claim)}
    return sorted(sentences, key=lambda sentence: -len(stems & {item[0] for item in _sequence(sentence)}))


def premise(sentences: Sequence[str]) -> str:
    """The sentences shown to the verifier, joined, within its character budget."""
    # A list keeps its lines: run together, its items read as one garbled sentence to the model.
    text = " ".join(
        "\n".join(" ".join(line.split()) for line in sentence.splitlines() if line.strip())
        for sentence in sentences[:MAX_PREMISE_SENTENCES]
    )
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
        sentences = _closest_first(claim, [sentence for sentence in sentences if sentence.strip()])
        if not sentences:
            return Support(False, f"{where} has no sentence that states it")
        misplaced = misplaced_number(claim, " ".join(sentences))
        if misplaced is not None:
            number, what = misplaced
            return Support(False, f"{where} gives {number} for something else, not for {what}")
        frame = dropped_frame(claim, sentences[0])
        if frame is not None:
            return Support(False, f"{where} does not assert it: {_FRAME_REASON[frame]}")
        moods = {sentence: mood(sentence) for sentence in sentences}
        best_mood = moods[sentences[0]]
        asserting = [sentence for sentence in sentences if moods[sentence] not in _SILENT]
        not_asserted = f"{where} does not assert it: {_MOOD_REASON[best_mood or 'a question']}"
        if not asserting:
            return Support(False, not_asserted)
        if any(copies(claim, sentence) for sentence in asserting if moods[sentence] is None):
            return Support(True)
        rows = [row_support(claim, sentence) for sentence in asserting]
        if True in rows:
            return Support(True)
        if False in rows and None not in rows:
            return Support(False, f"{where} gives that figure under another column")
        if self.verifier is None:
            return Support(best_mood not in _SILENT, "" if best_mood not in _SILENT else not_asserted)
        score = self.score(claim, asserting)
        # Same words in another order is how a relation swap looks: the verifier must be sure.
        needed = STRICT_THRESHOLD if any(reorders(claim, sentence) for sentence in asserting) else self.threshold
        if score >= needed:
            return Support(True, score=score)
        reason = not_asserted if best_mood else f"{where} does not say this; it says something else"
        return Support(False, reason, score=score)

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
    """The sentence check an assistant's answers go through, as a plain function for the evaluation harness:
    ``judge(claim, sentences, question) -> (supported, reason)``. Numbers and names first, as in the claim
    check (a figure or a name the sentences lack), then meaning."""
    from assistant.text.facts import facts, missing_facts, vocabulary

    support: SupportJudge = assistant.support_judge  # type: ignore[attr-defined]

    def judge(claim: str, sentences: list[str], question: str) -> tuple[bool, str]:
        missing = missing_facts(facts(claim, first_words=True), vocabulary(" ".join(sentences)), vocabulary(question))
        if missing:
            return False, f"{missing[0]} is not in the cited passage"
        verdict = support.judge(claim, sentences)
        return verdict.ok, verdict.reason

    return judge
