"""Chat page: ask, watch the answer stream in, check every [n] against its source card."""

from __future__ import annotations

import streamlit as st

from assistant import Answer, Assistant, AssistantError
from assistant.types import Unsupported
from ui.render import (
    REMOVED_HEADING,
    answer_markdown,
    card_title,
    conversation_markdown,
    escape,
    escaped_pieces,
    highlighted,
    refusal_markdown,
    removed_markdown,
)
from ui.state import get_assistant, sidebar_settings

EXAMPLES = ["What does Russia demand?", "What does Trump propose?", "What did Zelensky call NATO membership?"]

st.set_page_config(page_title="Document assistant", page_icon="📄", layout="wide")
settings = sidebar_settings()
st.title("Ask your documents")
st.caption(f"Collection **{escape(settings.collection)}** · answers cite the exact passage they rest on.")

if "messages" not in st.session_state:
    st.session_state.messages = []
messages: list[dict] = st.session_state.messages


def show_removed(unsupported: list[Unsupported], note: str) -> None:
    """The sentences the claim check removed, each struck through beside its reason, in a bordered box."""
    if not unsupported:
        return
    with st.container(border=True):
        st.markdown(f":red[**⚠ {REMOVED_HEADING}**]")
        st.caption(note)
        for item in unsupported:
            st.markdown(removed_markdown(item))


def show_answer(answer: Answer) -> None:
    """Answer text (or the refusal and its reason), what the check removed, then one card per citation."""
    if answer.refused:
        st.info(refusal_markdown(answer), icon=":material/help:")
        show_removed(answer.unsupported, "A draft answer was withdrawn: none of its sentences is stated by the "
                                         "passages it cites.")
        return
    st.markdown(answer_markdown(answer))
    show_removed(answer.unsupported, "Not part of the answer above: the passages these sentences cite do not "
                                     "state them.")
    scores = {passage.chunk_id: passage.score for passage in answer.passages}
    for citation in answer.citations:
        with st.expander(card_title(citation, scores.get(citation.chunk_id))):
            st.markdown(highlighted(citation))
            st.caption(f"Source: {escape(citation.source)}")


def streamed_answer(assistant: Assistant, question: str, history: list[dict]) -> Answer:
    """Show the draft as it is written, then clear it: the checked answer replaces it."""
    stream = assistant.stream(question, history)
    try:
        placeholder = st.empty()
        with placeholder.container():
            st.write_stream(escaped_pieces(stream))
        placeholder.empty()
        return stream.answer
    finally:
        stream.close()


for message in messages:
    with st.chat_message(message["role"]):
        if message["role"] == "user":
            st.text(message["content"])
        else:
            show_answer(Answer.model_validate(message["answer"]))

question = st.chat_input("Ask a question about your documents")
if not messages and not question:
    st.write("Try one of these:")
    for example in EXAMPLES:
        if st.button(example):
            question = example

if question:
    history = [{"role": m["role"], "content": m["content"]} for m in messages]
    with st.chat_message("user"):
        st.text(question)
    with st.chat_message("assistant"):
        try:
            answer = streamed_answer(get_assistant(settings), question, history)
            show_answer(answer)
        except AssistantError as exc:
            st.error(escape(str(exc)))
        else:
            messages.append({"role": "user", "content": question})
            messages.append({"role": "assistant", "content": answer.answer, "answer": answer.model_dump()})

# Drawn last, so they reflect the question just answered.
with st.sidebar:
    st.divider()
    if st.button("New chat", disabled=not messages, width="stretch"):
        st.session_state.messages = []
        st.rerun()
    st.download_button(
        "Export conversation", conversation_markdown(messages), file_name="conversation.md", mime="text/markdown",
        disabled=not messages, width="stretch",
    )
