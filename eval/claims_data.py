"""A claim-level set for the sentence support check, built by rules from SQuAD-format data (XQuAD, COVID-QA).

    qa eval claims-data --xquad XQUAD.json --covid COVID-QA.json --out DIR [--seed N] [--per-kind N]

Each line of ``DIR/claims.jsonl`` pairs a claim with the passage sentences it rests on and says whether those
sentences assert it. Kinds (see ``KINDS``): supported ``copy`` (the sentence that holds a gold answer) and
``paraphrase`` (the question turned into a statement with its gold answer, eval/declaratives.py); unsupported
``relation-swap`` (two names or numbers of the sentence exchanged: every word still occurs), ``wrong-answer``
(the statement filled with another entity of the same class from the passage), ``from-question`` (the
passage only asks it), ``hypothetical`` (the passage only supposes it), ``negated`` (the passage denies it)
and ``quiz-option`` (the passage is a quiz that lists the claim's answer as one option among others).

The split is by article (eval/splits.py): every item of one article is on the same side. The file lists the
dev items, then the test items, each side alternating supported and unsupported and cycling the kinds, so
that the first N items of a side are a balanced sample. ``DIR/summary.json`` counts kinds per split.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from eval.declaratives import ASKING, DENYING, PAST_TO_BASE, SPECULATING, VERBS, Frame, clause, frame
from eval.metrics import normalize
from eval.names import Term, content_words, is_year, name_class, names_in, stem
from eval.numbers import number_spans
from eval.questions import Asked, Library
from eval.sentences import sentence_spans
from eval.splits import Splits
from eval.squad import read_squad, write_jsonl

SUPPORTED_KINDS = ["copy", "paraphrase"]
UNSUPPORTED_KINDS = ["relation-swap", "wrong-answer", "from-question", "hypothetical", "negated", "quiz-option"]
KINDS = SUPPORTED_KINDS + UNSUPPORTED_KINDS
DEFAULT_PER_KIND = 80
MIN_WORDS, MAX_WORDS = 6, 60
# A statement rests on its sentences when they hold at least this share of its content words.
MIN_COVERAGE = 0.75
# Text between two exchanged names that makes the exchange harmless ('A and B', 'A, B', 'A (B)', 'A or B').
_SYMMETRIC = re.compile(
    r"^[\s,;/&()\[\]\-–]*(?:(?:and|or|as well as|nor|both|with|vs\.?|versus|also known as|aka)[\s,]*)?$"
)
_EQUATING = re.compile(r"\b(known as|called|named|also|aka|i\.e\.|or|formerly|renamed|respectively|between)\b")


@dataclass
class Source:
    """An answerable question placed in its passage: the sentence that holds its answer and its split."""

    asked: Asked
    split: str
    title: str
    sentence: str
    context: list[str]  # the passage's usable sentences, in order
    frame: Frame | None
    support: list[str]  # the sentences the statement rests on (sentence, or previous + sentence)

    @property
    def answer(self) -> str:
        return self.asked.question.answers[0].strip()


def _clean(text: str) -> str:
    return " ".join(text.split())


def usable(sentence: str) -> bool:
    """A prose sentence: 6-60 words, ends like a statement, no links, not a list of names or figures."""
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS or not sentence.endswith((".", "!")):
        return False
    if "http" in sentence or "doi" in sentence.lower() or sentence.count(";") > 2:
        return False
    lower = sum(bool(re.fullmatch(r"[a-z][a-z\-]+[,.]?", word)) for word in words)
    return lower >= 0.4 * len(words)


def _coverage(statement: str, answer: str, sentences: list[str]) -> float:
    """Share of the statement's content words (not the answer's) that the sentences hold; 0 when one of its
    names is missing from them."""
    text = " ".join(sentences).casefold()
    if any(name.text.casefold() not in text for name in names_in(statement.replace(answer, " "))):
        return 0.0
    wanted = {stem(word) for word in content_words(statement) - content_words(answer)}
    if not wanted:
        return 1.0
    have = {stem(word) for sentence in sentences for word in content_words(sentence)}
    return len(wanted & have) / len(wanted)


def place(asked: Asked, split: str, title: str) -> Source | None:
    """The question's Source, or None when its answer is not one whole sentence's part."""
    context, start = asked.paragraph.context, asked.question.starts[0] if asked.question.starts else -1
    answer = asked.question.answers[0]
    if start < 0 or context[start : start + len(answer)] != answer:
        return None
    spans = sentence_spans(context)
    texts = [_clean(context[a:b]) for a, b in spans]
    for index, (begin, end) in enumerate(spans):
        if begin <= start and start + len(answer.rstrip()) <= end:
            sentence = texts[index]
            if not usable(sentence):
                return None
            found = frame(asked.text, answer)
            support = [sentence]
            if found is not None:
                statement = found.fill(answer)
                if _coverage(statement, answer, support) < MIN_COVERAGE and index > 0:
                    support = [texts[index - 1], sentence]
                if _coverage(statement, answer, support) < MIN_COVERAGE:
                    found, support = None, [sentence]
            usable_context = [text for text in texts if usable(text)]
            return Source(asked, split, title, sentence, usable_context, found, support)
    return None


# ---- the kinds ---------------------------------------------------------------------------------------------------


def item(source: Source, kind: str, claim: str, sentences: list[str], **extra: Any) -> dict[str, Any]:
    """One claims.jsonl line."""
    asked = source.asked
    return {
        "id": f"{source.split}-{kind}-{asked.dataset}-{asked.question.id}",
        "split": source.split,
        "dataset": asked.dataset,
        "article": source.title,
        "question": asked.text,
        "sentences": sentences,
        "claim": claim,
        "label": "supported" if kind in SUPPORTED_KINDS else "unsupported",
        "kind": kind,
        **extra,
    }


def copy(source: Source) -> dict[str, Any]:
    return item(source, "copy", source.sentence, [source.sentence])


def paraphrase(source: Source) -> dict[str, Any] | None:
    if source.frame is None:
        return None
    return item(source, "paraphrase", source.frame.fill(source.answer), source.support, rule=source.frame.rule)


def _name_alternatives(source: Source) -> list[tuple[str, str]]:
    answer = source.answer
    names = names_in(answer)
    if len(names) != 1 or len(names[0].text) < 0.8 * len(answer.rstrip(".")):
        return []
    kind, size = name_class(names[0].text), len(names[0].text.split())
    taken = {normalize(word) for gold in source.asked.question.answers for word in gold.split()}
    question = source.asked.text.casefold()
    found: dict[str, str] = {}
    for sentence in source.context:
        for name in names_in(sentence):
            words = {normalize(word) for word in name.text.split()}
            if (
                name_class(name.text) == kind
                and abs(len(name.text.split()) - size) <= 1
                and not words & taken
                and name.text.casefold() not in question
                and name.start > 0
            ):
                found.setdefault(name.text, sentence)
    return list(found.items())


def _number_alternatives(source: Source) -> list[tuple[str, str]]:
    answer = source.answer
    spans = number_spans(answer)
    if len(spans) != 1:
        return []
    start, end, _value = spans[0]
    number = answer[start:end]
    golds = {normalize(gold) for gold in source.asked.question.answers}
    found: dict[str, str] = {}
    for sentence in source.context:
        for s, e, _ in number_spans(sentence):
            other = sentence[s:e]
            if other == number or is_year(other) != is_year(number) or other in source.asked.text:
                continue
            replaced = answer[:start] + other + answer[end:]
            if normalize(replaced) not in golds:
                found.setdefault(replaced, sentence)
    return list(found.items())


def alternatives(source: Source, rng: random.Random) -> list[tuple[str, str]]:
    """Other entities of the answer's class in the passage (another name of the same class and length, or
    the answer with its number replaced by another of the passage), as (entity, sentence holding it); those
    in the statement's own sentences first."""
    found = _number_alternatives(source) if re.search(r"\d", source.answer) else _name_alternatives(source)
    rng.shuffle(found)
    return sorted(found, key=lambda pair: pair[1] not in source.support)


def wrong_answer(source: Source, rng: random.Random) -> dict[str, Any] | None:
    if source.frame is None:
        return None
    choices = alternatives(source, rng)
    if not choices:
        return None
    other, holding = choices[0]
    sentences = [s for s in source.context if s in source.support or s == holding]
    return item(source, "wrong-answer", source.frame.fill(other), sentences, replaced=source.answer, by=other)


def quiz_option(source: Source, rng: random.Random) -> dict[str, Any] | None:
    if source.frame is None:
        return None
    choices = alternatives(source, rng)
    if len(choices) < 2:
        return None
    wrong = [choices[0][0], choices[1][0]]
    options = [source.answer.rstrip("."), *wrong]
    rng.shuffle(options)
    block = " ".join(f"{letter}. {option}" for letter, option in zip("ABC", options, strict=True))
    question = source.asked.text if source.asked.text.endswith("?") else source.asked.text + "?"
    sentences = [f"Question: {question}", block]
    return item(source, "quiz-option", source.frame.fill(wrong[0]), sentences, options=options, answer=source.answer)


def opens_with_subject(sentence: str) -> bool:
    """The sentence reads well inside another one: it opens with its subject ('The ...', 'A ...' or a name of
    two words or more), has no comma among its first three words and no 'we'."""
    if re.search(r"\b(we|our|us|I)\b", sentence) or "," in " ".join(sentence.split()[:3]):
        return False
    first = sentence.split()[0] if sentence.split() else ""
    return first in ("The", "A", "An") or any(name.start == 0 and " " in name.text for name in names_in(sentence))


def _statement(source: Source) -> str | None:
    """What the three wrapped kinds assert: the question's statement, else the answer sentence when it is short
    and reads well inside another sentence."""
    if source.frame is not None:
        return source.frame.fill(source.answer)
    sentence = source.sentence
    if len(sentence) > 220 or not sentence.endswith(".") or not opens_with_subject(sentence):
        return None
    return sentence


def _neighbour(source: Source, rng: random.Random) -> list[str]:
    """Half the time, the sentence before (else after) the answer sentence, when it does not hold the answer,
    as context before the wrapped one."""
    answer = normalize(source.answer)
    if source.sentence not in source.context or rng.random() < 0.5:
        return []
    index = source.context.index(source.sentence)
    for other in (index - 1, index + 1):
        if 0 <= other < len(source.context) and answer not in normalize(source.context[other]):
            return [source.context[other]]
    return []


def from_question(source: Source, rng: random.Random) -> dict[str, Any] | None:
    statement = _statement(source)
    if statement is None:
        return None
    if source.frame is not None and rng.random() < 0.5:
        asked = source.frame.fill(source.answer, "asked")
    else:
        asked = rng.choice(ASKING).format(s=clause(statement))
    return item(source, "from-question", statement, [*_neighbour(source, rng), asked])


def hypothetical(source: Source, rng: random.Random) -> dict[str, Any] | None:
    statement = _statement(source)
    if statement is None:
        return None
    supposed = rng.choice(SPECULATING).format(s=clause(statement))
    return item(source, "hypothetical", statement, [*_neighbour(source, rng), supposed])


def negated(source: Source, rng: random.Random) -> dict[str, Any] | None:
    statement = _statement(source)
    if statement is None:
        return None
    if source.frame is not None:
        denial = source.frame.fill(source.answer, "negative")
    else:
        denial = rng.choice(DENYING).format(s=clause(statement))
    return item(source, "negated", statement, [*_neighbour(source, rng), denial])


def _acts(between: str) -> bool:
    """A verb stands between two names: the exchange changes who did what to whom."""
    for word in re.findall(r"\b[a-z]+\b", between):
        if word in VERBS or word in PAST_TO_BASE or word.endswith("ed") or (word.endswith("s") and word[:-1] in VERBS):
            return True
    return False


def _swappable_pair(sentence: str, first: Term, second: Term) -> bool:
    between = sentence[first.end : second.start]
    a, b = first.text.casefold(), second.text.casefold()
    if a == b or set(a.split()) & set(b.split()) or a in b or b in a:
        return False
    if _SYMMETRIC.match(between) or _EQUATING.search(between.lower()) or len(between.split()) > 12:
        return False
    if first.kind == "name" and not _acts(between):
        return False
    if first.kind == "number" and (number_spans(between) or len(between.split()) > 6):
        return False  # 'Jones 1998, Crowley 2000': numbers of a list of references
    return not (sentence[second.end :].startswith(" (") or between.strip() in ("(", ")"))


def swap_terms(sentence: str) -> tuple[str, Term, Term] | None:
    """The sentence with two names of one class (else two numbers) exchanged, when the exchange changes
    who did what: not two items of a list, not a name and its other name."""
    bracketed = [m.span() for m in re.finditer(r"\[[^\]]*\]|\([^)]*\)", sentence)]
    names = [
        name
        for name in names_in(sentence)
        if (name.start > 0 or name_class(name.text) == "acronym")
        and not sentence[name.end :].startswith(("'", "’"))
        and not any(a <= name.start < b for a, b in bracketed)
    ]
    numbers = [
        Term(sentence[s:e], s, e, "number")
        for s, e, _ in number_spans(sentence)
        if not any(a <= s < b for a, b in bracketed)  # references '[11, 12]' and asides are left alone
    ]
    for group in (names, numbers):
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if group is names and name_class(first.text) != name_class(second.text):
                    continue
                if group is numbers and is_year(first.text) != is_year(second.text):
                    continue
                if _swappable_pair(sentence, first, second):
                    swapped = (
                        sentence[: first.start]
                        + second.text
                        + sentence[first.end : second.start]
                        + first.text
                        + sentence[second.end :]
                    )
                    return swapped, first, second
    return None


def relation_swap(source: Source) -> dict[str, Any] | None:
    found = swap_terms(source.sentence)
    if found is None:
        return None
    swapped, first, second = found
    return item(source, "relation-swap", swapped, [source.sentence], exchanged=[first.text, second.text])


# ---- the whole set -----------------------------------------------------------------------------------------------


def sources(library: Library, splits: Splits) -> Iterator[Source]:
    for asked in library.asked():
        title = library.datasets[asked.dataset][asked.article].title
        placed = place(asked, splits.of(asked.dataset, asked.article), title)
        if placed is not None:
            yield placed


def candidates(library: Library, splits: Splits, seed: int) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every item each rule can make, keyed by (split, kind); one copy and one swap per distinct sentence."""
    made: dict[tuple[str, str], list[dict[str, Any]]] = {}
    seen: set[tuple[str, str, str]] = set()
    for source in sources(library, splits):
        rng = random.Random(f"{seed}/claims/{source.asked.dataset}/{source.asked.question.id}")
        results: list[dict[str, Any] | None] = [
            paraphrase(source),
            wrong_answer(source, rng),
            quiz_option(source, rng),
            from_question(source, rng),
            hypothetical(source, rng),
            negated(source, rng),
        ]
        key = (source.asked.dataset, source.split, source.sentence)
        if key not in seen:
            seen.add(key)
            results += [copy(source), relation_swap(source)]
        for result in results:
            if result is not None:
                made.setdefault((result["split"], result["kind"]), []).append(result)
    return made


def _by_dataset(items: list[dict[str, Any]], seed: int, name: str) -> list[dict[str, Any]]:
    """Shuffled (seeded) within each dataset, then the datasets taken in turn."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in items:
        groups.setdefault(entry["dataset"], []).append(entry)
    for dataset, group in groups.items():
        random.Random(f"{seed}/{name}/{dataset}").shuffle(group)
    return list(round_robin([groups[dataset] for dataset in sorted(groups)]))


def round_robin(lists: list[list[Any]]) -> Iterator[Any]:
    for row in range(max((len(entries) for entries in lists), default=0)):
        for entries in lists:
            if row < len(entries):
                yield entries[row]


def select(made: dict[tuple[str, str], list[dict[str, Any]]], seed: int, per_kind: int) -> list[dict[str, Any]]:
    """Per split: up to ``per_kind`` items of each unsupported kind, as many supported ones (paraphrases up to
    half, copies for the rest), ordered supported/unsupported in turn with the kinds cycling."""
    ordered: list[dict[str, Any]] = []
    for split in ("dev", "test"):
        pools = {kind: _by_dataset(made.get((split, kind), []), seed, f"{split}/{kind}") for kind in KINDS}
        unsupported = list(round_robin([pools[kind][:per_kind] for kind in UNSUPPORTED_KINDS]))
        paraphrases = pools["paraphrase"][: len(unsupported) // 2]
        copies = pools["copy"][: len(unsupported) - len(paraphrases)]
        supported = list(round_robin([paraphrases, copies]))
        ordered.extend(round_robin([supported, unsupported]))
    return ordered


def build(sources_: dict[str, Path], out: Path, seed: int = 0, per_kind: int = DEFAULT_PER_KIND) -> dict[str, Any]:
    """Read the datasets, make and select the claims, write ``out/claims.jsonl`` and ``out/summary.json``."""
    if not sources_:
        raise InputError("give at least one dataset: --xquad PATH and/or --covid PATH (SQuAD-format JSON)")
    if per_kind < 1:
        raise InputError(f"--per-kind {per_kind}: give at least 1")
    datasets = {name: read_squad(path) for name, path in sources_.items()}
    library = Library(datasets)
    splits = Splits({name: len(articles) for name, articles in datasets.items()}, seed)
    chosen = select(candidates(library, splits, seed), seed, per_kind)
    if not chosen:
        raise InputError(f"no claim could be made from {', '.join(map(str, sources_.values()))}")
    write_jsonl(out / "claims.jsonl", chosen)
    summary = summarize(chosen, seed, per_kind, sources_)
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def summarize(chosen: list[dict[str, Any]], seed: int, per_kind: int, sources_: dict[str, Path]) -> dict[str, Any]:
    """Counts per split: items, supported, and per kind; and per split and dataset."""
    splits: dict[str, Any] = {}
    for split in ("dev", "test"):
        rows = [entry for entry in chosen if entry["split"] == split]
        splits[split] = {
            "n": len(rows),
            "supported": sum(entry["label"] == "supported" for entry in rows),
            "unsupported": sum(entry["label"] == "unsupported" for entry in rows),
            "kinds": {kind: sum(entry["kind"] == kind for entry in rows) for kind in KINDS},
            "datasets": dict(sorted(Counter(entry["dataset"] for entry in rows).items())),
            "articles": len({(entry["dataset"], entry["article"]) for entry in rows}),
        }
    return {
        "seed": seed,
        "per_kind": per_kind,
        "sources": {name: str(path) for name, path in sources_.items()},
        "n": len(chosen),
        "splits": splits,
    }
