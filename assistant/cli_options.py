"""Options shared by the `qa` commands and the command groups other packages add to it (eval)."""

from __future__ import annotations

import click


def _verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    # The `qa` group reads this flag from ctx.meta to decide whether an error shows its traceback.
    if value:
        ctx.meta["qa.verbose"] = True
    return value


verbose_option = click.option(
    "--verbose", "-v", is_flag=True, expose_value=False, is_eager=True, callback=_verbose,
    help="Show the full traceback on errors.",
)
