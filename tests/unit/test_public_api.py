import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for package in ("assistant", "ingest", "eval")
    for path in (ROOT / package).rglob("*.py")
    if "__main__" not in path.name and "corpus" not in path.parts
)


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports_on_its_own_in_a_fresh_interpreter(module: str) -> None:
    """Tools that embed the assistant import single modules; none may depend on an import done elsewhere first."""
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-800:]


def test_the_documented_public_names_import_from_the_package() -> None:
    import assistant
    from assistant import Answer, Assistant, AssistantError, Citation, Passage, Settings  # noqa: F401

    assert {"Assistant", "Answer", "Passage", "Citation", "AssistantError", "Settings"} <= set(assistant.__all__)
    assert all(hasattr(assistant, name) for name in assistant.__all__)
