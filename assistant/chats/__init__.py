"""Saved conversations and the feedback given on answers."""
