"""README.md and docs/*.md say only what is true of this tree: the README stays short and links every page, every
link and anchor resolves, every fenced block is run or checked somewhere, and every path, module, make target,
`qa` command with its options and QA_* variable the pages name exists. A rename elsewhere fails here, not in a
reader's terminal."""

from __future__ import annotations

import importlib
import importlib.util
import re
import shlex
from pathlib import Path

import click
import pytest

from assistant.cli import main as qa
from assistant.settings import FLAT_NAMES, OTHER_VARIABLES, load_settings
from tests.fixtures.docs import DOCS, README, ROOT, anchors, blocks, links, pages, prose

# Where each kind of fenced block is run or checked:
#   bash, python  README.md: run in order as a new user types them (tests/integration/test_readme.py);
#                 docs/http-api.md and docs/python-api.md: run against `qa serve` on the sample documents, and
#                 python blocks of the other pages run on their own (tests/integration/test_readme_examples.py);
#   shell         not run (installs, servers, long runs): their make targets and qa commands are checked here;
#   toml          loaded as a qa.toml here;
#   text          drawings and sample output, not code.
LANGUAGES = {"bash", "python", "shell", "toml", "text"}
SERVED_PAGES = {"http-api.md", "python-api.md"}
TOP_FOLDERS = ("assistant", "ingest", "eval", "ui", "prompts", "tests", "docs", ".ci")


def page_ids() -> list[str]:
    return [str(path.relative_to(ROOT)) for path in pages()]


def code_spans(path: Path) -> list[str]:
    """What a page shows as commands: its inline `code` and the lines of its bash and shell blocks."""
    inline = re.findall(r"`([^`\n]+)`", prose(path))
    fenced = [line for block in blocks(path) if block.language in ("bash", "shell") for line in block.code.splitlines()]
    return inline + fenced


def test_the_readme_is_short_and_links_every_page_of_docs() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text) < 12_000, len(text)
    linked = {target.split("#")[0] for target in links(README)}
    for page in sorted(DOCS.glob("*.md")):
        assert f"docs/{page.name}" in linked, f"README.md does not link docs/{page.name}"


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_every_link_and_anchor_resolves(page: Path) -> None:
    for target in links(page):
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        assert resolved.exists(), f"{page.name} links {target}: no such file"
        if anchor:
            assert anchor in anchors(resolved), f"{page.name} links {target}: {resolved.name} has no such heading"


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_every_code_block_is_run_or_checked(page: Path) -> None:
    for block in blocks(page):
        assert block.language in LANGUAGES, f"{block}: tag it one of {sorted(LANGUAGES)}"
        if block.language == "bash":
            assert page == README or page.name in SERVED_PAGES, f"{block}: only README and the API pages run bash"


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_every_path_the_page_names_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    folders = "|".join(re.escape(folder) for folder in TOP_FOLDERS)
    pattern = rf"(?<![\w./-])((?:{folders})/[\w./*-]*[\w*/])"
    for path in set(re.findall(pattern, text)):
        matches = list(ROOT.glob(path.rstrip("/"))) if "*" in path else [ROOT / path]
        assert any(match.exists() for match in matches), f"{page.name} names {path}, which does not exist"


def is_module(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except ModuleNotFoundError:  # a parent is a module, not a package
        return False


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_every_module_the_page_names_imports(page: Path) -> None:
    text = "\n".join(code_spans(page))
    for dotted in set(re.findall(r"(?<![\w./-])((?:assistant|ingest|eval|ui)(?:\.\w+)+)", text)):
        parts = dotted.split(".")
        if len(parts) == 2 and not is_module(dotted):
            continue  # `assistant.pipeline`: a variable named assistant, not a module
        # The longest importable prefix is the module; what follows must be attributes of it.
        cut = next(cut for cut in range(len(parts), 0, -1) if is_module(".".join(parts[:cut])))
        found: object = importlib.import_module(".".join(parts[:cut]))
        for name in parts[cut:]:
            assert hasattr(found, name), f"{page.name} names {dotted}: {name} is not there"
            found = getattr(found, name)


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_every_qa_variable_the_page_names_is_read(page: Path) -> None:
    known = {f"QA_{name.upper()}" for name in FLAT_NAMES} | OTHER_VARIABLES
    for name in set(re.findall(r"\bQA_[A-Z0-9_]*[A-Z0-9]", page.read_text(encoding="utf-8"))):
        assert name in known, f"{page.name} names {name}, which no setting reads"


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_every_make_target_the_page_names_exists(page: Path) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.MULTILINE))
    for span in code_spans(page):
        for target in re.findall(r"(?:^|[;&|]\s*)make ([a-z][\w-]*)", span.strip()):
            assert target in targets, f"{page.name} runs `make {target}`, which the Makefile lacks"


def qa_commands(page: Path) -> list[list[str]]:
    """Each `qa ...` command a page shows, as words (placeholders and [optional] marks kept as words)."""
    found = []
    for span in code_spans(page):
        for command in re.findall(r"(?:^|[;&|(]\s*|\.venv/bin/)(qa [^;&|`#]*)", span.strip()):
            try:
                words = shlex.split(command)
            except ValueError:
                words = command.split()
            found.append([word.strip("[]()") for word in words[1:] if word.strip("[]()")])
    return found


@pytest.mark.parametrize("page", pages(), ids=page_ids())
def test_every_qa_command_and_option_the_page_shows_exists(page: Path) -> None:
    for words in qa_commands(page):
        command: click.Command = qa
        for word in words:
            if word.startswith("-"):
                option = word.split("=")[0]
                names = {name for param in command.params for name in getattr(param, "opts", [])}
                names |= {"-h", "--help"}
                assert option in names, f"{page.name} shows `qa {' '.join(words)}`: {command.name} has no {option}"
            elif isinstance(command, click.Group) and re.fullmatch(r"[a-z][a-z-]+", word) and word in command.commands:
                command = command.commands[word]
            elif isinstance(command, click.Group) and command is qa:
                pytest.fail(f"{page.name} shows `qa {' '.join(words)}`: qa has no command {word!r}")


def test_a_qa_toml_shown_in_the_docs_loads(tmp_path: Path) -> None:
    shown = [block for page in pages() for block in blocks(page) if block.language == "toml"]
    for block in shown:
        config = tmp_path / "qa.toml"
        config.write_text(block.code, encoding="utf-8")
        load_settings(config_file=config, environ={})


def test_the_configuration_page_lists_every_setting_with_its_variable_and_group() -> None:
    listed: dict[str, tuple[str, str]] = {}
    for row in (DOCS / "configuration.md").read_text(encoding="utf-8").splitlines():
        cells = row.split("|")
        if len(cells) < 5 or not cells[1].strip().startswith("`"):
            continue
        names, variables, places = (re.findall(r"`([^`]+)`", cell) for cell in cells[1:4])
        assert len(names) == len(variables) == len(places), row
        for name, variable, place in zip(names, variables, places, strict=True):
            assert variable == f"QA_{name.upper()}", row
            group, _, inner = place.partition(".")
            listed[name] = (group, inner)
    assert listed == FLAT_NAMES


def test_the_http_page_lists_every_error_code_with_its_status() -> None:
    from assistant.app.http.errors import (
        ASSISTANT_ERRORS,
        HTTP_ERRORS,
        OTHER_ASSISTANT_ERROR,
        VALIDATION_ERROR,
        ErrorCode,
    )

    rows = re.findall(r"^\| (\d{3}) \| `(\w+)` \|", (DOCS / "http-api.md").read_text(encoding="utf-8"), re.MULTILINE)
    listed = {code: int(status) for status, code in rows}
    assert set(listed) == {code.value for code in ErrorCode}
    for status, code in [*((s, c) for _, s, c in ASSISTANT_ERRORS), *((s, c) for s, c in HTTP_ERRORS.items())]:
        assert listed[code.value] == status, code
    for status, code in (VALIDATION_ERROR, OTHER_ASSISTANT_ERROR):
        assert listed[code.value] == status, code


# Words in capitals a page shows as placeholders (`qa ask QUESTION`, `--corpus DIR`) or names of other tools.
PLACEHOLDERS = {
    *"ANSWERER DATA DATA_DIR DELETE FILE GOLD HASH INST METRIC NAME PATH PORT POST QUERY SQUAD VALUE".split(),
    *"OPENAI_API_KEY OPENAI_BASE_URL MiniLM".split(),
}


def test_every_name_of_the_code_the_pages_show_is_defined() -> None:
    # A class (`SharedParts`) or a constant (`ANSWERER_FIELDS`) a page names in code must be defined or imported
    # somewhere in the project (the Makefile included), so a rename shows here.
    sources = "\n".join(
        path.read_text(encoding="utf-8") for folder in TOP_FOLDERS[:-2] for path in (ROOT / folder).rglob("*.py")
    )
    sources += (ROOT / "Makefile").read_text(encoding="utf-8")
    name = r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{4,}|[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+)\b"
    for page in pages():
        for code in re.findall(r"`([^`\n]+)`", page.read_text(encoding="utf-8")):
            for word in re.findall(name, code):
                if word.startswith("QA_") or word in PLACEHOLDERS:
                    continue
                defined = rf"^\s*(class {word}\b|def {word}\b|{word}\s*[:?]?=|{word}:)|\bimport\b.*\b{word}\b"
                assert re.search(defined, sources, re.MULTILINE), f"{page.name} names {word}, defined nowhere"


def test_the_architecture_page_names_every_module() -> None:
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    modules = [*(ROOT / "assistant").rglob("*.py"), *(ROOT / "ingest").rglob("*.py")]
    for module in modules:
        path = module.relative_to(ROOT).as_posix()
        if module.name == "__init__.py" and module.parent.name not in ("text", "evidence"):
            continue  # a package is named by its folder
        assert path in page or f"`{module.name}`" in page, f"docs/architecture.md does not say where {path} fits"
