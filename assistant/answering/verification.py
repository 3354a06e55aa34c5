"""Whether an answer is shown, decided here and nowhere else.

Before writing, ``gate`` refuses (without calling a model) when the passages cannot hold the answer:
the question names something no retrieved document mentions, too few of its words occur, or nothing
retrieved is about it. After writing, ``check_answer`` holds every sentence against the passages it
cites: the marker must name a shown passage whose offsets hold; every number and name must occur in
the cited passage; the words that answer must be the passage's (or say the same, by embedding
similarity); and the sentence must say more than the question did. Sentences that fail are removed
and listed with the reason, a marker that names the wrong passage moves to the one that supports the
sentence, and an answer with nothing supported left becomes a refusal with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.answering.conflicts import conflict
from assistant.answering.evidence import Evidence, ScoredSentence
from assistant.answering.support import ANSWERS_THRESHOLD, SupportJudge
from assistant.models.embedder import Embedder
from assistant.text import STOPWORDS, content_terms, overlap, sentence_spans, stem, terms_match, words
from assistant.text.facts import Facts, facts, missing_facts, vocabulary
from assistant.text.markers import MARKER, MARKER_RUN, attach_marker, format_marker, markers_in, strip_markers
from assistant.text.places import other_names
from assistant.types import Citation, Highlight, Passage, Unsupported

REFUSAL = "I don't know based on the documents."
# Share of the answering words (those not taken from the question) that the cited passage must hold.
MIN_ANSWER_SUPPORT = 0.5
# Embedding similarity at which a sentence says what a passage sentence says, in other words.
# Calibrated on the sample and XQuAD gold sets (see eval/): paraphrases of the cited sentence score
# 0.65-0.95, unrelated sentences of the same article 0.2-0.55.
PARAPHRASE_SIMILARITY = 0.62
# Words people wrap a question in; they say nothing about what the documents must hold.
_CONVERSATIONAL = frozenset(
    stem(word)
    for word in """hi hello hey thanks thank please wonder wondering curious could would tell know like new here
    quick question help explain mind sorry bother reading read learn learning understand anyone someone
    trying figure actually just really appreciate kindly maybe possibly briefly exactly need want find
    information info details detail looking look wanted ask asking idea clarify explain im ive id i'm i've
    i'd""".split()
)
# "1." or "- " opening a list item: numbering, not a number the passage must hold.
_ENUMERATOR = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*•])\s+")
_YES_NO = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE)
_MONEY = re.compile(
    r"[$€£¥₹]|\b(?:dollars?|euros?|pounds?|cents?|pence|yen|yuan|rupees?|francs?|kronor|krona|usd|eur|gbp|free|"
    r"no charge|nothing)\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\d|\b(?:"
    + "|".join(
        "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand "
        "million billion dozen half quarter none single double twice".split()
    )
    + r")\b",
    re.IGNORECASE,
)
# What kind of answer a question asks for, and how to recognise a sentence that gives one.
_EXPECTED: list[tuple[re.Pattern[str], str, re.Pattern[str]]] = [
    (
        re.compile(
            (
                r"\bhow much\b.*\b(?:cost|price|pay|charge|fee|fare|spend)|\bwhat (?:is|are|was) the "
                r"(?:price|cost|fee|fare)"
            ),
            re.IGNORECASE,
        ),
        "a price",
        _MONEY,
    ),
    (
        re.compile(
            r"\bhow (?:many|much|tall|high|far|wide|deep|big|large|heavy|old|fast)\b|"
            r"\bwhat (?:percentage|proportion|share|number)\b",
            re.IGNORECASE,
        ),
        "a number",
        _QUANTITY,
    ),
]


def expected_kind(question: str) -> tuple[str, re.Pattern[str]] | None:
    """The kind of answer the question asks for ('a price', 'a number') when it is that specific."""
    for asks, kind, gives in _EXPECTED:
        if asks.search(question):
            return kind, gives
    return None


def refusal_text(reason: str | None) -> str:
    """The refusal sentence first (tools detect it), then the reason."""
    return f"{REFUSAL[:-1]}: {reason}." if reason else REFUSAL


def is_refusal(text: str) -> bool:
    """True when the text is (or begins with) the refusal sentence."""
    return text.strip().lower().replace("’", "'").startswith(REFUSAL.lower()[:-1])


def _join(items: Sequence[str]) -> str:
    unique = list(dict.fromkeys(items))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " or " + unique[-1]


def _phrases(question: str, missing: Sequence[str]) -> list[str]:
    """Missing words as the question writes them, neighbours joined.

    ['1998', 'World Cup'], not ['Cup', '1998', 'World'].
    """
    wanted = {word.lower() for word in missing}
    phrases: list[str] = []
    run: list[str] = []
    for token in re.findall(r"[^\s?!.,;:()\"]+", question):
        bare = token.strip("'’").removesuffix("'s").removesuffix("’s")
        key = bare.lower().replace(",", "")
        if key in wanted or key.replace(".", "") in wanted:
            run.append(bare)
            continue
        if run:
            phrases.append(" ".join(run))
            run = []
    if run:
        phrases.append(" ".join(run))
    found = {word.lower() for phrase in phrases for word in phrase.split()}
    rest = [word for word in missing if word.lower() not in found]
    return [_with_unit(question, phrase) for phrase in [*phrases, *rest]]


def _with_unit(question: str, phrase: str) -> str:
    """A number with the word it measures, as the question writes it: '1.5 tesla', not '1.5'."""
    if not re.fullmatch(r"[\d.,]+", phrase):
        return phrase
    unit = re.search(re.escape(phrase) + r"[ -]([A-Za-z%]+)", question)
    return f"{phrase} {unit.group(1)}" if unit and unit.group(1).lower() not in STOPWORDS else phrase


def informative_terms(question: str) -> set[str]:
    """The question's content words without the polite wrapping ('could you tell me', 'I'm new here')."""
    return {term for term in content_terms(question) if term not in _CONVERSATIONAL}


_WH_WORD = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)


def _asking_part(question: str) -> str:
    """The part that asks, without the wrapping of a chatty question.

    'Hi, I'm new here. I was wondering, what genre is it? Thanks!' -> 'what genre is it?': the last
    sentence (or colon-led clause) that asks, from its first question word on.
    """
    end = question.rfind("?")
    if end < 0:
        return question
    start = max(question.rfind(mark, 0, end) for mark in (". ", "! ", ": ", "? ", "\n")) + 1
    clause = question[start : end + 1]
    wh = _WH_WORD.search(clause)
    return clause[wh.start() :] if wh else clause.strip()


def _uncased(question: str) -> bool:
    """A question typed in capitals or Title Case: its capital letters say nothing about names."""
    tokens = re.findall(r"[A-Za-z]{3,}", question)[1:]
    return len(tokens) >= 3 and sum(token[0].isupper() for token in tokens) / len(tokens) >= 0.9


def _title(source: str) -> str:
    """A document's title as its file name says it: 'Super_Bowl_50__p002.txt' -> 'Super Bowl 50 p002'."""
    return " ".join(Path(source).stem.replace("_", " ").replace("-", " ").split())


def _naming_documents(
    evidence: Evidence, document_text: Callable[[str], str | None]
) -> tuple[list[str], bool, set[str]]:
    """The question's names and numbers that no single retrieved document holds (fewest first), whether
    each of them is held by some document, and the retrieved documents that hold all of them.

    A document counts with its title (the file name) and all its text, not only the retrieved chunk:
    "Super Bowl 50" may be named only in the title of the page that answers. Names that each occur
    in some document but never in the same one make a question the documents don't answer either.
    """
    sources = {passage.source for passage in evidence.passages}
    asked = facts(evidence.question, spelled=False, cased=not _uncased(evidence.question))
    asked = Facts(asked.numbers, {key: word for key, word in asked.names.items() if stem(key) not in _CONVERSATIONAL})
    if not asked.numbers and not asked.names:
        return [], True, sources
    fewest: list[str] | None = None
    nowhere: set[str] | None = None
    naming = set()
    for source in dict.fromkeys(passage.source for passage in evidence.passages):
        missing = missing_facts(asked, vocabulary(f"{_title(source)}\n{document_text(source) or ''}"))
        nowhere = set(missing) if nowhere is None else nowhere & set(missing)
        if not missing:
            naming.add(source)
        elif fewest is None or len(missing) < len(fewest):
            fewest = missing
    return ([] if naming else fewest or []), not nowhere, naming


def _holds(stems: set[str], term: str) -> bool:
    """The term, or every word of another usual name of it ('Russia' for 'Moscow'), is among the stems."""
    return any(terms_match(term, other) for other in stems) or any(
        all(any(terms_match(stem(part), other) for other in stems) for part in words(name))
        for name in other_names(term)
    )


def gate(
    evidence: Evidence,
    document_text: Callable[[str], str | None],
    min_relevance: float,
    min_coverage: float,
    lenient: bool = False,
) -> tuple[Evidence, str | None]:
    """The evidence to write from and None, or a refusal reason when the passages cannot answer.

    When the question names something, only passages of documents that name it all are kept: a
    passage of another document may look similar but is about something else. More than
    ``min_coverage`` of the question's words must occur in the passages; when ``lenient`` (a model
    reads the passages next and can still decline) exactly that share is enough, and a question of
    one or two words needs one of them, since its verb is often paraphrased ("What does Trump propose?").
    """
    if not evidence.passages:
        return evidence, "nothing in them matches the question"
    missing, each_somewhere, naming = _naming_documents(evidence, document_text)
    if missing:
        if each_somewhere:
            named = facts(evidence.question, spelled=False)
            together = _join(_phrases(evidence.question, list(named.names.values()) + list(named.numbers.values())))
            return evidence, f"none of them mentions {together} together"
        return evidence, f"they do not mention {_join(_phrases(evidence.question, missing))}"
    evidence = evidence.restricted_to(naming)
    terms = informative_terms(_asking_part(evidence.question))
    found = {stem(word) for passage in evidence.passages for word in words(f"{_title(passage.source)} {passage.text}")}
    absent = [term for term in terms if not _holds(found, term)]
    share = 1 - len(absent) / len(terms) if terms else 0.0
    enough = (share > 0 if len(terms) <= 2 else share >= min_coverage) if lenient else share > min_coverage
    if not terms or not enough:
        # Name only what the documents found lack as a whole, not words their other pages hold ("allowed").
        whole = {
            stem(word)
            for source in {passage.source for passage in evidence.passages}
            for word in words(document_text(source) or "")
        }
        lacking = {term for term in absent if not _holds(whole, term)}
        shown_words = [word for word in words(evidence.question) if stem(word) in lacking]
        if shown_words:
            return evidence, f"they do not mention {_join(_phrases(evidence.question, shown_words))}"
        return evidence, "nothing in them is about this question"
    if evidence.best < min_relevance:
        return evidence, "nothing in them is about this question"
    return evidence, None


@dataclass
class CheckedAnswer:
    """The answer as shown, after the claim check, and the decision taken on it."""

    text: str
    refused: bool
    refusal_reason: str | None = None
    citations: list[Citation] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)


def refused(reason: str | None, unsupported: list[Unsupported] | None = None) -> CheckedAnswer:
    """A refusal with its reason."""
    return CheckedAnswer(refusal_text(reason), refused=True, refusal_reason=reason, unsupported=unsupported or [])


@dataclass
class _Verdict:
    ok: bool
    reason: str = ""
    relevant: bool = False


class ClaimChecker:
    """Holds each sentence of one answer against the passages of its evidence.

    Words first (every number and name in the cited passage, the answering words there or said in other
    words), then meaning (``SupportJudge``: the passage sentences it rests on assert it). With a verifier,
    a sentence whose answering words differ from the passage's is not refused on words alone: the
    verifier decides, so a right answer in other words stays.
    """

    def __init__(self, evidence: Evidence, valid: set[int], support: SupportJudge | None = None) -> None:
        self._evidence = evidence
        self._support = support or SupportJudge(None)
        self._question_terms = content_terms(evidence.question)
        self._question_vocab = vocabulary(evidence.question)
        # Passage text with the sentences addressed to a model blanked out: those vouch for nothing.
        self._support_text = {number: self._usable_text(number) for number in valid}

    def _usable_text(self, number: int) -> str:
        passage = self._evidence.passages[number - 1]
        text = passage.text
        for sentence in self._evidence.instructions:
            if sentence.passage_number == number:
                begin, end = sentence.start - passage.start, sentence.end - passage.start
                text = text[:begin] + " " * (end - begin) + text[end:]
        return text

    def judge(self, body: str, numbers: Sequence[int], vector: Sequence[float], *, semantic: bool = True) -> _Verdict:
        """Does the text of passages ``numbers`` state ``body``? ``semantic`` False checks words only."""
        where = f"the cited passage {format_marker(list(numbers))}"
        support = " ".join(self._support_text[n] for n in numbers)
        claim = facts(_ENUMERATOR.sub("", body), first_words=True)
        missing = self._unstated(claim, support)
        if missing:
            kind = "number" if missing[0] in claim.numbers.values() else "name"
            return _Verdict(False, f"the {kind} {missing[0]} is not in {where}")
        terms = content_terms(body)
        supported_terms = content_terms(support)
        answering = {t for t in terms if not any(terms_match(t, q) for q in self._question_terms)}
        if not answering and not claim.numbers and not _YES_NO.match(body):
            return _Verdict(False, "it restates the question without answering it")
        share = overlap(answering, supported_terms) if answering else 1.0
        _, similarity, relevant = self._highlights(body, numbers, vector)
        worded = share >= MIN_ANSWER_SUPPORT or (share > 0 and similarity >= PARAPHRASE_SIMILARITY)
        asks_model = semantic and self._support.verifier is not None
        if not worded and not asks_model:
            return _Verdict(False, f"{where} does not state it")
        if semantic:
            resting = self.resting_sentences(body, numbers, vector)
            verdict = self._support.judge(_ENUMERATOR.sub("", body), resting, where)
            if not verdict.ok:
                return _Verdict(False, verdict.reason if worded else f"{where} does not state it")
        return _Verdict(True, relevant=relevant or bool(terms & self._question_terms))

    def resting_sentences(self, body: str, numbers: Sequence[int], vector: Sequence[float]) -> list[str]:
        """The passage sentences of ``numbers`` the body most likely rests on, best first; a list among them is
        given whole and in order, with its lead-in ('The garden will run these workshops.'), since a sentence
        that names its items rests on all of them."""
        best = [sentence for _, _, sentence in self._ranked(body, numbers, vector)[:3]]
        listed = [extra for sentence in best for extra in self._evidence.list_of(sentence) if extra not in best]
        if not listed:
            return [sentence.text for sentence in best]
        block = sorted(dict.fromkeys([*best, *listed]), key=lambda s: (s.passage_number, s.position))
        # One text, one item a line: the list is judged whole, not as its closest three lines.
        return ["\n".join(" ".join(sentence.text.split()) for sentence in block)]

    def _ranked(
        self, body: str, numbers: Sequence[int], vector: Sequence[float]
    ) -> list[tuple[float, float, ScoredSentence]]:
        """(score, similarity, sentence) for each sentence of passages ``numbers``, best first: embedding similarity
        to the body plus half the share of its content words the sentence holds."""
        terms = content_terms(body)
        ranked = []
        for number in numbers:
            for sentence in self._evidence.of_passage(number):
                similarity = sum(a * b for a, b in zip(vector, sentence.vector, strict=True))
                shared = len(terms & content_terms(sentence.text)) / len(terms) if terms else 0.0
                ranked.append((similarity + 0.5 * shared, similarity, sentence))
        ranked.sort(key=lambda item: -item[0])
        return ranked

    def _unstated(self, claim: Facts, support: str) -> list[str]:
        """The claim's numbers and names that ``support`` does not hold.

        Every number must be there, even one the question gave; a name the question gave may stand
        without it (the gate checked that a retrieved document holds it).
        """
        return missing_facts(claim, vocabulary(support), names_also_in=self._question_vocab)

    def invents_facts(self, body: str) -> bool:
        """True when a sentence names a number or name that no shown passage (nor the question) holds."""
        return bool(self._unstated(facts(body, first_words=True), " ".join(self._support_text.values())))

    def highlights_in(self, body: str, number: int, vector: Sequence[float]) -> list[Highlight]:
        """The sentence of passage ``number`` the body rests on (none when it has no usable sentence)."""
        return self._highlights(body, [number], vector)[0]

    def _highlights(
        self, body: str, numbers: Sequence[int], vector: Sequence[float]
    ) -> tuple[list[Highlight], float, bool]:
        """The passage sentences the body rests on, its best similarity to one, and whether that one is relevant."""
        ranked = self._ranked(body, numbers, vector)
        if not ranked:
            return [], 0.0, False
        _, similarity, sentence = ranked[0]
        relevant = sentence.overlap > 0 or sentence.score >= self._evidence.best - 0.3
        return [Highlight(start=sentence.start, end=sentence.end, text=sentence.text)], similarity, relevant


def valid_passages(passages: Sequence[Passage], document_text: Callable[[str], str | None]) -> set[int]:
    """Numbers of the shown passages whose offsets still slice their document to their text."""
    return {
        number
        for number, passage in enumerate(passages, start=1)
        if (document_text(passage.source) or "")[passage.start : passage.end] == passage.text
    }


def check_answer(
    written: str,
    evidence: Evidence,
    document_text: Callable[[str], str | None],
    embedder: Embedder,
    support: SupportJudge | None = None,
) -> CheckedAnswer:
    """The claim check and the decision: answer, answer with sentences removed, or refusal with a reason."""
    if is_refusal(written) or not written.strip():
        declined = written.strip()[len(REFUSAL) :].strip() if is_refusal(written) else ""
        after = [Unsupported(sentence=declined, reason="the answerer declined to answer; what it added is not shown")]
        return refused("the passages found do not answer this question", after if MARKER.search(declined) else [])
    written = _steps_on_lines(written)
    passages = evidence.passages
    valid = valid_passages(passages, document_text)
    support = support or SupportJudge(None)
    checker = ClaimChecker(evidence, valid, support)
    spans = _sentences(written)
    bodies = [strip_markers(written[start:end]).strip() for start, end in spans]
    vectors = embedder.embed_batch([body or "-" for body in bodies])
    kept: list[tuple[int, str]] = []
    counted: list[tuple[str, Sequence[float], list[int]]] = []
    cited: dict[int, list[Highlight]] = {}
    unsupported: list[Unsupported] = []
    relevant = False
    for (start, end), body, vector in zip(spans, bodies, vectors, strict=True):
        sentence = written[start:end].strip()
        if not body:
            continue
        numbers = [n for n in dict.fromkeys(markers_in(sentence)) if n in valid]
        verdict = (
            checker.judge(body, numbers, vector) if numbers else _Verdict(False, "it cites no passage that was shown")
        )
        if not verdict.ok:
            # Small models often copy the right fact and write the wrong number: find the passage that says it.
            for other in sorted(valid - set(numbers)):
                if not checker.judge(body, [other], vector, semantic=False).ok:
                    continue
                moved = checker.judge(body, [other], vector)
                if moved.ok:
                    numbers, verdict = [other], moved
                    break
        if not verdict.ok and body.endswith(":") and not checker.invents_facts(body):
            # A lead-in to a list ("To descale the kettle:") introduces the question's answer.
            kept.append((start, body))
            relevant = relevant or bool(content_terms(body) & content_terms(evidence.question))
            continue
        if not verdict.ok:
            unsupported.append(Unsupported(sentence=sentence, reason=verdict.reason))
            continue
        relevant = relevant or verdict.relevant
        if len(numbers) > 1:
            # Each marker must name a passage that supports the sentence on its own, when one does.
            numbers = [n for n in numbers if checker.judge(body, [n], vector, semantic=False).ok] or numbers
        kept.append((start, attach_marker(body, numbers)))
        counted.append((body, vector, numbers))
        for number in numbers:
            marks = cited.setdefault(number, [])
            marks.extend(h for h in checker.highlights_in(body, number, vector) if h not in marks)
    if kept and strip_markers(kept[-1][1]).rstrip().endswith(":"):
        # A lead-in ("The steps are:") whose list was removed says nothing on its own.
        unsupported.append(Unsupported(sentence=kept.pop()[1], reason="the list it introduces was removed"))
    if not any(MARKER.search(text) for _, text in kept):
        # The reasons stay in ``unsupported``: the refusal never repeats what a document may have injected.
        return refused("the passages found do not clearly state an answer", unsupported)

    def withdrawn(reason: str, why: str) -> CheckedAnswer:
        return refused(reason, [*unsupported, *(Unsupported(sentence=text, reason=why) for _, text in kept)])

    if not relevant:
        return withdrawn("the passages found do not address this question", "it does not address the question")
    expected = expected_kind(evidence.question)
    if expected is not None and not any(expected[1].search(strip_markers(text)) for _, text in kept):
        return withdrawn(f"the passages found do not give {expected[0]}", f"it does not give {expected[0]}")
    text = _rejoin(written, kept)
    answers = support.answers_question(evidence.question, strip_markers(text))
    if answers is not None and answers < ANSWERS_THRESHOLD:
        return withdrawn(
            "the passages found do not answer this question as asked",
            "it answers a nearby question, not the one asked",
        )
    text = _with_disagreements(text, counted, evidence, valid, cited)
    citations = [
        Citation(n=number, highlights=highlights, **passages[number - 1].model_dump(exclude={"score"}))
        for number, highlights in sorted(cited.items())
    ]
    return CheckedAnswer(text, refused=False, citations=citations, unsupported=unsupported)


def _with_disagreements(
    text: str,
    counted: Sequence[tuple[str, Sequence[float], list[int]]],
    evidence: Evidence,
    valid: set[int],
    cited: dict[int, list[Highlight]],
) -> str:
    """The answer, with a sentence for each count that another retrieved document gives otherwise, quoting and
    citing it (its sentence is added to ``cited``): the reader sees both documents, not one of them."""
    for body, vector, numbers in counted:
        support = " ".join(mark.text for number in numbers for mark in cited.get(number, []))
        sources = {evidence.passages[number - 1].source for number in numbers}
        found = conflict(body, vector, support, sources, evidence)
        if found is None or found.sentence.passage_number not in valid or found.theirs in text:
            continue
        number, sentence = found.sentence.passage_number, found.sentence
        quote = " ".join(sentence.text.split()).rstrip(".")
        marker = format_marker([number])
        text += f'\nAnother document disagrees and gives {found.theirs}, not {found.ours}: "{quote}" {marker}.'
        marks = cited.setdefault(number, [])
        mark = Highlight(start=sentence.start, end=sentence.end, text=sentence.text)
        if mark not in marks:
            marks.append(mark)
    return text


_LEADING_MARKERS = re.compile(r"\s*" + MARKER_RUN.pattern)
# "... these steps: 1. Place it [1]. 2. Let it warm up [1]." : a numbered list written on one line.
_INLINE_STEP = re.compile(r"(?<=[.:!?\]])[ \t]+(?=(\d{1,2})\.\s+\S)")


def _steps_on_lines(text: str) -> str:
    """A numbered list written inline, put one item per line so that each step is judged as a sentence (and
    "2." is never read as a sentence of its own)."""
    numbers = [int(match.group(1)) for match in _INLINE_STEP.finditer(text)]
    if len(numbers) < 2 or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return text
    return _INLINE_STEP.sub("\n", text)


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of an answer, each keeping the markers that follow its final period."""
    spans: list[tuple[int, int]] = []
    for first, end in sentence_spans(text):
        start = first
        lead = _LEADING_MARKERS.match(text, start, end)
        if lead and spans:
            spans[-1] = (spans[-1][0], lead.end())
            rest = text[lead.end() : end]
            start = lead.end() + len(rest) - len(rest.lstrip())
        if start < end:
            spans.extend(_split_after_markers(text, start, end))
    return spans


# "... neutrality.[1] It also ..." : markers right after a period end that sentence.
_GLUED = re.compile(r"(?<=[.!?])\s*" + MARKER_RUN.pattern + r"(?=\s+[\"“(]?[A-Z0-9])")


def _split_after_markers(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces = []
    for match in _GLUED.finditer(text, start, end):
        pieces.append((start, match.end()))
        start = match.end() + len(text[match.end() : end]) - len(text[match.end() : end].lstrip())
    pieces.append((start, end))
    return [(a, b) for a, b in pieces if a < b]


def _rejoin(written: str, kept: Sequence[tuple[int, str]]) -> str:
    """Kept sentences in order, a line break kept where the writer put one (lists stay lists)."""
    pieces = []
    for index, (start, text) in enumerate(kept):
        if index:
            gap = written[:start][-3:]
            pieces.append("\n" if "\n" in gap else " ")
        pieces.append(text)
    return "".join(pieces).strip()
