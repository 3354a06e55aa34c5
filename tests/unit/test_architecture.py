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


def test_both_contracts_name_the_same_core_parts() -> None:
    # The core is named twice: once among the top-level packages (below ingest), once inside assistant/
    # (below app, where the exhaustive check makes every new part take a place). The two must not drift apart.
    contracts = {
        c["id"]: c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    }
    top = contracts["layers"]["layers"]
    inside = contracts["assistant-modules"]["layers"]

    def parts(layers: list[str]) -> list[set[str]]:
        return [{name.strip().removeprefix("assistant.") for name in layer.split(":")} for layer in layers]

    assert parts(top[top.index("ingest") + 1 :]) == parts(inside[inside.index("app") + 1 :])


def test_each_part_of_the_core_is_a_folder() -> None:
    # One folder per part of the core (the base modules excepted), so the tree shows the layers.
    contracts = {
        c["id"]: c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    }
    inside = contracts["assistant-modules"]["layers"]
    *parts, base = inside[inside.index("app") + 1 :]
    for layer in parts:
        for name in layer.split(":"):
            assert (ROOT / "assistant" / name.strip() / "__init__.py").is_file(), name
    for name in base.split(":"):
        assert (ROOT / "assistant" / f"{name.strip()}.py").is_file(), name
