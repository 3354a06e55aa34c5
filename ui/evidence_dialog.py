"""A passage in its document, opened beside the chat in a dialog (and on the Document page, which links use):
the paragraphs around it with the sentences an answer rests on marked, "Show more" for a wider view, and the
PDF page drawn as an image. Closing the dialog leaves the chat as it was: no page switch, no new URL.

Document text is data: it reaches markdown only through ``ui.evidence_view`` (escaped, Markdown files
formatted by ``ui.markdown_view``, which escapes every character of them too).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from ui.evidence_view import CONTEXT_CHARS, Span, context_markdown, context_window, page_image, passage_markdown
from ui.markdown_view import is_markdown
from ui.render import SHOW_MORE_LABEL, Card, escape, file_name, place_title

DIALOG_NOTE_MARKED = "The sentences the answer rests on are marked in orange, the rest of its passage in grey."
DIALOG_NOTE_FOUND = "The passage found is marked in orange."
WHOLE_DOCUMENT = "This is the whole document."
EARLIER_LABEL = "Earlier in the document"
CHANGED_NOTE = "The document has changed or was removed since; this is the passage as it was found."


def _more_key(key: str) -> str:
    return f"evidence-more-{key}"


def _show_more(key: str) -> None:
    st.session_state[_more_key(key)] = st.session_state.get(_more_key(key), 0) + 1


# The key of the card whose dialog is open: a rerun of the whole page (not only of the dialog) opens it again,
# until the reader closes it.
OPEN_STATE = "evidence_open"


def request_evidence(key: str) -> None:
    """The card's "Open in the document" button: open its dialog, at the first width."""
    st.session_state[OPEN_STATE] = key
    st.session_state[_more_key(key)] = 0


def _closed() -> None:
    st.session_state.pop(OPEN_STATE, None)


def evidence_requested(key: str) -> bool:
    """True while the dialog of the card ``key`` is open."""
    return bool(st.session_state.get(OPEN_STATE) == key)


def open_evidence(card: Card, collection: str, data_dir: str, key: str) -> None:
    """Show the dialog for a card: the passage in its document. Closing it (x, Escape or a click beside it)
    forgets it, and the page is drawn again as it was."""
    st.dialog(place_title(card.span), width="large", on_dismiss=_closed)(_dialog_body)(card, collection, data_dir, key)


def _dialog_body(card: Card, collection: str, data_dir: str, key: str) -> None:
    from ui.state import catalog, document_bytes

    documents = catalog(data_dir)
    span = card.span
    text = documents.texts.text_of(collection, span.source)
    if text is None or text[span.start : span.end] != span.text:
        st.caption(CHANGED_NOTE)
        st.markdown(
            passage_markdown(span.source, span.start, span.text, [Span(h.start, h.end) for h in card.highlights]),
            anchors=False,
        )
        return
    highlights = [Span(h.start, h.end) for h in card.highlights]
    show_in_document(
        text,
        span.source,
        Span(span.start, span.end),
        highlights,
        key,
        lambda offset: documents.texts.page_at(collection, span.source, offset) or span.page,
        lambda: document_bytes(data_dir, collection, span.source),
    )


def show_in_document(
    text: str,
    source: str,
    passage: Span,
    highlights: list[Span],
    key: str,
    page_of: Callable[[int], int | None],
    file_bytes: Callable[[], bytes | None],
) -> None:
    """The passage in its document: the text around it (wider at each "Show more"), its sentences marked, and
    for a PDF the page it is on, drawn with the sentences marked (from ``file_bytes``: the file as added)."""
    more = st.session_state.get(_more_key(key), 0)
    window = context_window(text, passage, CONTEXT_CHARS * (1 + 2 * more))
    if is_markdown(source):
        window = _whole_table(text, window)
    if passage.end > passage.start:
        st.caption(DIALOG_NOTE_MARKED if highlights else DIALOG_NOTE_FOUND)
    # The passage opens the view, so it is seen without scrolling; the text before it is one click away.
    split = max(window.start, min(passage.start, text.rfind("\n", window.start, passage.start) + 1))
    if is_markdown(source):
        split = max(window.start, _whole_table(text, Span(split, window.end)).start)
    if split > window.start:
        with st.expander(EARLIER_LABEL):
            st.markdown(context_markdown(text, source, Span(window.start, split), passage, highlights), anchors=False)
    with st.container(border=True):
        shown = context_markdown(text, source, Span(split, window.end), passage, highlights)
        st.markdown(shown or "(no text)", anchors=False)
    if window.start > 0 or window.end < len(text):
        st.button(SHOW_MORE_LABEL, key=f"evidence-more-button-{key}", on_click=_show_more, args=(key,))
    else:
        st.caption(WHOLE_DOCUMENT)
    page = page_of((highlights[0] if highlights else passage).start)
    if Path(source).suffix.lower() == ".pdf" and page:
        phrases = [text[span.start : span.end] for span in highlights] or [text[passage.start : passage.end]]
        _pdf_page(source, file_bytes(), page, phrases)


def _whole_table(text: str, window: Span, reach: int = 6000) -> Span:
    """A window that starts inside a Markdown table starts at the table's first line (within ``reach``
    characters), so the rows shown have their header."""

    def row_at(position: int) -> bool:
        end = text.find("\n", position)
        return text[position : end if end >= 0 else len(text)].lstrip().startswith("|")

    start = window.start
    while start > 0 and window.start - start < reach and row_at(start):
        previous = text.rfind("\n", 0, start - 1) + 1
        if not row_at(previous):
            break
        start = previous
    return Span(start, window.end)


def _pdf_page(source: str, data: bytes | None, page: int, phrases: list[str]) -> None:
    """The PDF page drawn as an image with the cited phrases marked."""
    st.markdown(f"**Page {page} of {escape(file_name(source))}**")
    drawn = page_image(data, page, phrases) if data is not None else None
    if drawn is None:
        st.caption("The page cannot be shown: the PDF is no longer readable where it was added.")
        return
    note = "the cited sentences are marked in orange" if drawn.marked else "the cited text could not be located on it"
    st.image(drawn.close_up(), caption=f"Page {page}: {note}", width="stretch")
    if drawn.marked:
        with st.expander(f"The whole of page {page}"):
            st.image(drawn.image, width="stretch")
