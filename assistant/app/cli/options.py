"""Options and click classes shared by the `qa` commands and the command groups other packages add to it (eval)."""

from __future__ import annotations

from pathlib import Path

import click


def _verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    # The `qa` group reads this flag from ctx.meta to decide whether an error shows its traceback.
    if value:
        ctx.meta["qa.verbose"] = True
    return value


verbose_option = click.option(
    "--verbose",
    "-v",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_verbose,
    help="Show the full traceback on errors.",
)


class HelpGroup(click.Group):
    """Lists its commands with their whole first sentence (click cuts them at the terminal's width with '...')."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=500)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class PathsCommand(click.Command):
    """A command of file arguments: a name that starts with a dash is read as an option, so say how to pass it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # click's parser consumes the list it is given
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            dashed = [
                arg for arg in given if arg.startswith("-") and arg != "--" and ("." in arg or Path(arg).exists())
            ]
            if dashed:
                # click declares `message` Final; amending it in place keeps click's own report of the error.
                exc.message = exc.message.rstrip(".") + (  # type: ignore[misc]
                    f". To name a file that starts with a dash, write ./{dashed[0]} "
                    f"or put -- before it: qa {ctx.info_name} -- {dashed[0]}"
                )
            raise
