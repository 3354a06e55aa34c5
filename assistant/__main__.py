"""`python -m assistant ...` is the `qa` command."""

from assistant.cli import main

main(prog_name="qa")
