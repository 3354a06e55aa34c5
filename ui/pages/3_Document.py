"""Document view, kept for direct links: a cited passage in its context (the paragraphs around it, the PDF page
it sits on), shown as the chat's "Open in the document" dialog shows it. File names only, never server paths."""

from __future__ import annotations

import streamlit as st

from ui.evidence_dialog import show_in_document
from ui.evidence_view import Span, parse_spans
from ui.render import DETAILS_LABEL, escape, file_name
from ui.state import catalog, document_bytes, page_setup, sidebar_settings

page_setup("Document", "📄")
settings = sidebar_settings()
st.title("Document")
params = st.query_params
documents = catalog(str(settings.storage.data_dir))
sources = [record.source for record in documents.records.sources(settings.storage.collection)]
if not sources:
    st.info("This collection is empty. Add documents on the Documents page.")
    st.stop()

linked = params.get("source")
if linked and linked not in sources:
    st.warning(
        f"{escape(file_name(linked))} is not in the collection {escape(settings.storage.collection)} (removed since?)."
    )
source = st.selectbox(
    "Document",
    sources,
    index=sources.index(linked) if linked in sources else 0,
    format_func=file_name,
)
text = documents.texts.text_of(settings.storage.collection, source) or ""


def _offset(name: str) -> int | None:
    value = params.get(name, "")
    return int(value) if value.isdigit() else None


start, end = _offset("start"), _offset("end")
cited = source == linked and start is not None and end is not None and start < end <= len(text)
if cited and start is not None and end is not None:
    passage = Span(start, end)
    highlights = [span for span in parse_spans(params.get("hl")) if start <= span.start and span.end <= end]
else:
    passage = Span(0, 0)
    highlights = []


def _page(offset: int) -> int | None:
    return documents.texts.page_at(settings.storage.collection, source, offset) if cited else None


page = _page((highlights[0] if highlights else passage).start)
st.caption(" · ".join(part for part in (escape(file_name(source)), f"page {page}" if page else "") if part))
if not text:
    st.write("(no text)")
else:
    show_in_document(
        text,
        source,
        passage,
        highlights,
        f"page-{source}-{passage.start}-{passage.end}",
        _page,
        lambda: document_bytes(str(settings.storage.data_dir), settings.storage.collection, source),
    )
if st.toggle(DETAILS_LABEL, key="document-details"):
    where = f"cited passage: characters {passage.start}–{passage.end} · " if cited else ""
    st.caption(f"{where}{len(text):,} characters · stored as {escape(source)}")
