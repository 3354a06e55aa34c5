"""Follow-up questions: the subject of a question replaced by a pronoun, by rules that return None when unsure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from eval.names import ACRONYM, FUNCTION_WORDS, PREPOSITIONS, STOPWORDS

AUXILIARIES = {
    "did",
    "does",
    "do",
    "was",
    "is",
    "were",
    "are",
    "has",
    "have",
    "had",
    "can",
    "could",
    "will",
    "would",
    "should",
}
_PLURAL_AUX = {"was": "were", "is": "are", "has": "have", "does": "do"}
_PARTICIPLE = re.compile(r"[a-z]+(ed|en|wn)$")
_PARTICIPLES = {
    "based",
    "become",
    "begun",
    "born",
    "bought",
    "brought",
    "built",
    "called",
    "caught",
    "come",
    "considered",
    "cut",
    "done",
    "fought",
    "found",
    "held",
    "hit",
    "hung",
    "kept",
    "known",
    "laid",
    "led",
    "left",
    "located",
    "lost",
    "made",
    "meant",
    "paid",
    "put",
    "read",
    "run",
    "said",
    "seen",
    "sent",
    "set",
    "shut",
    "sold",
    "spent",
    "struck",
    "taught",
    "thought",
    "told",
    "won",
}
BASE_VERBS = {
    "accept",
    "achieve",
    "add",
    "affect",
    "agree",
    "allow",
    "announce",
    "appear",
    "apply",
    "argue",
    "arrive",
    "ask",
    "attack",
    "attempt",
    "attend",
    "avoid",
    "become",
    "begin",
    "believe",
    "build",
    "buy",
    "call",
    "cause",
    "change",
    "claim",
    "come",
    "compare",
    "complete",
    "consider",
    "contain",
    "continue",
    "contribute",
    "control",
    "create",
    "decide",
    "declare",
    "defeat",
    "define",
    "describe",
    "design",
    "destroy",
    "develop",
    "die",
    "discover",
    "do",
    "earn",
    "emerge",
    "end",
    "enter",
    "establish",
    "experience",
    "explain",
    "face",
    "fail",
    "feel",
    "fight",
    "find",
    "finish",
    "focus",
    "follow",
    "form",
    "found",
    "gain",
    "get",
    "give",
    "go",
    "grow",
    "have",
    "hold",
    "hope",
    "identify",
    "include",
    "increase",
    "influence",
    "introduce",
    "invent",
    "involve",
    "join",
    "keep",
    "kill",
    "know",
    "launch",
    "lead",
    "learn",
    "leave",
    "lose",
    "make",
    "marry",
    "mean",
    "meet",
    "move",
    "need",
    "note",
    "offer",
    "oppose",
    "own",
    "pass",
    "pay",
    "perform",
    "place",
    "plan",
    "play",
    "produce",
    "promote",
    "propose",
    "protect",
    "provide",
    "publish",
    "purchase",
    "reach",
    "receive",
    "record",
    "reduce",
    "refer",
    "refuse",
    "reject",
    "release",
    "remain",
    "replace",
    "report",
    "represent",
    "require",
    "return",
    "reveal",
    "say",
    "score",
    "see",
    "seek",
    "sell",
    "send",
    "serve",
    "set",
    "show",
    "sign",
    "start",
    "state",
    "study",
    "suffer",
    "suggest",
    "support",
    "take",
    "teach",
    "tell",
    "think",
    "travel",
    "try",
    "turn",
    "use",
    "visit",
    "want",
    "win",
    "work",
    "write",
    "infect",
    "induce",
    "inhibit",
    "bind",
    "encode",
    "express",
    "target",
    "spread",
    "replicate",
    "trigger",
    "activate",
    "block",
    "detect",
    "prevent",
    "transmit",
    "originate",
    "differ",
    "compete",
    "host",
    "broadcast",
    "air",
    "operate",
    "rank",
    "border",
    "cover",
    "exist",
    "lack",
}


@dataclass(frozen=True)
class Pronouns:
    """Subject, object and possessive forms, and whether the subject takes plural verbs."""

    subject: str
    object: str
    possessive: str
    plural: bool


IT = Pronouns("it", "it", "its", False)
THEY = Pronouns("they", "them", "their", True)
HE = Pronouns("he", "him", "his", False)
SHE = Pronouns("she", "her", "her", False)


def pronouns_for(subject: str, article_questions: list[str], is_title: bool) -> Pronouns:
    """'he'/'she' when the subject is the article's title and its questions refer to it that way (and never
    the other way), 'they' for plural-looking names, else 'it'."""
    if is_title:
        words = re.findall(r"[a-z]+", " ".join(article_questions).lower())
        male = sum(word in ("he", "his", "him") for word in words)
        female = sum(word in ("she", "her") for word in words)
        if male >= 2 and female == 0:
            return HE
        if female >= 2 and male == 0:
            return SHE
    last = subject.split()[-1]
    if last.endswith("s") and not last.endswith(("ss", "us", "is")) and not ACRONYM.fullmatch(last):
        return THEY
    return IT


def with_pronoun(question: str, subject: str, pronouns: Pronouns) -> str | None:
    """``question`` with its one mention of ``subject`` replaced by a pronoun, in one of three safe places:
    a possessive ("Tesla's father" -> "his father"), the end of the question after a verb or preposition
    ("who funded Tesla?" -> "who funded him?"), or after an auxiliary before a verb ("when did Tesla die?"
    -> "when did he die?"). None otherwise."""
    matches = list(re.finditer(r"(?<![\w-])(?:(the|The) )?" + re.escape(subject) + r"(?![\w-])", question))
    if len(matches) != 1:
        return None
    match = matches[0]
    before, after = question[: match.start()], question[match.end() :]
    previous = before.split()[-1].lower() if before.split() else ""
    following = re.match(r"['’]s?\b|\s*([A-Za-z]+)|\s*([?.!]?)\s*$", after)
    if following is None:
        return None
    if following.group().startswith(("'", "’")):  # possessive
        return before + pronouns.possessive + after[following.end() :]
    if following.group(2) is not None:  # the subject ends the question
        if previous in PREPOSITIONS or (
            previous.isalpha() and previous not in AUXILIARIES and previous not in FUNCTION_WORDS
        ):
            return before + pronouns.object + after
        return None
    verb = following.group(1)
    if previous in AUXILIARIES and _fits_after_subject(previous, verb):
        if pronouns.plural and previous in _PLURAL_AUX:
            auxiliary = before.rstrip().split()[-1]
            replacement = _PLURAL_AUX[previous]
            replacement = replacement.capitalize() if auxiliary[0].isupper() else replacement
            before = before.rstrip()[: -len(auxiliary)] + replacement + " "
        return before + pronouns.subject + after
    return None


def _fits_after_subject(auxiliary: str, word: str) -> bool:
    """A verb that may follow '<auxiliary> <subject>': a base verb after do/can/will, a participle after be/have."""
    word = word.lower()
    if auxiliary in ("did", "does", "do", "can", "could", "will", "would", "should"):
        return word in BASE_VERBS
    return word in _PARTICIPLES or (bool(_PARTICIPLE.fullmatch(word)) and word not in STOPWORDS)
