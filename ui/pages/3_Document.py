"""Document view: a cited passage in its context (the paragraphs around it, the PDF page it sits on)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.evidence_view import Span, context_window, marked_markdown, page_image, parse_spans
from ui.render import escape
from ui.state import catalog, page_setup, sidebar_settings

page_setup("Document", "📄")
settings = sidebar_settings()
st.title("Document")
params = st.query_params
records = catalog(str(settings.data_dir)).sources(settings.collection)
sources = [record.source for record in records]
if not sources:
    st.info("This collection is empty. Add documents on the Documents page, or run `qa ingest PATH`.")
    st.stop()

linked = params.get("source")
if linked and linked not in sources:
    st.warning(f"{escape(linked)} is not in the collection {escape(settings.collection)} (removed since?).")
source = st.selectbox(
    "Document",
    sources,
    index=sources.index(linked) if linked in sources else 0,
    format_func=lambda path: Path(path).name,
)
text = catalog(str(settings.data_dir)).document_text(settings.collection, source) or ""


def _offset(name: str) -> int | None:
    value = params.get(name, "")
    return int(value) if value.isdigit() else None


start, end = _offset("start"), _offset("end")
cited = source == linked and start is not None and end is not None and start < end <= len(text)
if cited and start is not None and end is not None:
    passage = Span(start, end)
    highlights = [span for span in parse_spans(params.get("hl")) if start <= span.start and span.end <= end]
else:
    passage = Span(0, min(len(text), 1))
    highlights = []
pages = (
    catalog(str(settings.data_dir)).page_at(
        settings.collection, source, (highlights[0] if highlights else passage).start
    )
    if cited
    else None
)
st.caption(
    " · ".join(
        part
        for part in (
            escape(source),
            f"page {pages}" if pages else "",
            f"cited passage: characters {passage.start}-{passage.end}" if cited else "",
            f"{len(text):,} characters",
        )
        if part
    )
)

if cited:
    st.markdown(marked_markdown(text, context_window(text, passage), passage, highlights))
else:
    st.markdown(marked_markdown(text, Span(0, min(len(text), 4000)), Span(0, 0), []) if text else "(no text)")
if Path(source).suffix.lower() == ".pdf" and pages:
    st.subheader(f"Page {pages} of the PDF")
    phrases = [text[span.start : span.end] for span in highlights] or [text[passage.start : passage.end]]
    drawn = page_image(Path(source), pages, phrases) if Path(source).is_file() else None
    if drawn is None:
        st.caption(f"The PDF page cannot be shown: {escape(source)} is no longer readable where it was ingested.")
    else:
        note = (
            "the cited sentences are marked in orange" if drawn.marked else "the cited text could not be located on it"
        )
        st.image(drawn.close_up(), caption=f"Page {pages}: {note}", width="stretch")
        if drawn.marked:
            with st.expander(f"The whole of page {pages}"):
                st.image(drawn.image, width="stretch")
