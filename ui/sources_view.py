"""What an answer rests on, shown under it: the passages it cites (or, for a refusal, the closest ones found)
and what the citation check removed."""

from __future__ import annotations

import streamlit as st

from assistant import Answer
from assistant.types import Citation, Unsupported
from ui.render import REMOVED_HEADING, card_title, escape, highlighted, removed_markdown
from ui.state import document_view_link


def show_removed(unsupported: list[Unsupported], note: str) -> None:
    """The sentences the claim check removed, each struck through beside its reason, in a bordered box."""
    if not unsupported:
        return
    with st.container(border=True):
        st.markdown(f":red[**⚠ {REMOVED_HEADING}**]")
        st.caption(note)
        for item in unsupported:
            st.markdown(removed_markdown(item))


def document_link(citation: Citation, collection: str) -> dict[str, str]:
    """Query parameters that open the document view at a citation."""
    spans = citation.highlights or []
    return {
        "collection": collection,
        "source": citation.source,
        "start": str(citation.start),
        "end": str(citation.end),
        "hl": ",".join(f"{span.start}-{span.end}" for span in spans),
    }


def show_sources(answer: Answer, collection: str) -> None:
    """Under an answer: what the check removed, then one card per citation (a refusal: its removed draft)."""
    if answer.refused:
        show_removed(
            answer.unsupported,
            "A draft answer was withdrawn: none of its sentences is stated by the passages it cites.",
        )
        return
    show_removed(
        answer.unsupported, "Not part of the answer above: the passages these sentences cite do not state them."
    )
    scores = {passage.chunk_id: passage.score for passage in answer.passages}
    for citation in answer.citations:
        with st.expander(card_title(citation, scores.get(citation.chunk_id))):
            st.markdown(highlighted(citation))
            st.caption(f"Source: {escape(citation.source)}")
            document_view_link("Open in the document", document_link(citation, collection))
