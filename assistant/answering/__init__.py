"""Answering a question: retrieval, evidence, the claim check (support, verification), answerers, the pipeline."""
