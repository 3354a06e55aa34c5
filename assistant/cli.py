"""The `qa` command line: ingest, ask, chat, search, sources, ui, serve, eval, bench.

Examples:

    qa ingest ../shared/seed-corpus --collection news
    qa ask "What does Russia demand?" --collection news --json
    qa chat --collection news
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from assistant.cli_options import verbose_option
from assistant.errors import AssistantError
from assistant.markers import same_claims
from assistant.service import Assistant
from assistant.settings import load_settings
from assistant.types import Answer


class _Group(click.Group):
    """Shows an AssistantError as one line (exit 1); the traceback only with --verbose."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AssistantError as exc:
            if ctx.meta.get("qa.verbose"):
                traceback.print_exc()
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # a bug or an environment problem we did not foresee: still one line
            verbose = ctx.meta.get("qa.verbose")
            if verbose:
                traceback.print_exc()
            hint = "" if verbose else " (rerun with --verbose for the traceback)"
            raise click.ClickException(f"unexpected error: {type(exc).__name__}: {exc}{hint}") from None


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--collection and --verbose, accepted by every command."""
    command = verbose_option(command)
    return click.option(
        "--collection", "-c", envvar="QA_COLLECTION", default=None, help="Collection to use (default: docs)."
    )(command)


def open_assistant(**overrides: Any) -> Assistant:
    """An Assistant from qa.toml and QA_* variables plus command-line overrides."""
    return Assistant(load_settings(overrides))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cited-qa")
def main() -> None:
    """Ask questions about your documents and get answers that cite the exact passage."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@common_options
def ingest(paths: Sequence[str], collection: str | None) -> None:
    """Add files or folders (txt, md, html, pdf, docx) to a collection.

    Unchanged files are skipped, changed files replace their old chunks.

        qa ingest docs/ notes.md --collection mine
    """
    assistant = open_assistant(collection=collection)
    bar, show = ingest_bar(assistant.settings.embed_batch_size)
    report = assistant.ingest(paths, progress=show)
    bar.close()
    for result in report.results:
        if result.status in ("skipped", "failed"):
            click.echo(f"{result.status}: {result.reason or result.source}", err=True)
        else:
            click.echo(f"{result.status}: {result.source} ({result.chunks} chunks)")
    click.echo(f"{report.summary()} -> collection {assistant.settings.collection!r}")
    if report.count("failed"):
        sys.exit(1)


def ingest_bar(embed_batch_size: int) -> tuple[Any, Callable[[Any], None]]:
    """A tqdm bar on stderr for an ingest (files done with rate and ETA, chunks stored, and the sentences
    of a large batch as they are embedded), with the progress callback that moves it; the caller closes it."""
    from tqdm import tqdm

    bar = tqdm(unit="file", desc="ingest", file=sys.stderr, dynamic_ncols=True)

    def show(event: Any) -> None:
        if event.stage == "files":
            bar.total = event.total
            bar.update(event.done - bar.n)
            bar.set_postfix_str(f"{event.chunks} chunks" + (f", {event.name[:40]}" if event.name else ""))
        elif event.total > embed_batch_size:
            bar.set_postfix_str(f"{event.name[:30]}: embedded {event.done}/{event.total} sentences")

    return bar, show


def _print_sources(answer: Answer) -> None:
    for citation in answer.citations:
        where = f"{Path(citation.source).name}" + (f", page {citation.page}" if citation.page else "")
        quote = " ".join((citation.highlights[0].text if citation.highlights else citation.text).split())
        click.echo(f"[{citation.n}] {where}, chars {citation.start}-{citation.end}: {quote[:200]}")
    for removed in answer.unsupported:
        click.echo(f"(removed: \"{removed.sentence[:120]}\" - {removed.reason})", err=True)


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the whole Answer as JSON.")
@click.option("--answerer", "-a", envvar="QA_ANSWERER", default=None, help="extractive, local or openai.")
@click.option("-k", type=click.IntRange(1, 50), default=None, help="Passages to show the answerer (1-50).")
@common_options
def ask(question: str, as_json: bool, answerer: str | None, k: int | None, collection: str | None) -> None:
    """Answer one question with citations.

        qa ask "What does Russia demand?" --json
    """
    assistant = open_assistant(collection=collection, answerer=answerer, k=k)
    if as_json:
        click.echo(json.dumps(assistant.ask(question).model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    answer = _stream_to_terminal(assistant, question, [])
    if answer.refused and not assistant.sources():
        click.echo(f"(collection {assistant.settings.collection!r} is empty; run `qa ingest PATH` first)", err=True)


def _stream_to_terminal(assistant: Assistant, question: str, history: list[dict[str, str]]) -> Answer:
    stream = assistant.stream(question, history)
    for piece in stream:
        click.echo(piece, nl=False)
    final = stream.answer
    click.echo()
    if final.refused and final.unsupported:
        click.echo(f"(answer withdrawn by the citation check) {final.answer}")
    elif not same_claims(stream.text, final.answer):
        # The citation check renumbered or dropped markers: show the text the sources below belong to.
        click.echo(f"(checked citations) {final.answer}")
    _print_sources(final)
    return final


@main.command()
@click.option("--answerer", "-a", envvar="QA_ANSWERER", default=None, help="extractive, local or openai.")
@common_options
def chat(answerer: str | None, collection: str | None) -> None:
    """A conversation in the terminal; follow-up questions use what was said. /new resets, /quit leaves."""
    assistant = open_assistant(collection=collection, answerer=answerer)
    history: list[dict[str, str]] = []
    click.echo(f"Collection {assistant.settings.collection!r}. Ask a question (/new to reset, /quit to leave).")
    while True:
        try:
            question = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if question in ("/quit", "/exit"):
            return
        if question == "/new":
            history = []
            click.echo("(new conversation)")
            continue
        if not question:
            continue
        click.echo("assistant> ", nl=False)
        try:
            answer = _stream_to_terminal(assistant, question, history)
        except AssistantError as exc:
            click.echo(f"Error: {exc}", err=True)
            continue
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]


@main.command()
@click.argument("query")
@click.option("-k", type=click.IntRange(1, 50), default=5, show_default=True, help="How many passages (1-50).")
@click.option("--source", "sources", multiple=True, help="Only search this file (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print passages as JSON.")
@common_options
def search(query: str, k: int, sources: Sequence[str], as_json: bool, collection: str | None) -> None:
    """Show the passages that best match QUERY (no answer is written)."""
    assistant = open_assistant(collection=collection)
    resolved = [str(Path(source).expanduser().resolve()) for source in sources]
    known = {record.source for record in assistant.sources()} if resolved else set()
    for source, path in zip(sources, resolved):
        if path not in known:
            raise click.ClickException(
                f"{source}: not a source of collection {assistant.settings.collection!r}; see `qa sources list`"
            )
    passages = assistant.search(query, k, resolved or None)
    if as_json:
        click.echo(json.dumps([p.model_dump(mode="json") for p in passages], ensure_ascii=False, indent=2))
        return
    for rank, passage in enumerate(passages, start=1):
        page = f" p.{passage.page}" if passage.page else ""
        click.echo(f"{rank}. {Path(passage.source).name}{page} [{passage.start}-{passage.end}] score {passage.score:.4f}")
        click.echo("   " + " ".join(passage.text.split())[:240])
    if not passages:
        click.echo("no matching passages")


@main.group(invoke_without_command=True)
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
    for record in records:
        when = datetime.datetime.fromtimestamp(record.ingested_at).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{record.chunk_count:5d} chunks  {when}  {record.source}")
    click.echo(f"{len(records)} sources in collection {assistant.settings.collection!r}")


@sources.command("remove")
@click.argument("path")
@common_options
@click.pass_context
def remove_source(ctx: click.Context, path: str, collection: str | None) -> None:
    """Delete one file's chunks from the collection (the file on disk is kept)."""
    assistant = open_assistant(collection=collection or (ctx.obj or {}).get("collection"))
    result = assistant.remove(path)
    click.echo(f"removed: {result.source} ({result.chunks} chunks)")


@main.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@common_options
def ui(port: int, host: str, collection: str | None) -> None:
    """Start the Streamlit app in the browser."""
    settings = load_settings({"collection": collection})  # bad settings fail here, with one line
    app = Path(__file__).resolve().parent.parent / "ui" / "Chat.py"
    env = dict(os.environ)
    if collection:
        env["QA_COLLECTION"] = collection
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.address", host, "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.maxUploadSize", str(max(1, int(settings.max_upload_mb)))]
    click.echo(f"Open http://{host}:{port} in your browser (Ctrl-C stops the app).")
    sys.stdout.flush()
    # Streamlit takes over this process, so stopping `qa ui` (Ctrl-C, kill) stops the app too.
    os.execve(sys.executable, command, env)


@main.command()
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Keep 127.0.0.1 unless QA_API_KEYS is set.")
@common_options
def serve(port: int, host: str, collection: str | None) -> None:
    """Serve the HTTP API: /v1/chat/completions (OpenAI-compatible), /v1/search, /v1/documents, /healthz."""
    import uvicorn

    from assistant.api import create_app

    settings = load_settings({"collection": collection})
    click.echo(f"Serving http://{host}:{port} (OpenAPI at /openapi.json, docs at /docs)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def _register_optional_commands() -> None:
    """Entry layers that live in other packages add their own commands here."""
    try:
        from eval.bench import bench_command
        from eval.cli import eval_command
    except ImportError:
        return
    main.add_command(eval_command, "eval")
    main.add_command(bench_command, "bench")


_register_optional_commands()
