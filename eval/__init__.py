"""Evaluation harness: gold sets, metrics, reports and speed benchmarks."""
