"""A gold set (format v1) of the semantic classes, built by script from XQuAD, COVID-QA and generated documents.

    qa eval semantic-data --xquad XQUAD.json --covid COVID-QA.json --out DIR [--seed N]

Writes ``DIR/corpus/`` (``articles/<dataset>/`` the source articles used; ``digests/`` quiz pages;
``speculation/`` pages that only suppose things; ``generated/`` tables in docx/xlsx/pptx, yearly updates,
procedures and lists), ``DIR/gold.jsonl`` and ``DIR/summary.json``. Tags (kinds):

- ``quiz``: a digest page prints a quiz on an article's fact with three options; the question is the
  article's own and the answer is the article's (``wrong_options`` lists what must not be given);
- ``hypothetical`` (unanswerable): a page supposes a wrong version of an article's fact; the question
  presupposes it ("What was the reason that ...?");
- ``false-premise-named`` (unanswerable): a why/when question presupposing an event between entities the
  corpus names, with their roles exchanged (eval/claims_data.py's relation swaps);
- ``nearby-attribute`` (unanswerable): a table gives one attribute of a site (all staff) and leaves out a
  nearby one (night-shift staff), which the question asks;
- ``table``: one cell of a docx/xlsx/pptx table; the year is only in the heading, caption, sheet or slide title;
- ``comparison``: the same attribute of one site in two documents (a table and a later prose update);
  ``required`` = both values;
- ``procedure``: a how-to page with 6-8 numbered steps after a long introduction, so chunks split it;
  ``required`` = the steps' key words;
- ``list``: a list answer (SQuAD list answers, and generated notices whose list follows a sentence ending
  in '.'); ``required`` = the items.

Every item is also tagged ``dev`` or ``test`` by its source article (eval/splits.py; generated groups are
split the same way, as the dataset ``generated``). The gold file alternates answerable and unanswerable
items and cycles the kinds, so the first N lines (``qa eval --limit N``) are a balanced sample.
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
from eval.adversarial import listing
from eval.claims_data import Source, alternatives, opens_with_subject, round_robin, sources, swap_terms
from eval.declaratives import SPECULATING, clause
from eval.docs_gen import (
    Announced,
    Procedure,
    TableGroup,
    announced_lists,
    procedures,
    table_groups,
    write_list,
    write_procedure,
    write_table,
    write_update,
)
from eval.questions import Library
from eval.splits import Splits
from eval.squad import SquadArticle, read_squad, write_jsonl

ANSWERABLE = ["quiz", "procedure", "table", "comparison", "list"]
UNANSWERABLE = ["hypothetical", "false-premise-named", "nearby-attribute"]
GENERATED = "generated"
TABLE_GROUPS, PROCEDURES, LISTS = 56, 66, 56
QUIZZES_PER_PAGE = 4
MAX_PREMISE_WORDS = 28
PREMISE_QUESTIONS = ["What was the reason that {c}?", "Why was it that {c}?", "How did it come about that {c}?"]
WHEN_QUESTIONS = ["When was it that {c}?", "In which year was it that {c}?"]
_PRONOUN_START = re.compile(r"^(it|its|they|their|he|his|she|her|this|these|those|there|such)\b", re.IGNORECASE)


class Gold:
    """Items and the files of the corpus, gathered while the kinds are made."""

    def __init__(self, out: Path, datasets: dict[str, list[SquadArticle]], seed: int) -> None:
        self.corpus = out / "corpus"
        self.datasets = datasets
        self.seed = seed
        self.items: dict[str, list[dict[str, Any]]] = {kind: [] for kind in [*ANSWERABLE, *UNANSWERABLE]}
        self.articles: set[tuple[str, int]] = set()
        self.speculations: list[str] = []

    def add(self, kind: str, split: str, origin: str, **fields: Any) -> None:
        answerable = kind in ANSWERABLE
        tags = [kind, split, origin] + ([] if answerable else ["unanswerable"])
        entry = {
            "id": f"{kind}-{origin}-{len(self.items[kind]):04d}",
            "question": fields.pop("question"),
            "answers": fields.pop("answers", []) if answerable else [],
            "answerable": answerable,
            "sources": fields.pop("sources", []) if answerable else [],
            **fields,
            "tags": tags,
        }
        self.items[kind].append(entry)

    def article_source(self, source: Source) -> str:
        return self.article_path(source.asked.dataset, source.asked.article, source.asked.paragraph.file)

    def article_path(self, dataset: str, article: int, file: str) -> str:
        """The corpus path of an article's paragraph (the whole article is written to the corpus)."""
        self.articles.add((dataset, article))
        return f"articles/{dataset}/{file}"


# ---- kinds from the public datasets ----------------------------------------------------------------------------


def _premise(statement: str) -> str | None:
    text = clause(statement)
    if len(text.split()) > MAX_PREMISE_WORDS or _PRONOUN_START.match(text) or "?" in text:
        return None
    return text


def dataset_kinds(gold: Gold, placed: list[Source]) -> None:
    """Quiz, hypothetical and false-premise-named items, and the digest and speculation pages they need."""
    quizzes: list[str] = []
    speculations = gold.speculations
    premises: set[str] = set()
    for source in placed:
        rng = random.Random(f"{gold.seed}/semantic/{source.asked.dataset}/{source.asked.question.id}")
        dataset, split = source.asked.dataset, source.split
        choices = alternatives(source, rng)
        swapped = swap_terms(source.sentence)
        named = swapped is not None and swapped[1].kind == "name" and opens_with_subject(swapped[0])
        premise = _premise(swapped[0]) if swapped is not None and named else None
        if swapped is not None and premise is not None and premise not in premises:
            premises.add(premise)
            template = rng.choice(PREMISE_QUESTIONS)
            gold.article_source(source)  # the article that names both entities is in the corpus
            gold.add(
                "false-premise-named",
                split,
                dataset,
                question=template.format(c=premise),
                premise=swapped[0],
                named=[swapped[1].text, swapped[2].text],
            )
        draw = rng.random()
        if len(choices) >= 2 and (source.frame is None or draw < 0.4):
            options = [source.answer.rstrip("."), choices[0][0], choices[1][0]]
            rng.shuffle(options)
            block = " ".join(f"{letter}. {option}" for letter, option in zip("ABC", options, strict=True))
            question = source.asked.text if source.asked.text.endswith("?") else source.asked.text + "?"
            quizzes.append(f"Question {len(quizzes) % QUIZZES_PER_PAGE + 1}: {question}\n{block}")
            gold.add(
                "quiz",
                split,
                dataset,
                question=question,
                answers=source.asked.question.answers,
                sources=[gold.article_source(source)],
                evidence=source.asked.question.answers[:1],
                wrong_options=[choices[0][0], choices[1][0]],
            )
        elif source.frame is not None and choices:
            false = source.frame.fill(choices[0][0])
            premise = _premise(false)
            if premise is None or premise in premises:
                continue
            premises.add(premise)
            gold.article_source(source)  # the article names the entity, never in this role
            when = not re.search(r"\d", false) and rng.random() < 0.3
            question = rng.choice(WHEN_QUESTIONS if when else PREMISE_QUESTIONS).format(c=premise)
            if draw < 0.7:
                speculations.append(rng.choice(SPECULATING).format(s=premise))
                gold.add("hypothetical", split, dataset, question=question, premise=false)
            else:
                gold.add("false-premise-named", split, dataset, question=question, premise=false, named=[choices[0][0]])
    write_pages(gold.corpus / "digests", "quiz-digest", quizzes, QUIZZES_PER_PAGE, "Weekend digest: test yourself")


def write_pages(folder: Path, stem: str, blocks: list[str], per_page: int, title: str) -> None:
    """``blocks`` a few to a page, with a title and a line saying answers are not given."""
    folder.mkdir(parents=True, exist_ok=True)
    for page, start in enumerate(range(0, len(blocks), per_page)):
        body = "\n\n".join(blocks[start : start + per_page])
        text = f"# {title} ({page + 1})\n\nAnswers are not printed on this page.\n\n{body}\n"
        (folder / f"{stem}-{page + 1:03d}.md").write_text(text, encoding="utf-8")


def lists_from_datasets(gold: Gold, library: Library, splits: Splits) -> None:
    for asked in library.asked():
        made = listing(asked)
        if made is None:
            continue
        path = gold.article_path(asked.dataset, asked.article, asked.paragraph.file)
        gold.add(
            "list",
            splits.of(asked.dataset, asked.article),
            asked.dataset,
            question=asked.text,
            answers=asked.question.answers,
            sources=[path],
            required=made.item["required"],
        )


# ---- kinds from generated documents ----------------------------------------------------------------------------


def table_kinds(gold: Gold, groups: list[TableGroup], splits: Splits) -> None:
    folder = gold.corpus / GENERATED
    for group in groups:
        rng = random.Random(f"{gold.seed}/table-items/{group.index}")
        split = splits.of(f"{GENERATED}-tables", group.index)
        table = write_table(group, folder).relative_to(gold.corpus).as_posix()
        update = write_update(group, folder, rng).relative_to(gold.corpus).as_posix()
        sites = rng.sample(group.sites, 4)
        for site in sites[:2]:
            attribute = rng.choice(group.shown)
            value = f"{group.values[(site, attribute.header, group.first_year)]:,}"
            gold.add(
                "table",
                split,
                GENERATED,
                question=f"How many {attribute.asked} did {site} have in {group.first_year}?",
                answers=sorted({value, value.replace(",", "")}),
                sources=[table],
                format=group.table_format,
                year_in=group.year_in
                if group.table_format == "docx"
                else ("sheet" if group.table_format == "xlsx" else "slide"),
            )
        for site in sites[2:4]:
            attribute = group.compared
            before = f"{group.values[(site, attribute.header, group.first_year)]:,}"
            after = f"{group.values[(site, attribute.header, group.second_year)]:,}"
            gold.add(
                "comparison",
                split,
                GENERATED,
                question=(
                    f"How did the number of {attribute.asked} at {site} change between {group.first_year} "
                    f"and {group.month} {group.second_year}?"
                ),
                answers=[before, after],
                sources=[table, update],
                required=[before, after],
            )
        event_kinds(gold, group, split, table, rng)
        for site in rng.sample(group.sites, 3):
            attribute = rng.choice(group.hidden)
            year = f" in {group.first_year}" if rng.random() < 0.5 else ""
            gold.add(
                "nearby-attribute",
                split,
                GENERATED,
                question=f"How many {attribute.asked} did {site} have{year}?",
                given=attribute.nearby,
                about=table,
            )


# Events that never happen to a generated site: (what a speculation page supposes, the question presupposing it).
EVENTS = [
    ("{site} closed its doors for good in {year}", "Why did {site} close in {year}?"),
    ("{site} merged with {other} in {year}", "When did {site} merge with {other}?"),
    ("{site} moved to a new building on the edge of town", "What was the reason {site} moved to a new building?"),
    ("{site} was sold to a private operator", "Who bought {site} when it was sold to a private operator?"),
    ("{site} was renamed after {other} was closed", "What was {site} renamed to after {other} closed?"),
]


def event_kinds(gold: Gold, group: TableGroup, split: str, table: str, rng: random.Random) -> None:
    """One hypothetical (a speculation page supposes an event about a site; the question presupposes it) and one
    false-premise-named item (the same kind of event, about another site, that no page mentions)."""
    site, other, third = rng.sample(group.sites, 3)
    year = group.first_year + rng.randint(1, 4)
    supposed, asked = rng.choice(EVENTS)
    values = {"site": site, "other": other, "year": year}
    gold.speculations.append(f"Some readers wonder what would change if {supposed.format(**values)}.")
    gold.add("hypothetical", split, GENERATED, question=asked.format(**values), premise=supposed.format(**values))
    _supposed, asked = rng.choice(EVENTS)
    values = {"site": third, "other": other, "year": year}
    gold.add("false-premise-named", split, GENERATED, question=asked.format(**values), named=[third], about=table)


def procedure_kind(gold: Gold, made: list[Procedure], splits: Splits) -> None:
    folder = gold.corpus / GENERATED
    for procedure in made:
        rng = random.Random(f"{gold.seed}/procedure/{procedure.index}")
        path = write_procedure(procedure, folder, rng).relative_to(gold.corpus).as_posix()
        keys = [key for _text, key in procedure.steps]
        asked = rng.choice(["How do you {t} at the {s}?", "What are the steps to {t} at the {s}?"])
        gold.add(
            "procedure",
            splits.of(f"{GENERATED}-procedures", procedure.index),
            GENERATED,
            question=asked.format(t=procedure.task, s=procedure.site),
            answers=keys,
            sources=[path],
            required=keys,
        )


def list_kind(gold: Gold, made: list[Announced], splits: Splits) -> None:
    folder = gold.corpus / GENERATED
    for announced in made:
        rng = random.Random(f"{gold.seed}/list/{announced.index}")
        path = write_list(announced, folder, rng).relative_to(gold.corpus).as_posix()
        gold.add(
            "list",
            splits.of(f"{GENERATED}-lists", announced.index),
            GENERATED,
            question=f"Which {announced.noun} will the {announced.owner} {announced.verb} this season?",
            answers=announced.items,
            sources=[path],
            required=announced.items,
        )


# ---- the whole set -----------------------------------------------------------------------------------------------


def _shuffled(items: list[dict[str, Any]], seed: int, kind: str) -> list[dict[str, Any]]:
    """Shuffled within each origin (dataset or generated), then the origins in turn."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in items:
        groups.setdefault(entry["tags"][2], []).append(entry)
    for origin, group in groups.items():
        random.Random(f"{seed}/order/{kind}/{origin}").shuffle(group)
    return list(round_robin([groups[origin] for origin in sorted(groups)]))


def order(items: dict[str, list[dict[str, Any]]], seed: int) -> list[dict[str, Any]]:
    """Answerable and unanswerable in turn, each side cycling its kinds; as many of each side."""
    answerable = list(round_robin([_shuffled(items[kind], seed, kind) for kind in ANSWERABLE]))
    unanswerable = list(round_robin([_shuffled(items[kind], seed, kind) for kind in UNANSWERABLE]))
    size = min(len(answerable), len(unanswerable))
    ordered: list[dict[str, Any]] = []
    for pair in zip(answerable[:size], unanswerable[:size], strict=True):
        ordered.extend(pair)
    return ordered


def _write_articles(gold: Gold, used: set[tuple[str, int]]) -> None:
    for dataset, index in sorted(used):
        folder = gold.corpus / "articles" / dataset
        folder.mkdir(parents=True, exist_ok=True)
        for paragraph in gold.datasets[dataset][index].paragraphs:
            (folder / paragraph.file).write_text(paragraph.context, encoding="utf-8")


def build(sources_: dict[str, Path], out: Path, seed: int = 0) -> dict[str, Any]:
    """Read the datasets, generate the documents and items, write ``out``; returns the summary."""
    if not sources_:
        raise InputError("give at least one dataset: --xquad PATH and/or --covid PATH (SQuAD-format JSON)")
    datasets = {name: read_squad(path) for name, path in sources_.items()}
    library = Library(datasets)
    groups, made_procedures, made_lists = (
        table_groups(TABLE_GROUPS, seed),
        procedures(PROCEDURES, seed),
        announced_lists(LISTS, seed),
    )
    counts = {name: len(articles) for name, articles in datasets.items()}
    counts |= {f"{GENERATED}-tables": len(groups), f"{GENERATED}-procedures": len(made_procedures)}
    counts |= {f"{GENERATED}-lists": len(made_lists)}
    splits = Splits(counts, seed)
    shutil.rmtree(out / "corpus", ignore_errors=True)
    gold = Gold(out, datasets, seed)
    dataset_kinds(gold, list(sources(library, splits)))
    lists_from_datasets(gold, library, splits)
    table_kinds(gold, groups, splits)
    procedure_kind(gold, made_procedures, splits)
    list_kind(gold, made_lists, splits)
    write_pages(gold.corpus / "speculation", "what-if", gold.speculations, 3, "What if? Reader speculation")
    chosen = order(gold.items, seed)
    if not chosen:
        raise InputError(f"no item could be made from {', '.join(map(str, sources_.values()))}")
    _write_articles(gold, gold.articles)
    write_jsonl(out / "gold.jsonl", chosen)
    summary = summarize(chosen, seed, sources_)
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def _counts(chosen: list[dict[str, Any]]) -> Iterator[tuple[str, int]]:
    yield from sorted(Counter(tag for entry in chosen for tag in entry["tags"]).items())


def summarize(chosen: list[dict[str, Any]], seed: int, sources_: dict[str, Path]) -> dict[str, Any]:
    """Counts per tag, and per kind and split."""
    kinds = [*ANSWERABLE, *UNANSWERABLE]
    return {
        "seed": seed,
        "sources": {name: str(path) for name, path in sources_.items()},
        "n": len(chosen),
        "answerable": sum(entry["answerable"] for entry in chosen),
        "unanswerable": sum(not entry["answerable"] for entry in chosen),
        "tags": dict(_counts(chosen)),
        "kinds_by_split": {
            split: {
                kind: sum(entry["tags"][0] == kind and split in entry["tags"] for entry in chosen) for kind in kinds
            }
            for split in ("dev", "test")
        },
    }
