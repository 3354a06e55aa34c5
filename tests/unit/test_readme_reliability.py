"""docs/reliability.md's tables name real tests: a renamed or deleted test fails here, not silently."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_the_reliability_page_names_exists() -> None:
    page = ROOT.joinpath("docs", "reliability.md").read_text(encoding="utf-8")
    named = 0
    for row in page.splitlines():
        if not row.startswith("|"):
            continue
        current: Path | None = None
        for file, test in re.findall(r"`(?:([\w/]+\.py))?(?:::(test_\w+))?[^`]*`", row):
            if file:
                current = ROOT / file if "/" in file else ROOT / "tests" / "reliability" / file
                assert current.is_file(), f"docs/reliability.md names {file}, which does not exist"
            if test:
                assert current is not None, f"docs/reliability.md names ::{test} without a file before it"
                assert f"def {test}(" in current.read_text(encoding="utf-8"), f"{current.name} has no {test}"
                named += 1
    assert named >= 40, named
