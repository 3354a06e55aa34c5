"""Documents page: add files to the collection, find and preview what it holds, remove documents."""

from __future__ import annotations

import datetime
from pathlib import Path

import streamlit as st

from assistant import AssistantError
from assistant.app.upload_ingest import ingest_staged
from assistant.app.uploads import Staging
from ingest.indexer import Progress
from ingest.loaders import LOADERS
from ui.render import escape
from ui.state import document_view_link, get_assistant, page_setup, sidebar_settings

PREVIEW_CHARS = 3000
# What each ingest result means to a person.
RESULT_WORDS = {
    "added": "added",
    "replaced": "updated",
    "unchanged": "already there",
    "removed": "removed",
    "skipped": "not added",
    "failed": "not added",
}

page_setup("Documents", "📚")
settings = sidebar_settings()
st.title("Documents")
st.caption(f"Collection **{escape(settings.storage.collection)}** · up to {settings.server.max_upload_mb} MB per file")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def add_files(files: list) -> None:
    """Stage, ingest with a progress bar, then keep the outcome for the next run (which redraws the sidebar's
    counts) and clear the upload box."""
    try:
        assistant = get_assistant(settings)
        # Each click stages its own copies of the files: another upload of the same name at the same moment
        # (another tab, the HTTP API) can neither overwrite them before they are read nor undo over them.
        staging = Staging.create(settings.storage.data_dir)
        try:
            for file in files:
                staging.add(file.name, file.getvalue(), settings)
        except BaseException:
            staging.discard()
            raise
        bar = st.progress(0.0, text="Starting...")

        def show(event: Progress) -> None:
            if event.stage == "wait":
                bar.progress(0.0, text=escape(event.name))
            elif event.stage == "files" and event.total:
                bar.progress(event.done / event.total, text=f"{event.done} of {event.total} files read")

        results = ingest_staged(assistant, staging, show).results
        bar.empty()
    except AssistantError as exc:
        st.error(escape(str(exc)))
        return
    st.session_state.ingest_outcome = {
        "ok": bool(results) and all(result.status in ("added", "replaced", "unchanged") for result in results),
        "summary": _outcome_line(results),
        "problems": [
            f"{Path(result.source).name}: {result.reason or result.warning}"
            for result in results
            if result.reason or result.warning
        ],
        "rows": [
            {
                "File": Path(result.source).name,
                "Result": RESULT_WORDS.get(result.status, result.status),
                "Passages": result.chunks,
            }
            for result in results
        ],
    }
    st.session_state.uploader_round = st.session_state.get("uploader_round", 0) + 1
    st.rerun()


def _outcome_line(results: list) -> str:
    """'9 files added · collection team', or '7 files added, 2 files not added · collection team'."""
    counts: dict[str, int] = {}
    for result in results:
        word = RESULT_WORDS.get(result.status, result.status)
        counts[word] = counts.get(word, 0) + 1
    if not counts:
        return "No files were read."
    order = list(dict.fromkeys(RESULT_WORDS.values()))
    parts = [_plural(counts[word], "file") + f" {word}" for word in order if word in counts]
    return ", ".join(parts) + f" · collection {settings.storage.collection}"


def remove(source: str) -> None:
    try:
        get_assistant(settings).remove(source)
    except AssistantError as exc:
        st.session_state.remove_problem = str(exc)
    else:
        st.session_state.removed_note = f"Removed {Path(source).name} from {settings.storage.collection}."


outcome = st.session_state.pop("ingest_outcome", None)
if outcome:
    (st.success if outcome["ok"] else st.warning)(escape(outcome["summary"]))
    if outcome["problems"]:
        # Whole reasons, one per line: a table would cut them off.
        st.warning("\n".join(f"- {escape(problem)}" for problem in outcome["problems"]), icon="⚠️")
    st.table(outcome["rows"])
if note := st.session_state.pop("removed_note", None):
    st.success(escape(note), icon=":material/delete:")
if problem := st.session_state.pop("remove_problem", None):
    st.error(escape(problem))

files = st.file_uploader(
    "Add documents",
    type=[suffix.lstrip(".") for suffix in LOADERS],
    accept_multiple_files=True,
    key=f"uploader-{st.session_state.get('uploader_round', 0)}",
)
if files and st.button(
    f"Add {_plural(len(files), 'file')} to {settings.storage.collection}", type="primary", width="stretch"
):
    add_files(files)

st.subheader("In this collection")
try:
    assistant = get_assistant(settings)
    records = assistant.sources()
except AssistantError as exc:
    st.error(escape(str(exc)))
    st.stop()
if not records:
    st.info("This collection has no documents yet. Add some above.")
    st.stop()
needle = st.text_input("Filter by name", placeholder="part of a file name", key="source_filter").strip().casefold()
shown = [record for record in records if needle in Path(record.source).name.casefold()]
st.caption(f"{len(shown)} of {_plural(len(records), 'document')}" if needle else _plural(len(records), "document"))
for record in shown:
    name = Path(record.source).name
    with st.container(border=True):
        title, details, action = st.columns([5, 3, 2], vertical_alignment="center")
        title.text(name)
        when = datetime.datetime.fromtimestamp(record.ingested_at).strftime("%Y-%m-%d %H:%M")
        details.caption(f"{_plural(record.chunk_count, 'passage')} · added {when}")
        with action.popover("Remove", icon=":material/delete:", width="stretch"):
            st.write(f"Remove **{escape(name)}** from {escape(settings.storage.collection)}? Answers stop using it.")
            st.button(
                "Yes, remove it",
                key=f"remove-{record.source}",
                on_click=remove,
                args=(record.source,),
                type="primary",
                width="stretch",
            )
        with st.expander("Preview the text"):
            text = assistant.document_text(record.source) or ""
            st.text(text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else ""))
            st.caption(f"{len(text):,} characters")
            document_view_link(
                "Open the whole document", {"collection": settings.storage.collection, "source": record.source}
            )
