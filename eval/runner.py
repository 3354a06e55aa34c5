"""Run a gold set against the assistant and score every question."""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.app.service import Assistant
from assistant.errors import IngestError, InputError
from assistant.settings import Settings, dump_settings
from assistant.text.markers import strip_markers
from assistant.types import Answer
from eval import metrics
from eval.feedback_gold import SENTENCE_TAG, states_key_words
from eval.gold import GoldItem, GoldWarning, check_sources, load_gold
from eval.judge import Judge
from ingest.indexer import ProgressCallback

ProgressFn = Callable[[int, int, str], object]
RETRIEVAL_DEPTH = 10


EVAL_PREFIX = "eval-"


def is_eval_collection(name: str) -> bool:
    """True for the collections evaluation runs make for their corpora (kept out of people's collection lists)."""
    return name.startswith(EVAL_PREFIX)


def eval_collection_name(corpus: Path) -> str:
    """A stable collection per corpus directory, so an unchanged corpus is not embedded twice."""
    digest = hashlib.sha1(str(corpus.resolve()).encode()).hexdigest()[:8]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", corpus.resolve().name).strip("-._")[:40] or "corpus"
    return f"{EVAL_PREFIX}{slug}-{digest}"


def score_item(
    item: GoldItem,
    answer: Answer,
    ranked: list[Any],
    document_text: Callable[[str], str | None],
    judge: Judge | None = None,
    raw_answer: str | None = None,
) -> dict[str, Any]:
    """Every metric for one question; retrieval metrics are None for unanswerable items.

    ``raw_answer`` is the answerer's text before the claim check (None: not recorded). Answer-text
    metrics read the answer without its [n] markers, so a marker never counts as a word or a number.
    """
    # A correction typed as a sentence is looked for by its key words (eval.feedback_gold).
    key = item.required if SENTENCE_TAG in item.tags and item.required else None
    if not item.answerable:
        rank = None
    elif key and not item.sources:
        rank = next((n for n, passage in enumerate(ranked, start=1) if states_key_words(passage.text, key)), None)
    else:
        rank = metrics.first_relevant_rank(ranked, item.sources, item.answers)
    text = strip_markers(answer.answer)
    stated, supported = metrics.number_support(answer)
    kept = metrics.answer_sentence_count(answer)
    record: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "history": [turn.model_dump() for turn in item.history],
        "tags": item.tags,
        "answerable": item.answerable,
        "gold_answers": item.answers,
        "required": item.required,
        "note": item.note,
        "answer": answer.answer,
        "refused": answer.refused,
        "refusal_reason": answer.refusal_reason,
        "standalone_question": answer.standalone_question,
        "first_relevant_rank": rank,
        "citation_validity": metrics.citation_validity(answer, document_text),
        "raw_citation_validity": (
            metrics.raw_citation_validity(raw_answer, len(answer.passages)) if raw_answer is not None else None
        ),
        "citation_precision": metrics.citation_precision(answer, item.sources, item.answers, item.evidence),
        "citation_recall": metrics.citation_recall(answer),
        "citations": [
            {"n": c.n, "source": Path(c.source).name, "start": c.start, "end": c.end} for c in answer.citations
        ],
        "unsupported": [removed.model_dump() for removed in answer.unsupported],
        # Every drafted sentence counts, a withdrawn draft's too: removed / (removed + kept).
        "unsupported_n": len(answer.unsupported),
        "sentences_n": 0 if answer.refused else kept,
        "unsupported_rate": metrics.unsupported_rate(len(answer.unsupported), 0 if answer.refused else kept),
        "numbers_n": stated,
        "numbers_supported_n": supported,
        "number_precision": supported / stated if stated else None,
        "latency_s": answer.timings.total_s,
        "first_token_s": answer.timings.first_token_s,
        "retrieve_s": answer.timings.retrieve_s,
        "answer_s": answer.timings.answer_s,
        "retrieved": [
            {"source": Path(p.source).name, "start": p.start, "end": p.end, "page": p.page, "text": p.text[:240]}
            for p in ranked[:5]
        ],
    }
    for k in (1, 3, 5, 10):
        record[f"hit@{k}"] = metrics.hit_at(rank, k) if item.answerable else None
    record["rr"] = metrics.reciprocal_rank(rank) if item.answerable else None
    if item.answerable:
        refused_score = 0.0 if answer.refused else None
        record["answer_em"] = refused_score if refused_score is not None else metrics.exact_match(text, item.answers)
        record["answer_f1"] = refused_score if refused_score is not None else metrics.token_f1(text, item.answers)
        contains = metrics.contains_answer(text, item.answers)
        if key and not contains:
            contains = float(states_key_words(text, key))
        record["answer_contains"] = refused_score if refused_score is not None else contains
    else:
        # Declining is the right answer to an unanswerable question.
        for name in ("answer_em", "answer_f1", "answer_contains"):
            record[name] = 1.0 if answer.refused else 0.0
    record["answer_recall"] = (
        (0.0 if answer.refused else metrics.answer_recall(text, item.required)) if item.required else None
    )
    if judge is not None:
        record["judge_faithfulness"] = judge.faithfulness(answer)
        record["judge_correctness"] = judge.correctness(item.question, answer, item.answers)
    return record


def build_judge(name: str, assistant: Assistant) -> Judge:
    """A judge on the named backend; the answering model is reused when it is the same one."""
    from assistant.errors import ConfigError
    from assistant.models.llm import build_chat_model

    if name not in ("local", "openai"):
        raise ConfigError(f"--judge {name!r}: choose local or openai")
    reusable = getattr(assistant.answerer, "chat_model", None)
    if reusable is not None and assistant.settings.llm.answerer == name:
        return Judge(reusable)
    return Judge(build_chat_model(assistant.settings.updated(answerer=name)))


def _ask(assistant: Assistant, question: str, history: list[dict[str, str]]) -> tuple[str, Answer]:
    """The answerer's raw text (before the claim check) and the final, checked Answer."""
    stream = assistant.stream(question, history)
    for _piece in stream:
        pass
    answer = stream.answer
    return answer.draft if answer.draft is not None else stream.text, answer


def eval_settings(
    settings: Settings,
    corpus: Path,
    *,
    collection: str | None = None,
    answerer: str | None = None,
    k: int | None = None,
) -> Settings:
    """``settings`` for evaluating ``corpus``: its own collection unless one is named, and the given answerer and k."""
    update: dict[str, Any] = {"collection": collection or eval_collection_name(corpus)}
    update.update({name: value for name, value in (("answerer", answerer), ("k", k)) if value is not None})
    return Settings.model_validate({**settings.model_dump(), **update})


def _read_gold(gold: Path) -> tuple[list[GoldItem], list[str]]:
    """The items of a gold file and its warnings, to show once."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GoldWarning)
        items = load_gold(gold)
    # Kept for the report and the CLI, which show them once (nothing else warns while a gold file is read).
    return items, [str(warning.message) for warning in caught if issubclass(warning.category, GoldWarning)]


def _first(items: list[GoldItem], limit: int | None) -> list[GoldItem]:
    if limit is None:
        return items
    if limit < 1:
        raise InputError(f"limit {limit}: give a number of questions of at least 1 (or no limit)")
    return items[:limit]


def _ask_all(
    items: Sequence[GoldItem], assistant: Assistant, progress: ProgressFn | None, judge: str | None
) -> list[dict[str, Any]]:
    """Every item asked and scored, with ``progress`` ticked per question."""
    assistant.answerer.warm_up()
    grader = build_judge(judge, assistant) if judge else None
    records = []
    for done, item in enumerate(items):
        if progress:
            progress(done, len(items), item.id)
        history = [turn.model_dump() for turn in item.history]
        raw, answer = _ask(assistant, item.question, history)
        ranked = assistant.search(answer.standalone_question, RETRIEVAL_DEPTH)
        records.append(score_item(item, answer, ranked, assistant.document_text, grader, raw))
    if progress:
        progress(len(items), len(items), "")
    return records


def _run_settings(assistant: Assistant) -> dict[str, Any]:
    return dump_settings(assistant.settings, leave_out={"api_keys", "llm_api_key"})


def run_eval(
    corpus: Path,
    gold: Path,
    assistant: Assistant,
    *,
    progress: ProgressFn | None = None,
    limit: int | None = None,
    judge: str | None = None,
    ingest_progress: ProgressCallback | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Ingest ``corpus`` into ``assistant``'s collection (reused when unchanged), ask every gold question;
    returns records and run info. Build the assistant with ``eval_settings`` for the usual collection.

    ``progress`` ticks per question; ``ingest_progress`` receives the ingest's own ticks."""
    loaded, gold_warnings = _read_gold(gold)
    items = _first(check_sources(loaded, corpus, gold), limit)
    corpus_files = {str(path.resolve()) for path in corpus.rglob("*") if path.is_file()}
    foreign = [record.source for record in assistant.sources() if record.source not in corpus_files]
    owned = assistant.settings.storage.collection == eval_collection_name(corpus)
    if foreign and not owned:
        # Never delete from a collection the user named: it may hold their own documents.
        name = assistant.settings.storage.collection
        raise InputError(
            f"collection {name!r} holds {len(foreign)} source(s) that are not in the corpus {corpus} "
            f"(e.g. {foreign[0]}); scores would mix in those documents and the evaluation will not delete them. "
            "Use the evaluation's own collection for this corpus (name none), or evaluate that collection as it "
            f"is: qa eval --collection {name} --gold FILE"
        )
    report = assistant.ingest([corpus], progress=ingest_progress)
    failed = [result.reason for result in report.results if result.status == "failed"]
    if failed:
        raise IngestError(f"the corpus {corpus} did not ingest cleanly: {failed[0]}")
    for source in foreign:
        # Only reached for the evaluation's own collection: files since deleted from the corpus folder.
        assistant.remove(source)
    records = _ask_all(items, assistant, progress, judge)
    info = {
        "corpus": str(corpus),
        "gold": str(gold),
        "settings": _run_settings(assistant),
        "ingest": report.summary(),
        "judge": judge,
        "gold_warnings": gold_warnings,
    }
    return records, info


def run_on_collection(
    gold: Path | Sequence[GoldItem],
    assistant: Assistant,
    *,
    progress: ProgressFn | None = None,
    limit: int | None = None,
    judge: str | None = None,
    gold_name: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Ask every gold question of ``assistant``'s collection as it is: nothing is ingested, no collection is
    made or changed. ``gold`` is a gold file or items built in memory (``gold_name`` names them in the report).

    A gold source is matched to the collection's stored documents by its ending (``metrics.source_matches``);
    one the collection does not hold is reported as a warning (its item can still score on its answer)."""
    collection = assistant.settings.storage.collection
    stored = [record.source for record in assistant.sources()]
    if not stored:
        raise InputError(f"collection {collection!r} holds no documents, so there is nothing to evaluate")
    if isinstance(gold, Path):
        loaded, gold_warnings = _read_gold(gold)
        name = gold_name or str(gold)
    else:
        loaded, gold_warnings = list(gold), []
        name = gold_name or f"questions for {collection}"
        if not loaded:
            raise InputError(f"{name}: the question set is empty")
    items = _first(loaded, limit)
    for item in items:
        for source in item.sources:
            if not any(metrics.source_matches(path, source) for path in stored):
                gold_warnings.append(
                    f"{Path(name).name}: item {item.id!r} names the source {source!r}, which the collection "
                    f"{collection!r} does not hold; its passages count as not found"
                )
    records = _ask_all(items, assistant, progress, judge)
    info = {
        "corpus": f"collection {collection}",
        "collection": collection,
        "gold": name,
        "settings": _run_settings(assistant),
        "judge": judge,
        "gold_warnings": gold_warnings,
    }
    return records, info
