"""The `qa` command line: ingest, ask, chat, search, sources, ui, serve, eval, bench.

Examples:

    qa ingest eval/corpus --collection sample
    qa ask "What does Russia demand?" --collection sample --json
    qa chat --collection sample
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import click

from assistant.app.cli.options import HelpGroup, PathsCommand, verbose_option
from assistant.app.cli.output import (
    best_sentence,
    interrupted_summary,
    mark_terms,
    shorten,
    terminal_json,
    terminal_safe,
)
from assistant.app.compose import open_state_store
from assistant.app.registry import Registry
from assistant.app.service import Assistant
from assistant.errors import AssistantError
from assistant.index.folder import closest_collection
from assistant.progress import progress_bar
from assistant.settings import Settings, load_settings
from assistant.text import plural
from assistant.types import Answer
from ingest.indexer import find_source

_SIGNALS_SEEN: list[int] = []


def _stop(signum: int, frame: Any) -> None:
    """Ctrl-C and SIGTERM end a command by unwinding (transactions roll back, temp files go); the signal is
    remembered for the exit code, also when a library (uvicorn) swallows the KeyboardInterrupt."""
    _SIGNALS_SEEN.append(signum)
    raise KeyboardInterrupt


def _interrupted() -> None:
    """Leave after Ctrl-C or SIGTERM with one line and 130 or 143. ``os._exit``, not ``sys.exit``: the stack
    has unwound already (SQLite rolled back, locks and temp files released), and tearing the interpreter down
    while llama.cpp may still hold a native thread is what crashed with a segmentation fault."""
    terminated = signal.SIGTERM in _SIGNALS_SEEN
    code = 143 if terminated else 130
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os.write(2, f"\nqa: {'terminated' if terminated else 'interrupted'}; nothing half-written was kept\n".encode())
    os._exit(code)


def _reader_left() -> None:
    """The program reading our output left (`qa search ... | head -1`): stop quietly with 141, the status of a
    Unix tool that SIGPIPE ended. What is still buffered goes to /dev/null, so no flush at exit complains."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(141)


class _Group(HelpGroup):
    """Shows an AssistantError as one line (exit 1); the traceback only with --verbose. Ctrl-C and SIGTERM
    stop the command with one line (exit 130 and 143); a closed output pipe stops it silently (141)."""

    def invoke(self, ctx: click.Context) -> Any:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _stop)
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a reader that left shows here, not as a message at the interpreter's exit
            return result
        except KeyboardInterrupt:
            _interrupted()
        except BrokenPipeError:
            _reader_left()
        except AssistantError as exc:
            if ctx.meta.get("qa.verbose"):
                traceback.print_exc()
            raise click.ClickException(terminal_safe(str(exc), name=True)) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug or an environment problem we did not foresee: still one line
            verbose = ctx.meta.get("qa.verbose")
            if verbose:
                traceback.print_exc()
            hint = "" if verbose else " (rerun with --verbose for the traceback)"
            message = terminal_safe(f"{type(exc).__name__}: {exc}", name=True)
            raise click.ClickException(f"unexpected error: {message}{hint}") from None


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--collection and --verbose, accepted by every command."""
    command = verbose_option(command)
    return click.option(
        "--collection", "-c", default=None, help="Collection to use (default: QA_COLLECTION, else docs)."
    )(command)


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def open_assistant(**overrides: Any) -> Assistant:
    """The Assistant of the registry (assistant/app/registry.py) over qa.toml and QA_* variables plus command-line
    overrides: a command uses one collection, and builds each part only when it needs it."""
    return Registry(load_settings(overrides, warn=_warn)).assistant()


def state_place(settings: Settings) -> str:
    """Where the collections' records are, in words: the data folder, or the server state store (no password)."""
    url = settings.storage.database_url
    if url:
        from assistant.index.postgres.connection import redacted

        return f"the state store {redacted(url)}"
    return f"the data folder {settings.storage.data_dir}"


def warn_if_no_documents(assistant: Assistant) -> bool:
    """Say so when the collection holds no documents (a mistyped --collection, another data folder, nothing
    ingested yet), naming the data folder and the collections it does hold. True when it warned."""
    if assistant.sources():
        return False
    name = assistant.settings.storage.collection
    others = [other for other, _, _ in assistant.catalog.records.collections() if other != name]
    message = f"collection {name!r} has no documents in {state_place(assistant.settings)}"
    if others:
        message += f"; collections there: {', '.join(others)} (pick one with --collection)"
    if close := closest_collection(name, others):
        message += f"; did you mean {close!r}?"
    _warn(f"{message}; run `qa ingest PATH --collection {name}` to add some")
    return True


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="cited-qa")
def main() -> None:
    """Ask questions about your documents and get answers that cite the exact passage."""


@main.command(cls=PathsCommand)
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--keep-missing",
    is_flag=True,
    help="Keep the collection's files that are gone from the folders given (default: remove them).",
)
@common_options
def ingest(paths: Sequence[str], keep_missing: bool, collection: str | None) -> None:
    """Add files or folders to a collection, keeping it in sync with the folders.

    Reads txt, md, html, pdf (scanned pages by OCR), docx, pptx, xlsx, csv, epub and eml. Unchanged files
    are skipped and changed files replace their old chunks. Files that were ingested from
    a folder given here and are gone from it are removed from the collection (--keep-missing keeps them);
    other sources are never touched.

        qa ingest docs/ notes.md --collection mine
    """
    assistant = open_assistant(collection=collection)
    finished: list[Any] = []
    bar, show = ingest_bar(assistant.settings.ingest.embed_batch_size, finished)
    try:
        report = assistant.ingest(paths, progress=show, remove_missing=not keep_missing)
    except KeyboardInterrupt:
        bar.close()
        if finished:
            click.echo(interrupted_summary(finished, bar.total), err=True)
        raise
    finally:
        bar.close()  # an error's message then starts on a line of its own, not after the bar
    for result in report.results:
        # A file name may hold a newline or an escape sequence: shown visibly, it cannot forge a line.
        source = terminal_safe(result.source, name=True)
        if result.status in ("skipped", "failed"):
            # Reasons start with the file's name; the full path tells two notes.txt in two folders apart.
            reason = result.reason.removeprefix(f"{Path(result.source).name}: ").removeprefix(f"{result.source}: ")
            reason = terminal_safe(reason, name=True)
            click.echo(f"{result.status}: {source}" + (f": {reason}" if reason else ""), err=True)
        elif result.status == "removed":
            click.echo(f"removed: {source} (gone from the folder; {plural(result.chunks, 'chunk')})")
        else:
            click.echo(f"{result.status}: {source} ({plural(result.chunks, 'chunk')})")
            if result.warning:
                name = terminal_safe(Path(result.source).name, name=True)
                click.echo(f"  note: {name}: {terminal_safe(result.warning, name=True)}", err=True)
    storage = assistant.settings.storage
    click.echo(f"{report.summary()} -> collection {storage.collection!r} in {storage.data_dir}")
    if report.count("failed"):
        sys.exit(1)


def ingest_bar(embed_batch_size: int, finished: list[Any] | None = None) -> tuple[Any, Callable[[Any], None]]:
    """A progress bar on stderr for an ingest (files done with rate and ETA, chunks stored, and the sentences
    of a large batch as they are embedded; a line per file in a pipe or a log), with the progress callback that
    moves it (and appends each file's result to ``finished``, when given); the caller closes the bar."""
    bar = progress_bar(unit="file", desc="ingest")

    def show(event: Any) -> None:
        if event.stage == "files":
            if event.result is not None and finished is not None:
                finished.append(event.result)
            bar.total = event.total
            name = terminal_safe(event.name[:40], name=True)
            bar.set_postfix_str(plural(event.chunks, "chunk") + (f", {name}" if name else ""), refresh=False)
            bar.update(event.done - bar.n)
        elif event.stage == "wait":
            bar.write(terminal_safe(event.name, name=True), file=sys.stderr)
        elif event.total > embed_batch_size:
            name = terminal_safe(event.name[:30], name=True)
            bar.set_postfix_str(f"{name}: embedded {event.done}/{event.total} sentences")

    return bar, show


def _print_sources(answer: Answer) -> None:
    for citation in answer.citations:
        where = terminal_safe(Path(citation.source).name, name=True)
        where += f", page {citation.page}" if citation.page else ""
        where += f", {terminal_safe(citation.section)}" if citation.section else ""
        # The sentence quoted, with its own offsets (the whole passage's when no sentence was singled out).
        shown = citation.highlights[0] if citation.highlights else citation
        quote = " ".join(terminal_safe(shown.text).split())
        click.echo(f"[{citation.n}] {where}, chars {shown.start}-{shown.end}: {quote[:200]}")
    for removed in answer.unsupported:
        sentence = terminal_safe(removed.sentence[:120])
        click.echo(f'(removed: "{sentence}" - {terminal_safe(removed.reason)})', err=True)


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the whole Answer as JSON.")
@click.option("--answerer", "-a", default=None, help="extractive, local or openai (default: QA_ANSWERER).")
@click.option("-k", type=click.IntRange(1, 50), default=None, help="Passages to show the answerer (1-50).")
@common_options
def ask(question: str, as_json: bool, answerer: str | None, k: int | None, collection: str | None) -> None:
    """Answer one question with citations.

    qa ask "What does Russia demand?" --json
    """
    assistant = open_assistant(collection=collection, answerer=answerer, k=k)
    warn_if_no_documents(assistant)
    if as_json:
        click.echo(terminal_json(assistant.ask(question).model_dump(mode="json")))
        return
    _stream_to_terminal(assistant, question, [])


DRAFTING = "(writing the answer, then checking it against its passages...)"


def _stream_to_terminal(assistant: Assistant, question: str, history: list[dict[str, str]]) -> Answer:
    """On a terminal, the checked answer a sentence at a time; in a pipe or a file, written once. The claim check
    runs before the first sentence is streamed, so nothing shown is taken back; what it removed is listed after."""
    on_terminal = sys.stdout.isatty()
    stream = assistant.stream(question, history)
    drafting = False
    for piece in stream:
        if not on_terminal:
            continue
        if not piece:  # the draft is being written: say so (on stderr) until its checked sentences come
            if not drafting:
                click.echo(DRAFTING, nl=False, err=True)
                drafting = True
            continue
        if drafting:
            click.echo("\b" * len(DRAFTING) + "\x1b[K", nl=False, err=True)  # erase the note, keep a prompt
            drafting = False
        click.echo(terminal_safe(piece, lines=True), nl=False)
    final = stream.answer
    click.echo() if on_terminal else click.echo(terminal_safe(final.answer, lines=True))
    if final.unsupported:
        removed = plural(len(final.unsupported), "sentence")
        what = "nothing in the draft rested on its passages" if final.refused else f"{removed} of the draft removed"
        click.echo(f"(citation check: {what}; the reasons follow)")
    for note in final.notes:  # what the answer shows otherwise than the document (a link or image as text)
        click.echo(f"(note: {terminal_safe(note)})")
    _print_sources(final)
    return final


CHAT_HELP = """Commands (anything else is a question; follow-ups use the conversation so far):
  /new       start a new conversation (forget what was said)
  /sources   list the documents of this collection
  /help      show this list
  /quit      leave (also /exit, Ctrl-D)"""


@main.command()
@click.option("--answerer", "-a", default=None, help="extractive, local or openai (default: QA_ANSWERER).")
@common_options
def chat(answerer: str | None, collection: str | None) -> None:
    """A conversation in the terminal; follow-up questions use what was said (/help lists the commands)."""
    assistant = open_assistant(collection=collection, answerer=answerer)
    warn_if_no_documents(assistant)
    history: list[dict[str, str]] = []
    click.echo(
        f"Collection {assistant.settings.storage.collection!r}. Ask a question (/help for commands, /quit to leave)."
    )
    while True:
        try:
            question = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if question.startswith("/"):
            command = question.split()[0].lower()
            if command in ("/quit", "/exit", "/q"):
                return
            if command in ("/new", "/reset"):
                history = []
                click.echo("(new conversation)")
            elif command == "/sources":
                for record in assistant.sources():
                    click.echo(f"  {terminal_safe(record.source, name=True)} ({plural(record.chunk_count, 'chunk')})")
                click.echo(
                    f"({plural(len(assistant.sources()), 'source')} in collection "
                    f"{assistant.settings.storage.collection!r})"
                )
            else:
                if command not in ("/help", "/?"):
                    click.echo(f"(unknown command {command}; a question does not start with /)")
                click.echo(CHAT_HELP)
            continue
        if not question:
            continue
        click.echo("assistant> ", nl=False)
        try:
            answer = _stream_to_terminal(assistant, question, history)
        except AssistantError as exc:
            click.echo(f"Error: {terminal_safe(str(exc), name=True)}", err=True)
            continue
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]


@main.command()
@click.argument("query")
@click.option("-k", type=click.IntRange(1, 50), default=5, show_default=True, help="How many passages (1-50).")
@click.option("--source", "sources", multiple=True, help="Only search this file: its name or path (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print passages as JSON.")
@common_options
def search(query: str, k: int, sources: Sequence[str], as_json: bool, collection: str | None) -> None:
    """Show the passages that best match QUERY (no answer is written).

    Each hit shows its best-matching sentence, the query's words marked, and its relevance: 0 to 1, the
    passage's meaning similarity and keyword match combined (1 is the best any passage could score).
    """
    assistant = open_assistant(collection=collection)
    empty = warn_if_no_documents(assistant)
    # A file name as the hits show it, or its path (`qa sources remove` matches the same way).
    known = [record.source for record in assistant.sources()] if sources else []
    resolved = [find_source(source, known, assistant.settings.storage.collection) for source in sources]
    passages = assistant.search(query, k, resolved or None)
    if as_json:
        click.echo(terminal_json([p.model_dump(mode="json") for p in passages]))
        return
    # Marked in bold on a terminal, and with **stars** in a pipe or a file.
    mark = (
        (lambda word: click.style(word, bold=True, fg="yellow"))
        if sys.stdout.isatty()
        else (lambda word: f"**{word}**")
    )
    ranked_only = assistant.settings.retrieval.fusion == "rrf"  # reciprocal-rank sums (~0.03) mean nothing to a reader
    for rank, passage in enumerate(passages, start=1):
        page = f", page {passage.page}" if passage.page else ""
        page += f", {terminal_safe(passage.section)}" if passage.section else ""
        score = "" if ranked_only else f"  relevance {passage.score:.2f}"
        name = terminal_safe(Path(passage.source).name, name=True)
        click.echo(f"{rank}. {name}{page}, chars {passage.start}-{passage.end}{score}")
        sentence = terminal_safe(best_sentence(passage.text, query))
        click.echo("   " + mark_terms(shorten(sentence, 300), query, mark))
    if not passages and not empty:
        click.echo("no matching passages")


@main.group(cls=HelpGroup, invoke_without_command=True)
@common_options
@click.pass_context
def sources(ctx: click.Context, collection: str | None) -> None:
    """List the files in a collection (`qa sources remove PATH` deletes one)."""
    ctx.obj = {"collection": collection}
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_sources, collection=collection)


@sources.command("list")
@common_options
@click.pass_context
def list_sources(ctx: click.Context, collection: str | None) -> None:
    """List ingested files with their chunk counts."""
    import datetime

    assistant = open_assistant(collection=collection or (ctx.obj or {}).get("collection"))
    records = assistant.sources()
    if not records:
        warn_if_no_documents(assistant)
    for record in records:
        when = datetime.datetime.fromtimestamp(record.ingested_at).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{plural(record.chunk_count, 'chunk'):>11}  {when}  {terminal_safe(record.source, name=True)}")
    click.echo(
        f"{plural(len(records), 'source')} in collection {assistant.settings.storage.collection!r}, "
        + state_place(assistant.settings).removeprefix("the ")
    )


@sources.command("remove")
@click.argument("path")
@common_options
@click.pass_context
def remove_source(ctx: click.Context, path: str, collection: str | None) -> None:
    """Delete one file's chunks from the collection (the file on disk is kept)."""
    assistant = open_assistant(collection=collection or (ctx.obj or {}).get("collection"))
    result = assistant.remove(path)
    click.echo(f"removed: {terminal_safe(result.source, name=True)} ({plural(result.chunks, 'chunk')})")


@sources.command("verify")
@click.option(
    "--repair", is_flag=True, help="Fix what is found: delete orphan vectors, embed missing ones, rebuild keyword rows."
)
@common_options
@click.pass_context
def verify_sources(ctx: click.Context, repair: bool, collection: str | None) -> None:
    """Check that the vector store and keyword index hold exactly the chunks the catalog lists (exit 1 if not)."""
    assistant = open_assistant(collection=collection or (ctx.obj or {}).get("collection"))
    found = assistant.verify()
    for line in found.lines():
        click.echo(terminal_safe(line, name=True))
    unfinished = assistant.unfinished_uploads()
    for line in unfinished:
        click.echo(terminal_safe(line, name=True))
    if repair and unfinished:
        for line in assistant.unfinished_uploads(repair=True):
            click.echo("after repair: " + terminal_safe(line, name=True))
        unfinished = assistant.unfinished_uploads()
    if not found.ok and repair:
        found = assistant.verify(repair=True)
        click.echo("after repair: " + "\n".join(terminal_safe(line, name=True) for line in found.lines()))
    if not found.ok or unfinished:
        if not repair:
            click.echo("run `qa sources verify --repair` to fix it", err=True)
        sys.exit(1)


@main.group(cls=HelpGroup)
def admin() -> None:
    """Operate the stores: `qa admin migrate-to URL` moves a data folder onto servers."""


@admin.command("migrate-to")
@click.argument("url")
@click.option(
    "--chroma-url",
    required=True,
    help="The Chroma server (chroma run ...) the app servers will use (their QA_CHROMA_URL).",
)
@click.option(
    "--replace", is_flag=True, help="Replace collections the servers hold already (what they stored in them is lost)."
)
@verbose_option
def migrate_to_command(url: str, chroma_url: str, replace: bool) -> None:
    """Copy this data folder (every collection, chat and feedback) into PostgreSQL at URL and a Chroma server,
    then check both sides as `qa sources verify` does (exit 1 if they differ)."""
    from assistant.app.migrate import migrate_to

    settings = load_settings(warn=_warn)
    report = migrate_to(
        settings, url, chroma_url, say=lambda line: click.echo(terminal_safe(line), err=True), replace=replace
    )
    click.echo(
        f"copied {plural(report.documents, 'document')}, {plural(report.vectors, 'vector')}, "
        f"{plural(report.chat_rows, 'chat and feedback row')}"
    )
    for before, after in report.checks.values():
        click.echo("data folder: " + "\n".join(terminal_safe(line, name=True) for line in before.lines()))
        click.echo("server:      " + "\n".join(terminal_safe(line, name=True) for line in after.lines()))
    if not report.ok:
        click.echo(
            "the two sides differ (above); run it again with --replace, or `qa sources verify --repair` with "
            "QA_DATABASE_URL and QA_CHROMA_URL set to repair the servers' side",
            err=True,
        )
        sys.exit(1)


@main.command("warm-up", hidden=True)
def warm_up() -> None:
    """Read the local model's fixed system prompt once and keep llama.cpp's state of it on disk, so that the
    first `qa ask` after `make install` (which runs this) starts as fast as later ones. Never fails the install."""
    from assistant.answering.answerers.generative import GenerativeAnswerer
    from assistant.models.llm import LocalChatModel

    try:
        settings = load_settings({"answerer": "local"})
        model = LocalChatModel(settings)
        GenerativeAnswerer(model, settings, name="local").warm_up()
    except AssistantError as exc:
        click.echo(f"local model warm-up skipped: {exc}", err=True)
        return
    click.echo(f"local model ready ({model.runtime}); its system prompt is read once and kept", err=True)


@main.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@common_options
def ui(port: int, host: str, collection: str | None) -> None:
    """Start the Streamlit app in the browser."""
    settings = load_settings({"collection": collection})  # bad settings fail here, with one line
    open_state_store(settings)
    app = Path(str(resources.files("ui"))) / "Chat.py"
    env = dict(os.environ)
    if collection:
        env["QA_COLLECTION"] = collection
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.maxUploadSize",
        str(max(1, int(settings.server.max_upload_mb))),
    ]
    click.echo(f"Open http://{host}:{port} in your browser (Ctrl-C stops the app).")
    sys.stdout.flush()
    # Streamlit takes over this process, so stopping `qa ui` (Ctrl-C, kill) stops the app too.
    os.execve(sys.executable, command, env)


def _loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any address


@main.command()
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any other than loopback needs QA_API_KEYS (or --insecure).",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="Serve on a non-loopback --host without API keys (anyone who can reach it may use it).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes; more than one needs a Chroma server (QA_CHROMA_URL).",
)
@common_options
def serve(port: int, host: str, insecure: bool, workers: int, collection: str | None) -> None:
    """Serve the HTTP API: /v1/chat/completions (OpenAI-compatible), /v1/models, /v1/search, /v1/documents, /healthz.

    Example: QA_CHROMA_URL=http://127.0.0.1:8001 qa serve --workers 2
    """
    import uvicorn

    from assistant.app.http.api import create_app

    settings = load_settings({"collection": collection})
    if not settings.server.api_keys and not _loopback(host):
        if not insecure:
            raise click.ClickException(
                f"--host {host} would let anyone who can reach this machine read and change your documents: set "
                "QA_API_KEYS=key1,key2 to require a key, keep --host 127.0.0.1, or add --insecure to serve it open"
            )
        warning = f"warning: serving {host} without API keys (--insecure): anyone who can reach it may use it"
        click.echo(warning, err=True)
    open_state_store(settings)
    click.echo(f"Serving http://{host}:{port} (OpenAPI at /openapi.json, docs at /docs)")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    else:
        if not settings.storage.chroma_url:
            raise click.ClickException(
                f"--workers {workers} needs a Chroma server: the embedded store is for one process; start "
                "`chroma run --path DIR --host 127.0.0.1 --port PORT` and set QA_CHROMA_URL=http://127.0.0.1:PORT"
            )
        if collection:
            os.environ["QA_COLLECTION"] = collection  # each worker process loads its settings afresh
        uvicorn.run(
            "assistant.app.http.api:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
        )
    if _SIGNALS_SEEN:  # uvicorn shut down gracefully and swallowed the signal: exit as other commands do
        _interrupted()
