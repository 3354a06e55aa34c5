"""Documents page: upload and ingest files, find and preview what the collection holds, remove sources."""

from __future__ import annotations

import datetime
from pathlib import Path

import streamlit as st

from assistant import AssistantError
from assistant.app.upload_ingest import ingest_staged
from assistant.app.uploads import Staging
from ingest.indexer import IngestReport, Progress
from ingest.loaders import LOADERS
from ui.render import escape
from ui.state import document_view_link, get_assistant, page_setup, sidebar_settings

PREVIEW_CHARS = 3000

page_setup("Documents", "📚")
settings = sidebar_settings()
st.title("Documents")
st.caption(f"Collection **{escape(settings.collection)}** · upload limit {settings.max_upload_mb} MB per file")

files = st.file_uploader("Add documents", type=[suffix.lstrip(".") for suffix in LOADERS], accept_multiple_files=True)
if files and st.button("Ingest", type="primary", width="stretch"):
    try:
        assistant = get_assistant(settings)
        # Each click stages its own copies of the files: another upload of the same name at the same moment
        # (another tab, the HTTP API) can neither overwrite them before they are read nor undo over them.
        staging = Staging.create(settings.data_dir)
        try:
            for file in files:
                staging.add(file.name, file.getvalue(), settings)
        except BaseException:
            staging.discard()
            raise
        for staged in staging.files:
            if staged.problem:
                st.warning(f"Not added: {escape(staged.problem)}", icon="⚠️")
        bar = st.progress(0.0, text="Starting...")

        def show(event: Progress) -> None:
            if event.stage == "wait":
                bar.progress(0.0, text=escape(event.name))
            elif event.stage == "files" and event.total:
                bar.progress(event.done / event.total, text=f"{event.done}/{event.total} files {escape(event.name)}")

        results = ingest_staged(assistant, staging, show).results
        refused = {staged.problem for staged in staging.files if staged.problem}  # warned about above
        report = IngestReport([r for r in results if r.reason not in refused])
        bar.progress(1.0, text=report.summary())
        rows = [
            {"file": Path(r.source).name, "result": r.status, "chunks": r.chunks, "reason": r.reason or r.warning}
            for r in results
        ]
        if report.ok and report.results:
            st.success(report.summary())
        else:
            st.warning(report.summary())
        st.dataframe(rows, hide_index=True, width="stretch")
    except AssistantError as exc:
        st.error(escape(str(exc)))

st.subheader("Sources")
try:
    assistant = get_assistant(settings)
    records = assistant.sources()
except AssistantError as exc:
    st.error(escape(str(exc)))
    st.stop()
if not records:
    st.info("This collection is empty. Upload documents above, or run `qa ingest PATH`.")
    st.stop()
needle = st.text_input("Filter by name", placeholder="part of a file name", key="source_filter").strip().casefold()
shown = [record for record in records if needle in Path(record.source).name.casefold()]
st.caption(f"{len(shown)} of {len(records)} documents" if needle else f"{len(records)} documents")
for record in shown:
    with st.container(border=True):
        name, details, remove = st.columns([5, 3, 2], vertical_alignment="center")
        name.text(Path(record.source).name)
        when = datetime.datetime.fromtimestamp(record.ingested_at).strftime("%Y-%m-%d %H:%M")
        details.caption(f"{record.chunk_count} chunk{'s' if record.chunk_count != 1 else ''} · {when}")
        if remove.button("Remove", key=f"remove-{record.source}", width="stretch", icon=":material/delete:"):
            try:
                assistant.remove(record.source)
                st.rerun()
            except AssistantError as exc:
                st.error(escape(str(exc)))
        with st.expander("Preview of the extracted text"):
            text = assistant.document_text(record.source) or ""
            st.text(text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else ""))
            st.caption(f"{len(text):,} characters · {escape(record.source)}")
            document_view_link(
                "Open in the document view", {"collection": settings.collection, "source": record.source}
            )
