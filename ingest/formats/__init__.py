"""Loaders for the formats beyond plain text, HTML and Word: one module per family of formats."""
