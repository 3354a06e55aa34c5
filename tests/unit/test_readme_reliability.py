"""The README's reliability tables name real tests: a renamed or deleted test fails here, not silently."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_the_reliability_section_names_exists() -> None:
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Reliability") : readme.index("## Tests")]
    named = 0
    for row in section.splitlines():
        if not row.startswith("|"):
            continue
        current: Path | None = None
        for file, test in re.findall(r"`(?:([\w/]+\.py))?(?:::(test_\w+))?[^`]*`", row):
            if file:
                current = ROOT / file if "/" in file else ROOT / "tests" / "reliability" / file
                assert current.is_file(), f"README names {file}, which does not exist"
            if test:
                assert current is not None, f"README names ::{test} without a file before it"
                assert f"def {test}(" in current.read_text(encoding="utf-8"), f"{current.name} has no {test}"
                named += 1
    assert named >= 40, named
