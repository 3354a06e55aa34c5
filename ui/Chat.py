"""Chat page: ask, watch the answer stream in, check every [n] against its source; chats are saved."""

from __future__ import annotations

import datetime
from typing import Any

import streamlit as st

from assistant import Answer, Assistant, AssistantError, Settings
from assistant.chats.conversations import title_from
from ui.examples import example_questions
from ui.feedback_view import show_feedback
from ui.render import (
    answer_markdown,
    conversation_markdown,
    escape,
    escaped_pieces,
    export_file_name,
    refusal_markdown,
    timings_caption,
)
from ui.sources_view import show_sources
from ui.state import (
    catalog,
    conversations,
    data_folder,
    empty_collection_notice,
    feedback_store,
    get_assistant,
    load_answerer,
    model_banner,
    page_setup,
    sidebar_settings,
)

page_setup("Document assistant", "📄")
store = conversations(str(data_folder()))
chat_id = st.query_params.get("chat")
current = store.get(chat_id) if chat_id else None
if chat_id and current is None:
    st.warning("That conversation no longer exists (it was deleted); a new one starts here.")
    del st.query_params["chat"]
# An open chat answers from its own collection, whatever the sidebar showed before.
settings = sidebar_settings(pinned=current.collection if current else None)
feedback = feedback_store(str(settings.storage.data_dir))
model_banner(settings)
messages: list[dict[str, Any]] = store.messages(current.id) if current else []
st.session_state.messages = messages

if current is None:
    st.title("Ask your documents")
else:
    st.header(escape(current.title))
st.caption(f"Collection **{escape(settings.storage.collection)}** · answers cite the exact passage they rest on.")
empty = empty_collection_notice(settings)


def show_answer(answer: Answer, collection: str, key: str) -> None:
    """Answer text (or the refusal and its reason), then what it rests on (``key`` tells its widgets apart)."""
    if answer.refused:
        st.info(refusal_markdown(answer), icon=":material/help:")
    else:
        st.markdown(answer_markdown(answer))
    show_sources(answer, collection, key=key, data_dir=str(settings.storage.data_dir))
    if st.session_state.get("show_timings"):
        st.caption(f"Timings: {timings_caption(answer)}")


def streamed_answer(assistant: Assistant, question: str, history: list[dict]) -> Answer:
    """Show the checked answer a sentence at a time, then clear it: the answer with its citations replaces it."""
    stream = assistant.stream(question, history)
    try:
        placeholder = st.empty()
        with placeholder.container():
            st.write_stream(escaped_pieces(stream))
        placeholder.empty()
        return stream.answer
    finally:
        stream.close()


for position, message in enumerate(messages):
    with st.chat_message(message["role"]):
        if message["role"] == "user":
            st.text(message["content"])
            continue
        show_answer(
            Answer.model_validate(message["answer"]),
            current.collection if current else settings.storage.collection,
            f"{current.id if current else 'new'}-{position}",
        )
        note = st.session_state.get("load_note")
        if note and note[0] == (current.id if current else None) and note[1] == position:
            st.caption(note[2])
        if current is not None:
            turns = [{"role": m["role"], "content": m["content"]} for m in messages[: position - 1]]
            show_feedback(
                feedback, settings, current.id, position, messages[position - 1]["content"], turns, message["answer"]
            )

question = st.chat_input("Ask a question about your documents")
examples = (
    []
    if messages or question or empty
    else example_questions(catalog(str(settings.storage.data_dir)), settings.storage.collection)
)
if examples:
    st.write("Try one of these:")
    for example in examples:
        if st.button(example):
            question = example


def answer_question(settings: Settings, question: str) -> None:
    """Answer, save both turns (a new conversation on the first question), then redraw from the saved chat."""
    history = [{"role": m["role"], "content": m["content"]} for m in messages]
    with st.chat_message("user"):
        st.text(question)
    with st.chat_message("assistant"):
        try:
            took = load_answerer(settings)
            answer = streamed_answer(get_assistant(settings), question, history)
        except AssistantError as exc:
            st.error(escape(str(exc)))
            return
    conversation = current or store.create(title_from(question), settings.storage.collection)
    store.add_message(conversation.id, "user", question)
    position = store.add_message(conversation.id, "assistant", answer.answer, answer.model_dump())
    if took is not None and took >= 0.5:  # a model that was already in memory is not news
        what = "embedding model" if settings.llm.answerer == "extractive" else "language model"
        st.session_state.load_note = (
            conversation.id,
            position,
            f"Loaded the {what} in {took:.1f} s (first question only).",
        )
    st.query_params["chat"] = conversation.id
    st.rerun()


if question:
    answer_question(settings, question)


def _open(conversation_id: str, collection: str) -> None:
    st.query_params["chat"] = conversation_id
    st.query_params["collection"] = collection


def _new_chat() -> None:
    st.query_params.pop("chat", None)


def _rename(conversation_id: str) -> None:
    try:
        store.rename(conversation_id, st.session_state.get(f"rename-{conversation_id}", ""))
    except AssistantError as exc:
        st.session_state.rename_problem = str(exc)
    else:
        st.session_state.rename_problem = None


def _delete(conversation_id: str) -> None:
    store.delete(conversation_id)
    st.query_params.pop("chat", None)


with st.sidebar:
    st.divider()
    st.button("New chat", disabled=current is None, width="stretch", on_click=_new_chat, icon=":material/add:")
    if current is not None:
        with st.expander("This conversation"):
            # A form, so Enter in the title renames too, and the click is never raced by Enter's own rerun.
            with st.form(f"rename-form-{current.id}", border=False):
                st.text_input("Title", value=current.title, key=f"rename-{current.id}")
                st.form_submit_button("Rename", on_click=_rename, args=(current.id,), width="stretch")
            if st.session_state.get("rename_problem"):
                st.error(escape(st.session_state.rename_problem))
            st.download_button(
                "Export as Markdown",
                conversation_markdown(messages, current.title),
                file_name=export_file_name(current.title, ".md"),
                mime="text/markdown",
                width="stretch",
            )
            st.download_button(
                "Export as JSON",
                store.export_json(current.id),
                file_name=export_file_name(current.title, ".json"),
                mime="application/json",
                width="stretch",
            )
            with st.popover("Delete conversation", icon=":material/delete:", width="stretch"):
                st.write(f"Delete **{escape(current.title)}** ? This cannot be undone.")
                st.button("Yes, delete it", on_click=_delete, args=(current.id,), type="primary", width="stretch")
    saved_chats = store.list()
    if saved_chats:
        st.subheader("Conversations")
    for conversation in saved_chats[:50]:
        when = datetime.datetime.fromtimestamp(conversation.updated_at).strftime("%Y-%m-%d %H:%M")
        st.button(
            f"{escape(conversation.title)}  \n{when} · {escape(conversation.collection)}",
            key=f"open-{conversation.id}",
            width="stretch",
            on_click=_open,
            args=(conversation.id, conversation.collection),
            type="primary" if current is not None and conversation.id == current.id else "secondary",
        )
