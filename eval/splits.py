"""The dev/test split of public sets: a fixed, seeded half of each dataset's articles is dev, the rest test.

Items made from one article all fall on the same side, so nothing tuned on dev has seen a test article.
"""

from __future__ import annotations

import random

DEV, TEST = "dev", "test"


def dev_articles(dataset: str, count: int, seed: int) -> set[int]:
    """The indices of the ``count`` articles of ``dataset`` that are dev (the first half, rounded up, of a
    seeded shuffle); the others are test."""
    order = list(range(count))
    random.Random(f"{seed}/split/{dataset}").shuffle(order)
    return set(order[: (count + 1) // 2])


class Splits:
    """The side (dev or test) of every article of every dataset, for one seed."""

    def __init__(self, counts: dict[str, int], seed: int) -> None:
        self.dev = {name: dev_articles(name, count, seed) for name, count in counts.items()}

    def of(self, dataset: str, article: int) -> str:
        return DEV if article in self.dev[dataset] else TEST
