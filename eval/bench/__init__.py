"""Speed, memory and retrieval-quality benchmarks; each figure is reported next to a baseline measured in the same run."""

import click

PART_NAMES = ("answers", "quality", "latency")


@click.command("bench")
@click.option(
    "--part", "parts", multiple=True, type=click.Choice(PART_NAMES),
    help="Run only these parts (repeatable): answers (local model latency), quality (retrieval against "
    "BM25 and the naive LangChain recipe), latency (search at 10,000 chunks). Default: all.",
)
@click.option("--limit", type=int, default=None, help="Questions per public set in the quality part (default: all).")
def bench_command(parts: tuple[str, ...], limit: int | None) -> None:
    """Benchmarks against baselines measured in the same run; writes eval/bench/report.md and report.json."""
    from eval.bench.suite import main

    main(parts or PART_NAMES, limit)
