"""Under each saved answer: thumbs and a correction, stored with everything needed to replay the question."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant import Settings
from assistant.feedback import FeedbackStore, settings_snapshot
from ui.render import escape


def _store_feedback(
    feedback: FeedbackStore,
    settings: Settings,
    conversation_id: str,
    position: int,
    question: str,
    history: list[dict[str, str]],
    answer: dict[str, Any],
    **verdict: Any,
) -> None:
    """Save a rating or correction (``verdict``) with the question, history, answer and settings to replay it."""
    feedback.save(
        conversation_id=conversation_id,
        position=position,
        question=question,
        history=history,
        answer=answer,
        settings=settings_snapshot(settings),
        **verdict,
    )


def _save_rating(
    feedback: FeedbackStore,
    settings: Settings,
    conversation_id: str,
    position: int,
    question: str,
    history: list[dict[str, str]],
    answer: dict[str, Any],
    key: str,
) -> None:
    _store_feedback(
        feedback,
        settings,
        conversation_id,
        position,
        question,
        history,
        answer,
        rating=st.session_state.get(key),
        keep_correction=True,
    )


def show_feedback(
    feedback: FeedbackStore,
    settings: Settings,
    conversation_id: str,
    position: int,
    question: str,
    history: list[dict[str, str]],
    answer: dict[str, Any],
) -> None:
    """Thumbs and 'the right answer is ...' under an answer; both are stored with everything needed to replay it."""
    saved = feedback.get(conversation_id, position)
    key = f"thumbs-{conversation_id}-{position}"
    row = st.container(horizontal=True, vertical_alignment="center")
    with row:
        st.feedback(
            "thumbs",
            key=key,
            default=saved.rating if saved else None,
            on_change=_save_rating,
            args=(feedback, settings, conversation_id, position, question, history, answer, key),
        )
    with (
        row.popover("Correct this answer", icon=":material/edit:"),
        st.form(f"correct-{conversation_id}-{position}", border=False),
    ):
        text = st.text_input("The right answer is ...", value=(saved.correction or "") if saved else "")
        unanswerable = st.checkbox("The documents do not answer this", value=bool(saved and saved.unanswerable))
        if st.form_submit_button("Save correction", type="primary"):
            if not text.strip() and not unanswerable:
                st.error("Type the right answer, or tick that the documents do not answer this.")
            else:
                _store_feedback(
                    feedback,
                    settings,
                    conversation_id,
                    position,
                    question,
                    history,
                    answer,
                    correction=text,
                    unanswerable=unanswerable,
                    keep_rating=True,
                )
                st.success("Saved: it is exported with the corrections on the Evaluation page.")
    saved = feedback.get(conversation_id, position)  # read again: the form may have just saved
    if saved and saved.corrected:
        said = "the documents do not answer this" if saved.unanswerable else f"the right answer is {saved.correction}"
        st.caption(f"Your correction: {escape(said)}")
