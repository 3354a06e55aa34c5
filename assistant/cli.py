"""The `qa` program: the orchestration's commands (assistant/app/cli/commands.py) with the evaluation commands of eval/
added. It sits above every layer, so it is the one module of assistant/ that may import eval/."""

from __future__ import annotations

import click

from assistant.app.cli.commands import main as app_commands
from eval.bench import bench_command
from eval.cli import eval_command


def build_cli() -> click.Group:
    """The `qa` command group: ingest, ask, chat, search, sources, ui, serve, then eval and bench."""
    app_commands.add_command(eval_command, "eval")
    app_commands.add_command(bench_command, "bench")
    return app_commands


main = build_cli()
