"""The sample corpus and gold sets that ship with the package (eval/corpus, eval/gold), wherever it is installed."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# Installed wheels are unpacked, so the package's folder is a real directory that `qa ingest` can read.
_PACKAGE = Path(str(resources.files("eval")))
SAMPLE_CORPUS = _PACKAGE / "corpus"
GOLD_DIR = _PACKAGE / "gold"
SAMPLE_GOLD = GOLD_DIR / "sample.jsonl"
