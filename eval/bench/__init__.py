"""Speed, memory and retrieval-quality benchmarks; each figure is reported next to a baseline measured in the same run."""

import click

PART_NAMES = ("answers", "quality", "latency", "ingest", "startup", "scaleout", "scale", "embedder")


@click.command("bench")
@click.option(
    "--part", "parts", multiple=True, type=click.Choice(PART_NAMES),
    help="Run only these parts (repeatable): answers (local model latency), quality (retrieval against "
    "BM25 and the naive LangChain recipe), latency (search at 10,000 chunks), ingest (throughput against the encode limit and the naive recipe), startup (cold start and memory of `qa ask`, `qa serve`, the app), scaleout (one `qa serve` worker against two on one Chroma server), scale (search at 10,000 and "
    "100,000 chunks against BM25 rebuilt per query), embedder (ONNX Runtime against sentence-transformers: "
    "texts/s, agreement, memory). Default: all.",
)
@click.option("--limit", type=int, default=None, help="Questions per public set in the quality part (default: all).")
@click.option("--ingest-mb", type=click.FloatRange(0.01), default=16.0, show_default=True,
              help="Size of the generated folder the ingest part ingests.")
def bench_command(parts: tuple[str, ...], limit: int | None, ingest_mb: float) -> None:
    """Benchmarks against baselines measured in the same run; writes eval/bench/report.md and report.json."""
    from eval.bench.suite import main

    main(parts or PART_NAMES, limit, ingest_mb)
