"""Documents page: upload and ingest files, see what the collection holds, remove sources."""

from __future__ import annotations

import datetime
from pathlib import Path

import streamlit as st

from assistant import AssistantError
from assistant.uploads import save_upload
from ingest.indexer import Progress
from ingest.loaders import LOADERS
from ui.render import escape
from ui.state import get_assistant, sidebar_settings

st.set_page_config(page_title="Documents", page_icon="📚", layout="wide")
settings = sidebar_settings()
st.title("Documents")
st.caption(f"Collection **{escape(settings.collection)}** · upload limit {settings.max_upload_mb} MB per file")

files = st.file_uploader(
    "Add documents", type=[suffix.lstrip(".") for suffix in LOADERS], accept_multiple_files=True
)
if files and st.button("Ingest", type="primary"):
    try:
        assistant = get_assistant(settings)
        saved = []
        for file in files:
            try:
                saved.append(save_upload(settings, file.name, file.getvalue()))
            except AssistantError as exc:
                # One bad file (too large, say) is reported; the rest of the batch is still ingested.
                st.warning(f"Not added: {escape(str(exc))}", icon="⚠️")
        if saved:
            bar = st.progress(0.0, text="Starting...")

            def show(event: Progress) -> None:
                if event.stage == "files" and event.total:
                    bar.progress(event.done / event.total, text=f"{event.done}/{event.total} files {escape(event.name)}")

            report = assistant.ingest(saved, progress=show)
            bar.progress(1.0, text=report.summary())
            rows = [{"file": Path(r.source).name, "result": r.status, "chunks": r.chunks, "reason": r.reason}
                    for r in report.results]
            st.dataframe(rows, hide_index=True, width="stretch")
            if report.ok:
                st.success(report.summary())
            else:
                st.warning(report.summary())
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
for record in records:
    left, middle, right = st.columns([6, 3, 1])
    left.text(Path(record.source).name)
    when = datetime.datetime.fromtimestamp(record.ingested_at).strftime("%Y-%m-%d %H:%M")
    middle.caption(f"{record.chunk_count} chunks · {when}")
    if right.button("Remove", key=f"remove-{record.source}"):
        try:
            assistant.remove(record.source)
            st.rerun()
        except AssistantError as exc:
            st.error(escape(str(exc)))
