"""Questions that compare: split into the parts that are each retrieved, answered and checked on their own.

"Compare what Russia demands with what Zelensky wants" has two subjects that rarely share a passage; asked
whole, retrieval finds one of them and the gate refuses for want of the other, or the answer gives one side.
Each part is asked on its own, so each value is found, cited and checked, and the answer says which part
the documents lack.
"""

from __future__ import annotations

import re

from assistant.answering.verification import CheckedAnswer, refused
from assistant.text.markers import MARKER, format_marker, markers_in
from assistant.types import Citation, Passage, Unsupported

_END = r"\s*[?.!]*\s*$"
_PART = r"(.+?)"
# (pattern, how its groups become questions)
_SHAPES: list[tuple[re.Pattern[str], str]] = [
    # How did X change between 2021 and March 2023? / from 2021 to 2023?
    (
        re.compile(
            rf"^how (?:did|has|have|does|do) {_PART} (?:change|develop|evolve|differ)\s+(?:between|from) "
            rf"{_PART} (?:and|to) {_PART}{_END}",
            re.IGNORECASE,
        ),
        "change",
    ),
    # What is the difference between A and B? / What are the differences between A and B?
    (
        re.compile(rf"^what (?:is|are|was|were) the differences? between {_PART} and {_PART}{_END}", re.IGNORECASE),
        "pair",
    ),
    # How does A compare with B? / How does A differ from B?
    (
        re.compile(
            rf"^how (?:does|do|did) {_PART} (?:compare|differ) (?:with|to|from|against) {_PART}{_END}", re.IGNORECASE
        ),
        "pair",
    ),
    # Compare A with B. / Compare A and B. / Can you compare A to B?
    (
        re.compile(
            rf"^(?:(?:can|could) you |please )?compare {_PART} (?:with|to|and|against|versus|vs\.?) {_PART}{_END}",
            re.IGNORECASE,
        ),
        "pair",
    ),
    # A versus B / A vs. B
    (re.compile(rf"^{_PART} (?:versus|vs\.?) {_PART}{_END}", re.IGNORECASE), "pair"),
]
_WH = re.compile(r"^(?:what|who|whom|which|when|where|why|how)\b", re.IGNORECASE)


def _as_question(part: str) -> str:
    part = part.strip().strip(",;").strip()
    if _WH.match(part):
        return part[0].upper() + part[1:] + "?"
    return f"What about {part}?"


def comparison_parts(question: str) -> list[str]:
    """The standalone questions a comparing question splits into (two), or [] when it does not compare."""
    text = " ".join(question.split())
    for pattern, shape in _SHAPES:
        match = pattern.match(text)
        if match is None:
            continue
        if shape == "change":
            subject, first, second = (group.strip() for group in match.groups())
            return [f"What was {subject} in {first}?", f"What was {subject} in {second}?"]
        first, second = (group.strip() for group in match.groups())
        if first and second and first.lower() != second.lower():
            return [_as_question(first), _as_question(second)]
    return []


def renumbered(text: str, offset: int) -> str:
    """The text with every citation marker moved up by ``offset`` ('[1]' -> '[4]' for offset 3)."""
    if not offset:
        return text
    return MARKER.sub(lambda match: format_marker([n + offset for n in markers_in(match.group())]), text)


def merge(parts: list[tuple[str, CheckedAnswer, list[Passage]]]) -> tuple[CheckedAnswer, list[Passage]]:
    """One answer from the parts' checked answers: each part's sentences with its own citations (numbered after
    the passages of the parts before it), and a plain statement for a part the documents do not answer."""
    if all(checked.refused for _, checked, _ in parts):
        reasons = "; ".join(f"{_bare(part)}: {checked.refusal_reason}" for part, checked, _ in parts)
        return refused(reasons, [u for _, checked, _ in parts for u in checked.unsupported]), parts[0][2]
    texts: list[str] = []
    citations: list[Citation] = []
    passages: list[Passage] = []
    unsupported: list[Unsupported] = []
    for part, checked, shown in parts:
        unsupported.extend(checked.unsupported)
        if checked.refused:
            texts.append(f"On {_bare(part)}, the documents found say nothing: {checked.refusal_reason}.")
            continue
        offset = len(passages)
        texts.append(renumbered(checked.text, offset))
        citations.extend(citation.model_copy(update={"n": citation.n + offset}) for citation in checked.citations)
        passages.extend(shown)
    return CheckedAnswer("\n".join(texts), refused=False, citations=citations, unsupported=unsupported), passages


def _bare(part: str) -> str:
    """'Tell me about the 2021 budget.' -> 'the 2021 budget'; 'What Zelensky wants?' -> 'what Zelensky wants'."""
    text = part.removeprefix("What about ").rstrip("?.! ")
    return text[0].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() and _WH.match(text) else text
