"""How alike two sentences must be to state the same count (assistant/answering/conflicts.py SAME_STATEMENT).

    python -m eval.conflicts --xquad XQUAD.json --covid COVID-QA.json [--split dev]

From the articles of one half, every sentence that counts something is paired (a) with itself, its count
changed (two documents that disagree) and (b) with each later sentence of its article that the rule would call
a disagreement but for their meaning: the same counted noun with another number, no other name, the same
years (near misses, which the check must not call disagreements).
It prints the similarity quantiles of both and the share of each that every threshold would flag.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from assistant.answering.conflicts import counts, disagrees
from assistant.answering.evidence import without_references
from assistant.models.embedder import build_embedder
from assistant.settings import load_settings
from assistant.text import sentence_spans
from eval.splits import DEV, Splits
from eval.squad import read_squad

THRESHOLDS = (0.7, 0.75, 0.8, 0.85, 0.9)


def _changed(sentence: str) -> str | None:
    for number in counts(sentence):
        match = re.search(rf"(?<![\d.,]){re.escape(number)}(?!\d|[.,]\d)", sentence)
        if match and re.fullmatch(r"\d+(?:\.\d+)?", number.replace(",", "")):
            value = float(number.replace(",", "")) if "." in number else int(number.replace(",", ""))
            other = value + 3 if isinstance(value, int) else round(value * 1.3, 2)
            return sentence[: match.start()] + str(other) + sentence[match.end() :]
    return None


def pairs(paths: dict[str, Path], split: str, seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(disagreeing pairs, near-miss pairs) from the articles of ``split``."""
    datasets = {name: read_squad(path) for name, path in paths.items()}
    splits = Splits({name: len(articles) for name, articles in datasets.items()}, seed)
    changed: list[tuple[str, str]] = []
    near: list[tuple[str, str]] = []
    for name, articles in datasets.items():
        for index, article in enumerate(articles):
            if splits.of(name, index) != split:
                continue
            counting = []
            for paragraph in article.paragraphs:
                for start, end in sentence_spans(paragraph.context):
                    sentence = without_references(" ".join(paragraph.context[start:end].split()))
                    if 30 <= len(sentence) <= 400 and counts(sentence):
                        counting.append(sentence)
            for position, sentence in enumerate(counting):
                other = _changed(sentence)
                if other:
                    changed.append((sentence, other))
                # Another sentence of the article the rule would call a disagreement but for its meaning.
                near.extend(
                    (sentence, candidate)
                    for candidate in counting[position + 1 : position + 30]
                    if disagrees(sentence, sentence, candidate)
                )
    return changed, near


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path)
    parser.add_argument("--covid", type=Path)
    parser.add_argument("--split", default=DEV)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    paths = {name: path for name, path in (("xquad", args.xquad), ("covid-qa", args.covid)) if path}
    changed, near = pairs(paths, args.split, args.seed)
    embedder = build_embedder(load_settings({}))  # the embedder answers are checked with
    for label, group in (("count changed", changed), ("near misses", near)):
        firsts = embedder.embed_batch([a for a, _ in group])
        seconds = embedder.embed_batch([b for _, b in group])
        sims = sorted(sum(x * y for x, y in zip(u, v, strict=True)) for u, v in zip(firsts, seconds, strict=True))
        flagged = {t: sum(s >= t for s in sims) / len(sims) for t in THRESHOLDS}
        quantiles = {q: round(sims[int(q * (len(sims) - 1))], 3) for q in (0.01, 0.1, 0.5, 0.9, 0.99)}
        print(f"{label}: n={len(sims)} quantiles={quantiles}")
        print("  share at or above: " + ", ".join(f"{t}: {share:.3f}" for t, share in flagged.items()))


if __name__ == "__main__":
    main()
