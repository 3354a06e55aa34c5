"""The `qa` command line of the orchestration layer: commands, shared options, what they print."""
