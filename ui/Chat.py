"""Chat page: ask, watch the answer stream in, check every [n] against its source card."""

from __future__ import annotations

import streamlit as st

from assistant import Answer, AssistantError
from ui.render import answer_markdown, card_title, conversation_markdown, escape, highlighted
from ui.state import get_assistant, sidebar_settings

EXAMPLES = ["What does Russia demand?", "What does Trump propose?", "What did Zelensky call NATO membership?"]

st.set_page_config(page_title="Document assistant", page_icon="📄", layout="wide")
settings = sidebar_settings()
st.title("Ask your documents")
st.caption(f"Collection **{escape(settings.collection)}** · answers cite the exact passage they rest on.")

if "messages" not in st.session_state:
    st.session_state.messages = []
messages: list[dict] = st.session_state.messages


def show_answer(answer: Answer) -> None:
    """Answer text, then one expandable card per citation."""
    if answer.refused:
        st.info(answer.answer, icon="🤷")
        if answer.unsupported:
            st.caption("An answer was drafted but withdrawn: it did not cite any passage that was shown.")
        return
    st.markdown(answer_markdown(answer))
    if answer.unsupported:
        st.caption("⚠ Marked sentences are not supported by the passages they cite.")
    scores = {passage.chunk_id: passage.score for passage in answer.passages}
    for citation in answer.citations:
        with st.expander(card_title(citation, scores.get(citation.chunk_id))):
            st.markdown(highlighted(citation))
            st.caption(f"Source: {escape(citation.source)}")


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
            assistant = get_assistant(settings)
            final: dict[str, Answer] = {}

            def text_pieces():  # noqa: ANN202 - a generator for st.write_stream
                for piece in assistant.stream(question, history):
                    if isinstance(piece, Answer):
                        final["answer"] = piece
                    else:
                        yield piece

            placeholder = st.empty()
            with placeholder.container():
                st.write_stream(text_pieces())
            placeholder.empty()
            answer = final["answer"]
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
