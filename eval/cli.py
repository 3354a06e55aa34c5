"""`qa eval`: run a gold set, convert SQuAD files, compare reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from assistant.app.cli_options import HelpGroup, verbose_option


@click.group("eval", cls=HelpGroup, invoke_without_command=True)
@click.option("--corpus", type=click.Path(path_type=Path, file_okay=False), help="Folder of documents.")
@click.option("--gold", type=click.Path(path_type=Path, dir_okay=False), help="Gold set (.jsonl, format v1).")
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), help="Folder for report.json, report.md, plots."
)
@click.option("--answerer", "-a", default=None, help="extractive, local or openai.")
@click.option("-k", type=click.IntRange(1, 50), default=None, help="Passages per question (1-50).")
@click.option("--collection", "-c", default=None, help="Collection to use (default: one per corpus folder).")
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
    """
    if ctx.invoked_subcommand is not None:
        return
    if not (corpus and gold and out):
        raise click.UsageError("give --corpus, --gold and --out (or a subcommand: convert, adversarial, compare)")
    from tqdm import tqdm

    from assistant.app.commands import ingest_bar
    from assistant.settings import load_settings
    from eval.compare import failed_floors, parse_floor
    from eval.report import write_report
    from eval.runner import eval_settings, run_eval

    parsed = [parse_floor(spec) for spec in floors]
    from assistant.app.service import build_assistant

    settings = eval_settings(load_settings({}), corpus, collection=collection, answerer=answerer, k=k)
    ingesting, show_ingest = ingest_bar(settings.embed_batch_size)
    bar: Any = None

    def progress(done: int, total: int, name: str) -> None:
        nonlocal bar
        if bar is None:  # the ingest is over when the first question starts
            ingesting.close()
            bar = tqdm(unit="question", desc="eval", file=sys.stderr, total=total)
        bar.update(done - bar.n)
        bar.set_postfix_str(name[:30])

    try:
        records, info = run_eval(
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
        if bar is not None:
            bar.close()
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
