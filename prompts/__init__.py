"""The prompt templates as plain text files (<name>.system.txt, <name>.user.txt), shipped as package data."""
