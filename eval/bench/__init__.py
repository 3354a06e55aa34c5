"""Speed and memory benchmarks; each figure is reported next to a baseline measured in the same run."""

import click


@click.command("bench")
def bench_command() -> None:
    """Time answers (local model) and retrieval against baselines; writes eval/bench/report.md."""
    from eval.bench.suite import main

    main()
