"""Under each saved answer: thumbs and a correction (a short answer and a note), stored with everything needed to
replay the question."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant import Settings
from assistant.chats.feedback import FeedbackStore, settings_snapshot
from eval.feedback_gold import is_sentence
from ui.render import escape

SHORT_ANSWER_LABEL = "Short answer (a few words, as the documents put it)"
NOTE_LABEL = "Note (optional)"
SAVED_TEXT = "Saved. Check it on the Evaluation page: run the corrections from this collection."


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
    """Thumbs and a correction (short answer, note, or 'the documents do not answer this') under an answer; both
    are stored with everything needed to replay it."""
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
        text = st.text_input(
            SHORT_ANSWER_LABEL,
            value=(saved.correction or "") if saved else "",
            placeholder="for example: 25 days",
            help="What the documents say, in their words: this is what later evaluations look for in an answer.",
        )
        note = st.text_area(NOTE_LABEL, value=(saved.note or "") if saved else "", height=80)
        unanswerable = st.checkbox("The documents do not answer this", value=bool(saved and saved.unanswerable))
        if st.form_submit_button("Save correction", type="primary"):
            if not text.strip() and not unanswerable:
                st.error("Type the short answer, or tick that the documents do not answer this.")
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
                    note=note,
                    unanswerable=unanswerable,
                    keep_rating=True,
                )
                st.success(SAVED_TEXT)
                if not unanswerable and is_sentence(text):
                    st.caption(
                        "That is a long answer: an evaluation will look for its key words. A few words, as the "
                        "documents put them, give a surer check; anything else fits in the note."
                    )
    saved = feedback.get(conversation_id, position)  # read again: the form may have just saved
    if saved and saved.corrected:
        said = "the documents do not answer this" if saved.unanswerable else f"the right answer is {saved.correction}"
        noted = f" (note: {saved.note})" if saved.note else ""
        st.caption(f"Your correction: {escape(said + noted)}")
