"""The import graph runs one way: the contracts in [tool.importlinter] (pyproject.toml), checked by import-linter."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_import_runs_up_a_layer() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = done.stdout[done.stdout.find("Contracts") :] or done.stdout
    assert done.returncode == 0, f"an import runs against the layers:\n{report}\n{done.stderr}"


def test_both_contracts_name_the_same_core_modules() -> None:
    # The core is named twice: once among the top-level packages, once inside assistant/ (where the
    # exhaustive check makes every new module take a place). The two lists must not drift apart.
    contracts = {
        c["id"]: c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    }

    def names(layer: str) -> set[str]:
        return {name.strip().removeprefix("assistant.") for name in layer.split(":")}

    assert names(contracts["layers"]["layers"][-1]) == names(contracts["assistant-modules"]["layers"][-1])
