"""Adversarial gold sets built from public SQuAD-format data (XQuAD, COVID-QA) by rules, never by hand.

    qa eval adversarial --xquad XQUAD.json --covid COVID-QA.json --out DIR [--seed N] [--max-per-kind N]

Writes, under DIR:
- ``corpus/<dataset>/`` one .txt file per context of each dataset (``xquad``, ``covid-qa``), so one run
  searches both and gold ``sources`` are corpus-relative (``xquad/Warsaw__p002.txt``);
- ``gold.jsonl`` (format v1) in a fixed, seeded order that alternates answerable and unanswerable items
  and cycles through the kinds, so the first N lines (``qa eval --limit N``) are a balanced sample;
- ``provenance.jsonl``: for each item, the question it came from and what was changed;
- ``summary.json``: counts per tag and per dataset.

Kinds (tags): ``false-premise`` (+ ``unanswerable``): a name or number of the question swapped for one
from another article that appears nowhere in the question's own article, and in no article that also
holds most of the question's other distinctive words; ``numeric``: answers holding a number;
``follow-up``: a second turn whose subject became a pronoun after a first turn (a question about the same
subject and the sentence holding its gold answer); ``how-to``: "How do/does/did/is/are/can ..."
questions as they are; ``conversational``: long polite templates around a question; ``list``: answers
that are lists of short items, with ``required`` set to the items. Half of the set is answerable.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from eval.metrics import normalize
from eval.names import name_class, name_terms
from eval.premises import FALSE_PREMISE, Swapper
from eval.pronouns import pronouns_for, with_pronoun
from eval.questions import Asked, Library, Made, answerable_item, provenance
from eval.rewrites import conversational, has_number, is_how_to, list_items
from eval.sentences import sentence_spans
from eval.squad import read_squad, write_corpus, write_jsonl

ANSWERABLE_KINDS = ["list", "follow-up", "how-to", "numeric", "conversational"]
MAX_HISTORY_CHARS = 400
MAX_NUMERIC_ANSWER_WORDS = 8


# ---- answerable kinds ------------------------------------------------------------------------------------------


def whole_span(asked: Asked, index: int = 0) -> bool:
    """The gold answer starts and ends at word boundaries of its context (some COVID-QA spans cut words)."""
    starts, answers = asked.question.starts, asked.question.answers
    if index >= len(starts) or starts[index] < 0:
        return False
    start, end, context = starts[index], starts[index] + len(answers[index]), asked.paragraph.context
    if context[start:end] != answers[index]:
        return False
    return not (start > 0 and context[start - 1].isalnum()) and not (end < len(context) and context[end].isalnum())


def numeric(asked: Asked) -> Made | None:
    """The question as it is, when its gold answer is short and states a number."""
    answer = asked.question.answers[0]
    if len(answer.split()) > MAX_NUMERIC_ANSWER_WORDS or not has_number(answer) or not whole_span(asked):
        return None
    return Made("numeric", answerable_item(asked, "numeric", asked.text), provenance(asked, "numeric"))


def how_to(asked: Asked) -> Made | None:
    """The question as it is, when it asks how something is done."""
    if not is_how_to(asked.text):
        return None
    return Made("how-to", answerable_item(asked, "how-to", asked.text), provenance(asked, "how-to"))


def listing(asked: Asked) -> Made | None:
    """The question with ``required`` = the items of its list answer."""
    for index, answer in enumerate(asked.question.answers):
        items = list_items(asked.text, answer) if whole_span(asked, index) else None
        if items:
            made = answerable_item(asked, "list", asked.text, required=items)
            return Made("list", made, provenance(asked, "list", list_answer=answer))
    return None


def polite(asked: Asked, seed: int) -> Made:
    """The question inside one of the long, polite templates (chosen by the seed)."""
    variant = random.Random(f"{seed}/polite/{asked.dataset}/{asked.question.id}").randrange(4)
    text = conversational(asked.text, variant)
    item = answerable_item(asked, "conversational", text)
    return Made("conversational", item, provenance(asked, "conversational", template=variant))


def answer_sentence(asked: Asked) -> str | None:
    """The context sentence that holds the question's first gold answer (None when it cannot be placed)."""
    start = asked.question.starts[0] if asked.question.starts else -1
    context = asked.paragraph.context
    if start < 0 or context[start : start + len(asked.question.answers[0])] != asked.question.answers[0]:
        return None
    for begin, end in sentence_spans(context):
        if begin <= start < end:
            sentence = " ".join(context[begin:end].split())
            return sentence if len(sentence) <= MAX_HISTORY_CHARS else None
    return None


def subjects(library: Library, asked: Asked) -> list[tuple[str, bool]]:
    """What a pronoun can safely stand for in the question, longest first: the article's title (or a
    capitalised word of it: 'Tesla' for Nikola_Tesla), marked True, or an acronym ('MERS-CoV', 'NASA')."""
    title = library.datasets[asked.dataset][asked.article].title
    clean = re.sub(r"\s*\([^)]*\)", "", title.replace("_", " ")).split(",")[0].strip()
    forms = {clean} | {word for word in clean.split() if len(word) >= 4 and word[0].isupper()}
    found = {(form, True) for form in forms if re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", asked.text)}
    found |= {(name.text, False) for name in name_terms(asked.text) if name_class(name.text) == "acronym"}
    return sorted(found, key=lambda pair: (-len(pair[0]), pair[0]))


def follow_up(library: Library, asked: Asked, siblings: list[Asked], seed: int) -> Made | None:
    """A two-turn conversation: a first question naming the subject and its answer sentence, then this
    question with the subject replaced by a pronoun."""
    rng = random.Random(f"{seed}/follow-up/{asked.dataset}/{asked.question.id}")
    own_answer = normalize(asked.question.answers[0])
    questions = [sibling.text for sibling in siblings]
    for subject, is_title in subjects(library, asked):
        pattern = re.compile(rf"(?<![\w-]){re.escape(subject)}(?![\w-])")
        firsts = []
        for sibling in siblings:
            if sibling.question.id == asked.question.id or not pattern.search(sibling.text):
                continue
            sentence = answer_sentence(sibling)
            if sentence and own_answer not in normalize(sentence):
                firsts.append((sibling, sentence))
        if not firsts:
            continue
        rewritten = with_pronoun(asked.text, subject, pronouns_for(subject, questions, is_title))
        if rewritten is None:
            continue
        first, sentence = rng.choice(firsts)
        history = [{"role": "user", "content": first.text}, {"role": "assistant", "content": sentence}]
        made = answerable_item(asked, "follow-up", rewritten, history=history)
        return Made("follow-up", made, provenance(asked, "follow-up", subject=subject, first=first.question.id))
    return None


# ---- the whole set -----------------------------------------------------------------------------------------------


def candidates(library: Library, seed: int) -> dict[str, list[Made]]:
    """Every item each rule can make, per kind, in data order."""
    made: dict[str, list[Made]] = {kind: [] for kind in [*ANSWERABLE_KINDS, FALSE_PREMISE]}
    swapper = Swapper(library, seed)
    by_article: dict[tuple[str, int], list[Asked]] = {}
    for asked in library.asked():
        by_article.setdefault((asked.dataset, asked.article), []).append(asked)
    for asked in library.asked():
        siblings = by_article[(asked.dataset, asked.article)]
        for rule in (
            swapper.variant,
            numeric,
            how_to,
            listing,
            lambda a, siblings=siblings: follow_up(library, a, siblings, seed),
            lambda a: polite(a, seed),
        ):
            result = rule(asked)
            if result is not None:
                made[result.kind].append(result)
    return made


def _shuffled_by_dataset(items: list[Made], seed: int, kind: str) -> list[Made]:
    """Items shuffled within each dataset (seeded), then the datasets taken in turn."""
    groups: dict[str, list[Made]] = {}
    for made in items:
        groups.setdefault(made.provenance["dataset"], []).append(made)
    for name, group in groups.items():
        random.Random(f"{seed}/{kind}/{name}").shuffle(group)
    return list(_round_robin([groups[name] for name in sorted(groups)]))


def _round_robin(lists: list[list[Made]]) -> Iterator[Made]:
    for row in range(max((len(items) for items in lists), default=0)):
        for items in lists:
            if row < len(items):
                yield items[row]


def select(made: dict[str, list[Made]], seed: int, max_per_kind: int | None = None) -> list[Made]:
    """A balanced set: as many answerable as unanswerable items, each kind capped at ``max_per_kind``,
    each source question used by at most one answerable kind, ordered so that every prefix stays balanced."""
    cap = max_per_kind if max_per_kind is not None else 10**9
    premises = _shuffled_by_dataset(made[FALSE_PREMISE], seed, FALSE_PREMISE)[:cap]
    used: set[tuple[str, str]] = set()
    answerable: dict[str, list[Made]] = {}
    for kind in ANSWERABLE_KINDS:
        chosen: list[Made] = []
        for candidate in _shuffled_by_dataset(made[kind], seed, kind):
            key = (candidate.provenance["dataset"], candidate.origin)
            if len(chosen) < cap and key not in used:
                used.add(key)
                chosen.append(candidate)
        answerable[kind] = chosen
    size = min(len(premises), sum(len(items) for items in answerable.values()))
    answers = list(_round_robin([answerable[kind] for kind in ANSWERABLE_KINDS]))[:size]
    ordered: list[Made] = []
    for pair in zip(answers, premises[:size], strict=True):
        ordered.extend(pair)
    return ordered


def build(sources: dict[str, Path], out: Path, seed: int = 0, max_per_kind: int | None = None) -> dict[str, Any]:
    """Read the datasets, make and select the items, write ``out``; returns the summary."""
    if not sources:
        raise InputError("give at least one dataset: --xquad PATH and/or --covid PATH (SQuAD-format JSON)")
    if max_per_kind is not None and max_per_kind < 1:
        raise InputError(f"--max-per-kind {max_per_kind}: give at least 1 (or leave it out for no cap)")
    datasets = {name: read_squad(path) for name, path in sources.items()}
    chosen = select(candidates(Library(datasets), seed), seed, max_per_kind)
    if not chosen:
        raise InputError(f"no adversarial item could be made from {', '.join(map(str, sources.values()))}")
    shutil.rmtree(out / "corpus", ignore_errors=True)
    for name, articles in datasets.items():
        write_corpus(articles, out / "corpus" / name)
    write_jsonl(out / "gold.jsonl", [made.item for made in chosen])
    write_jsonl(out / "provenance.jsonl", [{"id": made.item["id"], **made.provenance} for made in chosen])
    summary = summarize(chosen, seed, max_per_kind, sources)
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def summarize(chosen: list[Made], seed: int, max_per_kind: int | None, sources: dict[str, Path]) -> dict[str, Any]:
    """Counts per tag, per dataset and per answerability."""
    return {
        "seed": seed,
        "max_per_kind": max_per_kind,
        "sources": {name: str(path) for name, path in sources.items()},
        "n": len(chosen),
        "answerable": sum(made.item["answerable"] for made in chosen),
        "unanswerable": sum(not made.item["answerable"] for made in chosen),
        "tags": dict(sorted(Counter(tag for made in chosen for tag in made.item["tags"]).items())),
        "kinds_by_dataset": dict(sorted(Counter(f"{m.provenance['dataset']}/{m.kind}" for m in chosen).items())),
    }
