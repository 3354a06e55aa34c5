"""Speed, memory and retrieval-quality benchmarks.

Each figure is reported next to a baseline measured in the same run.
"""

from pathlib import Path

import click

from assistant.app.cli.options import verbose_option

PART_NAMES = (
    "answers",
    "quality",
    "latency",
    "ingest",
    "startup",
    "scaleout",
    "scale",
    "server",
    "embedder",
    "prefill",
)


@click.command("bench")
@click.option(
    "--part",
    "parts",
    multiple=True,
    type=click.Choice(PART_NAMES),
    help="Run only these parts (repeatable): answers (local model latency), quality (retrieval against "
    "BM25 and the naive LangChain recipe), latency (search at 10,000 chunks), ingest (throughput against the "
    "encode limit and the naive recipe), startup (cold start and memory of `qa ask`, `qa serve`, the app), "
    "scaleout (one `qa serve` worker against two on one Chroma server), scale (search at 10,000 and "
    "100,000 chunks against BM25 rebuilt per query), server (search at 10,000 and 100,000 chunks and ingest "
    "through a Chroma server and PostgreSQL against the embedded default), embedder (ONNX Runtime against "
    "sentence-transformers: texts/s, agreement, memory), prefill (prompt and generated tokens/s and "
    "first-token time of the llama.cpp built for this CPU against the xllamacpp wheel). Default: all.",
)
@click.option("--limit", type=int, default=None, help="Questions per public set in the quality part (default: all).")
@click.option(
    "--ingest-mb",
    type=click.FloatRange(0.01),
    default=16.0,
    show_default=True,
    help="Size of the generated folder the ingest part ingests.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for report.md and report.json (default: bench/ in the data folder).",
)
@verbose_option
def bench_command(parts: tuple[str, ...], limit: int | None, ingest_mb: float, out: Path | None) -> None:
    """Speed and retrieval benchmarks, each figure next to a baseline measured in the same run.

    Data it reads, beside the project (a part whose data is missing says so and is skipped): answers needs
    ../shared/seed-corpus; quality, latency, ingest, scaleout, scale and embedder need
    ../shared/datasets/xquad-en/xquad.en.json and/or ../shared/datasets/covid-qa/covid-qa.json; server needs
    COVID-QA and PostgreSQL's server programs (initdb, postgres); startup uses eval/corpus. Nothing is written
    into the source tree: the report goes to --out.
    """
    from assistant.settings import load_settings
    from eval.bench.suite import main

    folder = out or load_settings().storage.data_dir / "bench"
    click.echo(f"writing the report to {folder}", err=True)
    main(parts or PART_NAMES, limit, ingest_mb, folder)
