"""Settings chosen in the sidebar and the heavy objects loaded once per process."""

from __future__ import annotations

import streamlit as st

from assistant import Assistant, AssistantError, Settings, load_settings
from assistant.answerers import ANSWERERS, Answerer, build_answerer
from assistant.embedder import Embedder, build_embedder
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
    return build_embedder(Settings(embedder=kind, embedding_model=model))  # type: ignore[arg-type]


@st.cache_resource(show_spinner="Loading the answerer (first time only)...")
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
    return Assistant(
        settings,
        embedder=_embedder(settings.embedder, settings.embedding_model),
        answerer=_answerer(answerer_key(settings)),
    )


def get_assistant(settings: Settings) -> Assistant:
    """The Assistant for these settings, shared by every session of this process."""
    return _assistant(settings.model_dump_json())


def sidebar_settings() -> Settings:
    """Collection, answerer and k from the sidebar, on top of qa.toml and QA_* variables."""
    try:
        base = load_settings()
    except AssistantError as exc:
        st.error(escape(str(exc)))
        st.stop()
    with st.sidebar:
        st.header("Settings")
        collection = st.text_input("Collection", value=st.session_state.get("collection", base.collection))
        names = list(ANSWERERS)
        answerer = st.selectbox("Answerer", names, index=names.index(base.answerer) if base.answerer in names else 0)
        k = st.slider("Passages per answer (k)", 1, min(max(10, base.k), MAX_K), min(base.k, MAX_K))
        if answerer == "local":
            usable, status = model_status(base)
            if usable:
                st.caption(f"Local model: {escape(status)}")
            else:
                st.warning(f"Local model missing: {escape(status)}")
        elif answerer == "openai":
            st.caption(f"Server: {escape(base.llm_base_url) if base.llm_base_url else 'set QA_LLM_BASE_URL'}")
        else:
            st.caption("Extractive: quotes the best sentences, no language model.")
    try:
        settings = load_settings({"collection": collection.strip(), "answerer": answerer, "k": k})
    except AssistantError as exc:
        st.sidebar.error(escape(str(exc)))
        st.stop()
    st.session_state.collection = settings.collection
    return settings
