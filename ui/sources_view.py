"""What an answer rests on, shown under it: one card per passage it cites (numbered 1..n as the text cites
them), or for a refusal the closest passages found; each opens in its document beside the chat. What the
citation check left out is explained in a "Why this answer?" expander."""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from assistant import Answer
from ui.evidence_dialog import evidence_requested, open_evidence, request_evidence
from ui.evidence_view import Span, passage_markdown
from ui.render import (
    CLOSEST_HEADING,
    CLOSEST_NOTE,
    DETAILS_LABEL,
    OPEN_LABEL,
    WHY_LABEL,
    Card,
    answer_cards,
    card_details,
    card_title,
    why_markdown,
)


def answer_key(answer: Answer) -> str:
    """A short key that tells this answer's widgets from another answer's on the same page."""
    return hashlib.sha1(answer.model_dump_json().encode()).hexdigest()[:12]


def show_card(card: Card, collection: str, key: str, data_dir: str | Path | None = None) -> None:
    """A source card: the passage with its supporting sentences marked, "Open in the document" (a dialog beside
    the chat) and a "Details" toggle with the offsets, score and stored path."""
    with st.expander(card_title(card.span, card.number), key=f"card-{key}"):
        highlights = [Span(h.start, h.end) for h in card.highlights]
        st.markdown(passage_markdown(card.span.source, card.span.start, card.span.text, highlights), anchors=False)
        with st.container(horizontal=True, vertical_alignment="center"):
            st.button(
                OPEN_LABEL, key=f"open-{key}", icon=":material/open_in_full:", on_click=request_evidence, args=(key,)
            )
            details = st.toggle(DETAILS_LABEL, key=f"details-{key}")
        if details:
            st.caption(card_details(card))
    if evidence_requested(key):
        open_evidence(card, collection, str(data_dir or _data_dir()), key)


def _data_dir() -> Path:
    from assistant import load_settings

    return load_settings().storage.data_dir


def show_sources(
    answer: Answer, collection: str, *, key: str | None = None, data_dir: str | Path | None = None
) -> None:
    """Under an answer: its source cards and, when the check left sentences out, why. Under a refusal: the
    closest passages found, as cards to open, and why a written answer was withdrawn. ``key`` tells this
    answer's widgets apart (default: from the answer itself); ``data_dir`` is the app's data folder
    (default: from the settings)."""
    prefix = key or answer_key(answer)
    cards = answer_cards(answer)
    if answer.refused and cards:
        st.markdown(f"##### {CLOSEST_HEADING}", anchors=False)
        st.caption(CLOSEST_NOTE)
    for card in cards:
        show_card(card, collection, f"{prefix}-{card.number}", data_dir)
    why = why_markdown(answer)
    if why:
        with st.expander(WHY_LABEL, key=f"why-{prefix}"):
            st.markdown(why)
