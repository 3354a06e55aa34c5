"""Documents page: upload and ingest files, find and preview what the collection holds, remove sources."""

from __future__ import annotations

import datetime
from pathlib import Path

import streamlit as st

from assistant import AssistantError
from assistant.app.uploads import save_upload
from ingest.indexer import Progress
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
        saved = []
        rows = []
        for file in files:
            try:
                saved.append(save_upload(settings, file.name, file.getvalue()))
            except AssistantError as exc:
                # One bad file (too large, say) is reported; the rest of the batch is still ingested.
                st.warning(f"Not added: {escape(str(exc))}", icon="⚠️")
                rows.append({"file": file.name, "result": "failed", "chunks": 0, "reason": str(exc)})
        if saved:
            bar = st.progress(0.0, text="Starting...")

            def show(event: Progress) -> None:
                if event.stage == "wait":
                    bar.progress(0.0, text=escape(event.name))
                elif event.stage == "files" and event.total:
                    bar.progress(
                        event.done / event.total, text=f"{event.done}/{event.total} files {escape(event.name)}"
                    )

            report = assistant.ingest(saved, progress=show)
            bar.progress(1.0, text=report.summary())
            rows += [
                {"file": Path(r.source).name, "result": r.status, "chunks": r.chunks, "reason": r.reason or r.warning}
                for r in report.results
            ]
            if report.ok:
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
