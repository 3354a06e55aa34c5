"""No import cycles among the modules of assistant/ and ingest/, counting the imports written inside functions
(a lazy import hides a cycle from Python at start-up, not from a reader), and the run time never loads the
install-time builders of assistant/models/install/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]


def import_cycles(*packages: str) -> list[list[str]]:
    """Each group of modules that import one another, directly or round a loop (strongly connected components
    of the import graph, grimp's: every ``import`` statement, at the top or inside a function), sorted."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in order:
            continue
        # Tarjan's algorithm without recursion: (module, the modules it imports still to visit).
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            step = next(imported, None)
            if step is not None:
                if step not in order:
                    order[step] = low[step] = len(order)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[module] = min(low[module], order[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == order[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


def _described(groups: list[list[str]], *packages: str) -> str:
    """Each cycle with the import lines that close it, for the failure message."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    lines = []
    for group in groups:
        lines.append(" <-> ".join(group))
        for importer in group:
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported in group:
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines.extend(f"    {importer}:{d['line_number']} {d['line_contents']}" for d in details)
    return "\n".join(lines)


def test_no_module_of_assistant_or_ingest_imports_itself_back() -> None:
    cycles = import_cycles("assistant", "ingest")
    assert cycles == [], "import cycles:\n" + _described(cycles, "assistant", "ingest")


def test_a_cycle_hidden_inside_a_function_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a package whose second module imports the first back inside a function."""
    package = tmp_path / "looped"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "registry.py").write_text("from looped.plain import load_plain\nLOADERS = [load_plain]\n")
    (package / "plain.py").write_text(
        "def load_plain():\n    from looped.registry import LOADERS\n\n    return LOADERS\n"
    )
    (package / "alone.py").write_text("import looped.plain\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("looped") == [["looped.plain", "looped.registry"]]


def test_the_run_time_loads_no_install_time_builder() -> None:
    """Answering with the local model or the ONNX embedder imports nothing from assistant/models/install/ (the
    ONNX export, when missing, is made by running that tool as a program)."""
    code = (
        "import json, sys\n"
        "import assistant.app.compose, assistant.app.service, assistant.cli\n"
        "import assistant.models.embedder, assistant.models.llm, assistant.models.langchain_chat\n"
        "import assistant.models.model_files, ingest.indexer\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('assistant.models.install'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
