"""`qa eval`: run a gold set, convert SQuAD files, compare reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from assistant.app.cli.options import HelpGroup, verbose_option


@click.group("eval", cls=HelpGroup, invoke_without_command=True)
@click.option(
    "--corpus",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of documents, ingested into the evaluation's own collection first.",
)
@click.option("--gold", type=click.Path(path_type=Path, dir_okay=False), help="Gold set (.jsonl, format v1).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for report.json, report.md, plots (with --collection, default: DATA/reports/GOLD-ANSWERER, where "
    "the Evaluation page lists it).",
)
@click.option("--answerer", "-a", default=None, help="extractive, local or openai.")
@click.option("-k", type=click.IntRange(1, 50), default=None, help="Passages per question (1-50).")
@click.option(
    "--collection",
    "-c",
    default=None,
    help="Evaluate this collection as it is (nothing ingested, no collection made); instead of --corpus.",
)
@click.option(
    "--fail-under",
    "floors",
    multiple=True,
    help="Gate: METRIC=VALUE, e.g. hit@5=0.9 (repeatable). Fails when a score is below VALUE; latency "
    "metrics (*_s, e.g. latency_p95_s=5) and unsupported_rate are ceilings and fail when above it. A metric "
    "absent from the report, or one the set cannot score, fails the gate.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Only the first N questions (quick runs on big sets)."
)
@click.option(
    "--judge",
    type=click.Choice(["local", "openai"]),
    default=None,
    help="Also let a language model grade faithfulness and correctness (prompts/judge_*.txt).",
)
@verbose_option
@click.pass_context
def eval_command(
    ctx: click.Context,
    corpus: Path | None,
    gold: Path | None,
    out: Path | None,
    answerer: str | None,
    k: int | None,
    collection: str | None,
    floors: tuple[str, ...],
    limit: int | None,
    judge: str | None,
) -> None:
    """Score the assistant against gold Q&A pairs.

    qa eval --corpus eval/corpus --gold eval/gold/sample.jsonl --out .eval-out/sample --answerer extractive

    qa eval --collection team --gold DATA/gold/team-feedback.jsonl (a collection as it is, e.g. its corrections)
    """
    if ctx.invoked_subcommand is not None:
        return
    if corpus and collection:
        raise click.UsageError(
            "give --corpus or --collection, not both: --corpus ingests a folder into the evaluation's own collection, "
            "--collection evaluates a collection as it is"
        )
    if not ((corpus or collection) and gold and (out or collection)):
        raise click.UsageError(
            "give --corpus, --gold and --out, or --collection and --gold (or a subcommand: convert, adversarial, "
            "semantic-data, claims-data, claims, compare)"
        )
    from eval.compare import parse_floor

    parsed = [parse_floor(spec) for spec in floors]
    if collection:
        records, info, out = _run_on_collection(collection, gold, out, answerer, k, limit, judge)
    else:
        assert corpus is not None and out is not None
        records, info = _run_on_corpus(corpus, gold, answerer, k, limit, judge)
    _finish(records, info, out, parsed)


def _progress_bar() -> tuple[Callable[[int, int, str], None], Callable[[], None]]:
    """A per-question progress bar (made at the first tick) and its closer."""
    from assistant.progress import progress_bar

    bar: Any = None

    def progress(done: int, total: int, name: str) -> None:
        nonlocal bar
        if bar is None:
            bar = progress_bar(unit="question", desc="eval", total=total)
        bar.set_postfix_str(name[:30], refresh=False)
        bar.update(done - bar.n)

    def close() -> None:
        if bar is not None:
            bar.close()

    return progress, close


def _run_on_collection(
    collection: str,
    gold: Path,
    out: Path | None,
    answerer: str | None,
    k: int | None,
    limit: int | None,
    judge: str | None,
) -> tuple[list[dict[str, Any]], dict[str, Any], Path]:
    """Ask the gold questions of a collection as it is; the report goes to ``out`` (default DATA/reports/...)."""
    from assistant.app.service import build_assistant
    from assistant.errors import ConfigError
    from assistant.settings import load_settings
    from eval.runner import is_eval_collection, run_on_collection

    update: dict[str, Any] = {"collection": collection}
    update.update({name: value for name, value in (("answerer", answerer), ("k", k)) if value is not None})
    try:
        settings = load_settings(update)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="'--collection'") from None
    assistant = build_assistant(settings)
    if not assistant.sources():
        collections = assistant.catalog.records.collections()
        held = [name for name, _documents, _chunks in collections if not is_eval_collection(name)]
        known = f"collections with documents: {', '.join(held)}" if held else "no collection holds documents yet"
        raise click.BadParameter(
            f"the collection {collection!r} holds no documents in {settings.storage.data_dir} ({known})",
            param_hint="'--collection'",
        )
    if out is None:
        out = settings.storage.data_dir / "reports" / f"{gold.stem}-{settings.llm.answerer}"
    progress, close = _progress_bar()
    try:
        records, info = run_on_collection(gold, assistant, progress=progress, limit=limit, judge=judge)
    finally:
        close()
    return records, info, out


def _run_on_corpus(
    corpus: Path, gold: Path, answerer: str | None, k: int | None, limit: int | None, judge: str | None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Ingest ``corpus`` into the evaluation's own collection for it, then ask the gold questions."""
    from assistant.app.cli.commands import ingest_bar
    from assistant.app.service import build_assistant
    from assistant.settings import load_settings
    from eval.runner import eval_settings, run_eval

    settings = eval_settings(load_settings({}), corpus, answerer=answerer, k=k)
    ingesting, show_ingest = ingest_bar(settings.ingest.embed_batch_size)
    ticks, close = _progress_bar()

    def progress(done: int, total: int, name: str) -> None:
        ingesting.close()  # the ingest is over when the first question starts
        ticks(done, total, name)

    try:
        return run_eval(
            corpus,
            gold,
            build_assistant(settings),
            progress=progress,
            limit=limit,
            judge=judge,
            ingest_progress=show_ingest,
        )
    finally:
        ingesting.close()
        close()


def _finish(records: list[dict[str, Any]], info: dict[str, Any], out: Path, parsed: list[Any]) -> None:
    """Write the report, print its metrics and apply the --fail-under gate."""
    from eval.compare import failed_floors
    from eval.report import write_report

    for warning in info["gold_warnings"]:
        click.echo(f"warning: {warning}", err=True)
    report = write_report(records, info, out)
    for name, value in report["metrics"].items():
        click.echo(f"{name:20s} {value}")
    click.echo(f"report: {out / 'report.md'}")
    problems = failed_floors(report["metrics"], parsed)
    if problems:
        raise click.ClickException("gate failed: " + "; ".join(problems))


@eval_command.command("convert")
@click.argument("squad_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
@verbose_option
def convert(squad_file: Path, out: Path) -> None:
    """Turn SQuAD-format JSON into OUT/gold.jsonl and OUT/corpus/."""
    from eval.squad import convert_squad

    contexts, questions = convert_squad(squad_file, out)
    click.echo(f"{questions} questions over {contexts} contexts -> {out / 'gold.jsonl'}, {out / 'corpus'}")


@eval_command.command("adversarial")
@click.option(
    "--xquad", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="XQuAD (SQuAD-format) JSON."
)
@click.option(
    "--covid", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="COVID-QA (SQuAD-format) JSON."
)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for every random choice.")
@click.option(
    "--max-per-kind",
    type=click.IntRange(min=1),
    default=None,
    help="At most N items of each kind (default: all the rules can make, balanced half answerable).",
)
@verbose_option
def adversarial_command(xquad: Path | None, covid: Path | None, out: Path, seed: int, max_per_kind: int | None) -> None:
    """Build false-premise, numeric, follow-up, how-to, conversational and list questions from public
    SQuAD-format data: OUT/gold.jsonl, OUT/corpus/<dataset>/, OUT/provenance.jsonl, OUT/summary.json.

    The gold file alternates answerable and unanswerable items, so `qa eval --limit N` runs a balanced sample.
    """
    from eval.adversarial import build

    sources = {name: path for name, path in (("xquad", xquad), ("covid-qa", covid)) if path is not None}
    summary = build(sources, out, seed=seed, max_per_kind=max_per_kind)
    click.echo(
        f"{summary['n']} questions ({summary['answerable']} answerable, {summary['unanswerable']} not) "
        f"-> {out / 'gold.jsonl'}, {out / 'corpus'}"
    )
    for tag, count in summary["tags"].items():
        click.echo(f"  {tag:16s} {count}")


_XQUAD_OPTION = click.option(
    "--xquad", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="XQuAD (SQuAD-format) JSON."
)
_COVID_OPTION = click.option(
    "--covid", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="COVID-QA (SQuAD-format) JSON."
)


def _datasets(xquad: Path | None, covid: Path | None) -> dict[str, Path]:
    return {name: path for name, path in (("xquad", xquad), ("covid-qa", covid)) if path is not None}


@eval_command.command("semantic-data")
@_XQUAD_OPTION
@_COVID_OPTION
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for every random choice.")
@verbose_option
def semantic_data_command(xquad: Path | None, covid: Path | None, out: Path, seed: int) -> None:
    """Build a gold set (format v1) of the semantic classes: quiz and speculation pages, false premises about
    named entities, nearby attributes, procedures, tables in docx/xlsx/pptx, comparisons and lists.

    Writes OUT/gold.jsonl, OUT/corpus/ and OUT/summary.json; items are tagged dev or test by source article,
    and the gold file alternates answerable and unanswerable items, so `qa eval --limit N` runs a balanced sample.
    """
    from eval.semantic import build

    summary = build(_datasets(xquad, covid), out, seed=seed)
    click.echo(
        f"{summary['n']} questions ({summary['answerable']} answerable, {summary['unanswerable']} not) "
        f"-> {out / 'gold.jsonl'}, {out / 'corpus'}"
    )
    for tag, count in summary["tags"].items():
        click.echo(f"  {tag:20s} {count}")


@eval_command.command("claims-data")
@_XQUAD_OPTION
@_COVID_OPTION
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for every random choice.")
@click.option(
    "--per-kind",
    type=click.IntRange(min=1),
    default=80,
    show_default=True,
    help="At most N unsupported items of each kind per split.",
)
@verbose_option
def claims_data_command(xquad: Path | None, covid: Path | None, out: Path, seed: int, per_kind: int) -> None:
    """Build a claim-level set for the sentence support check: OUT/claims.jsonl and OUT/summary.json.

    Each line pairs a claim with the passage sentences it rests on and a label (supported or unsupported), of
    one kind: copy, paraphrase, relation-swap, wrong-answer, from-question, hypothetical, negated, quiz-option.
    """
    from eval.claims_data import build

    summary = build(_datasets(xquad, covid), out, seed=seed, per_kind=per_kind)
    click.echo(f"{summary['n']} claims -> {out / 'claims.jsonl'}")
    for split, counts in summary["splits"].items():
        kinds = ", ".join(f"{kind} {count}" for kind, count in counts["kinds"].items())
        click.echo(f"  {split}: {counts['n']} ({counts['supported']} supported): {kinds}")


@eval_command.command("claims")
@click.option(
    "--data", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=True, help="claims.jsonl"
)
@click.option("--split", type=click.Choice(["dev", "test"]), default="test", show_default=True)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N items of the split.")
@click.option(
    "--answerer",
    "-a",
    type=click.Choice(["local", "extractive", "openai"]),
    default="local",
    show_default=True,
    help="The assistant whose claim check is judged.",
)
@verbose_option
def claims_command(data: Path, split: str, out: Path, limit: int | None, answerer: str) -> None:
    """Judge every claim of one split with the assistant's own support check; writes OUT/claims-report.json and
    OUT/claims-report.md (supported kept, unsupported removed, relation swaps removed, per kind)."""
    from assistant.answering.support import judge_for
    from assistant.app.service import build_assistant
    from assistant.progress import progress_bar
    from assistant.settings import load_settings
    from eval.claims import load_claims, score_claims, write_claims_report
    from eval.runner import eval_settings

    items = load_claims(data, split, limit)
    assistant = build_assistant(eval_settings(load_settings({}), data.parent, answerer=answerer))
    judge = judge_for(assistant)
    records: list[dict[str, Any]] = []
    with progress_bar(unit="claim", desc="claims", total=len(items)) as bar:
        metrics = score_claims(items, judge, progress=lambda done, _total: bar.update(done - bar.n), records=records)
    info = {"data": str(data), "split": split, "limit": limit, "answerer": answerer}
    write_claims_report(metrics, records, items, out, info)
    for name in ("n", "supported_kept", "unsupported_removed", "relation_swap_removed", "seconds_per_item"):
        click.echo(f"{name:22s} {metrics[name]}")
    for kind, row in metrics["per_kind"].items():
        click.echo(f"  {kind:20s} n={row['n']:<4d} correct={row['correct']}")
    click.echo(f"report: {out / 'claims-report.md'}")


@eval_command.command("compare")
@click.argument("old", type=click.Path(path_type=Path, exists=True))
@click.argument("new", type=click.Path(path_type=Path, exists=True))
@click.option("--tolerance", type=float, default=0.02, show_default=True, help="Allowed drop of a score.")
@verbose_option
def compare_command(old: Path, new: Path, tolerance: float) -> None:
    """Print metric deltas between two reports; exit 1 when a metric regressed."""
    from eval.compare import compare, load_report

    rows, regressed = compare(load_report(old), load_report(new), tolerance)
    for row in rows:
        flag = "  REGRESSED" if row["regressed"] else ""
        click.echo(f"{row['metric']:20s} {row['old']:>8} -> {row['new']:>8}  ({row['delta']:+.4f}){flag}")
    if regressed:
        raise click.ClickException("at least one metric regressed beyond the tolerance")
