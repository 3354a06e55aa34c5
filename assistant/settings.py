"""One typed settings object, built once: defaults < qa.toml < QA_* environment < explicit overrides."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypedDict, Unpack

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.errors import ConfigError

COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")
CONFIG_NAME = "qa.toml"
# The data folder of a project that has a qa.toml: beside it.
PROJECT_DATA_DIR = ".qa-data"
# QA_* variables that are not settings (read by the test and benchmark hooks), so never "did you mean"-ed.
OTHER_VARIABLES = frozenset({"QA_CONFIG", "QA_CRASH_AT", "QA_PAUSE_AT", "QA_PAUSE_S", "QA_BENCH_SCALE_DIR"})


# The backends each swappable part can be built with: listed here once. The settings accept exactly these names;
# the factories (embedder.EMBEDDERS, answerers.ANSWERERS, llm.CHAT_MODELS, llm.RUNTIMES) are keyed by them.
EmbedderName = Literal["sentence-transformers", "onnx", "onnx-int8", "fake"]
ChatBackend = Literal["local", "openai"]
AnswererName = Literal[ChatBackend, "extractive"]
FusionName = Literal["weighted", "rrf"]
RuntimeName = Literal["llama-cpp", "xllamacpp"]


def user_data_dir() -> Path:
    """The per-user data folder (e.g. ~/.local/share/cited-qa on Linux), so that `qa` run from any directory
    finds the same collections."""
    import platformdirs

    return Path(platformdirs.user_data_dir("cited-qa", appauthor=False))


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class StorageSettings(_Group):
    """Where the collections live and which one is used."""

    data_dir: Path = Field(
        default_factory=user_data_dir,
        description="Where collections, indexes and uploads live: by default the folder of the nearest qa.toml "
        "(its .qa-data), else one folder per user (platformdirs' user data dir, e.g. ~/.local/share/cited-qa).",
    )
    collection: str = Field("docs", description="Name of the document collection to use.")
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (chroma run ...); unset means the embedded store."
    )
    database_url: str | None = Field(
        None,
        description="PostgreSQL URL (postgresql://user@host:port/db) for everything that is not a vector: "
        "the catalog, keyword index, chats, feedback and uploads, shared by several app servers; unset means "
        "SQLite files in the data folder.",
    )

    @field_validator("collection")
    @classmethod
    def _check_collection(cls, name: str) -> str:
        if not COLLECTION_NAME.match(name) or ".." in name:
            raise ValueError(
                f"invalid collection name {name!r}: use 3-512 characters of letters, digits, '.', '_' or '-', "
                "starting and ending with a letter or digit"
            )
        return name


class ModelSettings(_Group):
    """Where model files are cached and which embedding model turns text into vectors: all an embedder is
    built from."""

    dir: Path | None = Field(
        None, description="Where assembled model files are cached (default: ~/.cache/cited-qa/models)."
    )
    embedder: EmbedderName = Field(
        "onnx-int8",
        description="Embedding backend: onnx-int8 (default) and onnx are the embedding model exported to ONNX at "
        "`make install` and run by onnxruntime without torch (int8: weights quantised, ~2x faster than onnx, same "
        "retrieval scores within 0.01); sentence-transformers runs it in torch; 'fake' is a hash-seeded test double.",
    )
    embedding_model: str | None = Field(
        None, description="Path of a sentence-transformers model; unset means the packaged all-MiniLM-L6-v2."
    )

    @property
    def resolved_dir(self) -> Path:
        """The models directory, shared by every data directory unless set."""
        return self.dir if self.dir is not None else Path.home() / ".cache" / "cited-qa" / "models"


class LLMSettings(_Group):
    """The answer writer and the language model it writes with."""

    answerer: AnswererName = Field(
        "local", description="Answer writer: local (packaged model), openai (any server) or extractive."
    )
    model_path: Path | None = Field(
        None, description="A GGUF file to use instead of the packaged model (local answerer)."
    )
    base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server (openai answerer).")
    model: str = Field("default", description="Model name sent to the OpenAI-compatible server.")
    api_key: str | None = Field(None, description="API key for the OpenAI-compatible server.")
    chat_model: str | None = Field(
        None,
        description="A LangChain chat model named 'provider:model' (e.g. openai:gpt-4o-mini, ollama:llama3.2) that "
        "the openai answerer writes through instead of its own HTTP client; needs the provider's package "
        "(e.g. pip install langchain-openai). llm_base_url and llm_api_key, when set, are passed to it.",
    )
    timeout_s: float = Field(120.0, gt=0, description="Seconds to wait for the language model.")
    context_tokens: int = Field(4096, ge=512, description="Context window of the language model.")
    excerpt_chars: int = Field(
        900,
        ge=100,
        le=8000,
        description="Most characters of passage text the language model sees: the sentences near the best one, "
        "their continuations and whole lists, most relevant first; fewer answer sooner.",
    )
    max_tokens: int = Field(220, ge=16, description="Longest answer the language model may write (tokens).")
    threads: int = Field(2, ge=1, description="CPU threads for the local model.")
    runtime: Literal["auto", RuntimeName] = Field(
        "auto",
        description="What runs the local model: llama-cpp (llama-cpp-python built for this CPU by `make install`; "
        "reads prompts faster), xllamacpp (the generic wheel) or auto (llama-cpp when installed for this CPU, "
        "else xllamacpp).",
    )


class RetrievalSettings(_Group):
    """How passages are found and ranked."""

    k: int = Field(5, ge=1, le=50, description="Passages shown to the answerer.")
    candidates: int = Field(50, ge=1, le=200, description="Candidates taken from each retriever before fusion.")
    fusion: FusionName = Field(
        "weighted",
        description="How dense and keyword candidates combine: weighted (dense similarity and BM25 relative to the "
        "query's best, mixed by dense_weight) or rrf (reciprocal rank fusion, rank only).",
    )
    dense_weight: float = Field(0.5, ge=0.0, le=1.0, description="Share of the dense similarity in weighted fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant (fusion = rrf).")
    second_sentence_weight: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Share of a chunk's second-best sentence similarity (above the query's floor) added to its best "
        "one: a passage whose other sentences match too outranks one that repeats a single sentence (a digest). "
        "Off by default: on the dev sets it helped the distractors and cost COVID-QA.",
    )
    source_spread: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Score a passage loses for each passage of the same document ranked above it, so that the top k "
        "reaches more documents.",
    )


class AnsweringSettings(_Group):
    """When an answer is refused, how its claims are checked and what it may link to."""

    min_relevance: float = Field(
        0.35,
        ge=0.0,
        le=1.0,
        description="Best sentence similarity below which an answerer refuses without writing (all answerers).",
    )
    min_term_coverage: float = Field(
        0.5,
        ge=0.0,
        lt=1.0,
        description="Refuse unless more than this share of the question's words is in the passages (for the "
        "generative answerers this share is enough, and a question of one or two content words needs one; "
        "polite wrapping such as 'could you tell me' is not counted).",
    )
    semantic_check: bool = Field(
        True,
        description="Ask the answerer's language model whether the cited passage sentences assert each answer "
        "sentence and whether the answer answers the question asked (local and openai answerers); off: the "
        "word checks alone.",
    )
    link_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts an answer may link to (http or https, their subdomains too); a link to any other host "
        "keeps its text and is not a link. Empty: no link in an answer is live. Images are never shown.",
    )


class IngestSettings(_Group):
    """How files are read, bounded and cut into passages."""

    chunk_size: int = Field(
        1000,
        ge=100,
        le=4000,
        description="Target chunk length in characters (chunks are embedded sentence by sentence).",
    )
    chunk_overlap: int = Field(200, ge=0, description="Characters of context repeated between chunks.")
    max_file_mb: int = Field(
        100, ge=1, description="Largest file an ingest reads; a larger one is refused before it is read."
    )
    max_text_chars: int = Field(
        20_000_000,
        ge=1000,
        description="Most characters of text taken from one PDF, DOCX or HTML file; a file with more is refused "
        "(with max_file_mb it also bounds what a .docx may unpack to).",
    )
    follow_outside_links: bool = Field(
        False,
        description="Ingest the files that links in a folder point to when they lie outside that folder (off: such "
        "links are skipped with a note, so a link cannot make a file elsewhere on the machine searchable).",
    )
    max_sentence_vectors: int = Field(
        50_000,
        ge=1000,
        description="Most sentence vectors one file gets: a longer file (a table of a million rows, a huge book) is "
        "embedded a chunk at a time, one vector per chunk, so that the store's memory and an ingest's time stay in "
        "proportion to its text.",
    )
    embed_batch_size: int = Field(
        2048,
        ge=1,
        description="Sentences embedded together during ingest, gathered across files (a folder of small files "
        "would otherwise embed a few at a time); the embedder runs them shortest first, so larger batches pad less.",
    )

    writer_timeout_s: float = Field(
        600.0,
        ge=0,
        description="Seconds an ingest waits for another one writing to the same data folder before it gives up.",
    )


class ServerSettings(_Group):
    """What `qa serve` and `qa ui` accept and how many requests may wait."""

    max_upload_mb: int = Field(25, ge=1, description="Largest file the UI or HTTP service accepts.")
    max_upload_request_mb: int = Field(
        100,
        ge=1,
        description="Largest upload request (all its files together) `qa serve` accepts; a larger one gets 413 while "
        "it streams, before it is stored.",
    )
    max_request_mb: int = Field(
        4,
        ge=1,
        description="Largest JSON request body (chat, search) `qa serve` accepts; a larger one gets 413 before it "
        "is read.",
    )
    upload_queue: int = Field(
        8,
        ge=0,
        le=1000,
        description="Upload and removal requests `qa serve` lets wait for the data folder's writer lock (one writes "
        "at a time); a request beyond them gets 503 with Retry-After.",
    )
    answer_queue: int = Field(
        4,
        ge=0,
        le=1000,
        description="Chat requests `qa serve` lets wait while answers are written (one at a time with the local "
        "model); a request beyond them gets 503 with Retry-After instead of waiting without bound.",
    )
    api_keys: list[str] = Field(default_factory=list, description="Keys accepted by `qa serve` (empty: open).")

    @field_validator("api_keys")
    @classmethod
    def _check_api_keys(cls, keys: list[str]) -> list[str]:
        if any(not key.strip() for key in keys):
            raise ValueError("an API key is blank; give each key as text, or no keys at all to serve without them")
        return keys


# Every setting by the name it has always had (the qa.toml key; QA_<NAME IN CAPS> in the environment; a keyword of
# Settings(...) and load_settings({...})) -> (group, name in the group). In the order `qa` lists them.
FLAT_NAMES: dict[str, tuple[str, str]] = {
    "data_dir": ("storage", "data_dir"),
    "models_dir": ("models", "dir"),
    "collection": ("storage", "collection"),
    "chroma_url": ("storage", "chroma_url"),
    "database_url": ("storage", "database_url"),
    "embedder": ("models", "embedder"),
    "embedding_model": ("models", "embedding_model"),
    "embed_batch_size": ("ingest", "embed_batch_size"),
    "chunk_size": ("ingest", "chunk_size"),
    "chunk_overlap": ("ingest", "chunk_overlap"),
    "k": ("retrieval", "k"),
    "candidates": ("retrieval", "candidates"),
    "fusion": ("retrieval", "fusion"),
    "dense_weight": ("retrieval", "dense_weight"),
    "rrf_k": ("retrieval", "rrf_k"),
    "second_sentence_weight": ("retrieval", "second_sentence_weight"),
    "source_spread": ("retrieval", "source_spread"),
    "min_relevance": ("answering", "min_relevance"),
    "min_term_coverage": ("answering", "min_term_coverage"),
    "semantic_check": ("answering", "semantic_check"),
    "answerer": ("llm", "answerer"),
    "llm_model_path": ("llm", "model_path"),
    "llm_base_url": ("llm", "base_url"),
    "llm_model": ("llm", "model"),
    "llm_api_key": ("llm", "api_key"),
    "llm_chat_model": ("llm", "chat_model"),
    "llm_timeout_s": ("llm", "timeout_s"),
    "llm_context_tokens": ("llm", "context_tokens"),
    "llm_excerpt_chars": ("llm", "excerpt_chars"),
    "llm_max_tokens": ("llm", "max_tokens"),
    "llm_threads": ("llm", "threads"),
    "llm_runtime": ("llm", "runtime"),
    "writer_timeout_s": ("ingest", "writer_timeout_s"),
    "max_upload_mb": ("server", "max_upload_mb"),
    "max_file_mb": ("ingest", "max_file_mb"),
    "max_text_chars": ("ingest", "max_text_chars"),
    "link_hosts": ("answering", "link_hosts"),
    "follow_outside_links": ("ingest", "follow_outside_links"),
    "max_upload_request_mb": ("server", "max_upload_request_mb"),
    "max_request_mb": ("server", "max_request_mb"),
    "upload_queue": ("server", "upload_queue"),
    "max_sentence_vectors": ("ingest", "max_sentence_vectors"),
    "api_keys": ("server", "api_keys"),
    "answer_queue": ("server", "answer_queue"),
}
GROUPED_NAMES = {place: flat for flat, place in FLAT_NAMES.items()}


class SettingsKeywords(TypedDict, total=False):
    """The keywords of ``Settings(...)`` and ``Settings.updated(...)``: a group, or a setting by its flat name."""

    storage: Any  # StorageSettings or a mapping
    models: Any  # ModelSettings or a mapping
    llm: Any  # LLMSettings or a mapping
    retrieval: Any  # RetrievalSettings or a mapping
    answering: Any  # AnsweringSettings or a mapping
    ingest: Any  # IngestSettings or a mapping
    server: Any  # ServerSettings or a mapping
    data_dir: Any
    models_dir: Any
    collection: Any
    chroma_url: Any
    database_url: Any
    embedder: Any
    embedding_model: Any
    embed_batch_size: Any
    chunk_size: Any
    chunk_overlap: Any
    k: Any
    candidates: Any
    fusion: Any
    dense_weight: Any
    rrf_k: Any
    second_sentence_weight: Any
    source_spread: Any
    min_relevance: Any
    min_term_coverage: Any
    semantic_check: Any
    answerer: Any
    llm_model_path: Any
    llm_base_url: Any
    llm_model: Any
    llm_api_key: Any
    llm_chat_model: Any
    llm_timeout_s: Any
    llm_context_tokens: Any
    llm_excerpt_chars: Any
    llm_max_tokens: Any
    llm_threads: Any
    llm_runtime: Any
    writer_timeout_s: Any
    max_upload_mb: Any
    max_file_mb: Any
    max_text_chars: Any
    link_hosts: Any
    follow_outside_links: Any
    max_upload_request_mb: Any
    max_request_mb: Any
    upload_queue: Any
    max_sentence_vectors: Any
    api_keys: Any
    answer_queue: Any


class Settings(BaseModel):
    """Everything the assistant can be configured with, in groups (``settings.retrieval.k``,
    ``settings.llm.base_url``, ...). Each setting also has a flat name (FLAT_NAMES: ``k``, ``llm_base_url``):
    its qa.toml key, its ``QA_<NAME>`` environment variable and its keyword here (``Settings(k=3)``)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    storage: StorageSettings = Field(default_factory=StorageSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answering: AnsweringSettings = Field(default_factory=AnsweringSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    def __init__(self, **values: Unpack[SettingsKeywords]) -> None:
        super().__init__(**values)

    @model_validator(mode="before")
    @classmethod
    def _group_flat_names(cls, data: Any) -> Any:
        """Flat names (``k=3``) go into their group; given beside a group (``retrieval={...}``) they win."""
        return group_flat_names(data) if isinstance(data, Mapping) else data

    def updated(self, **changes: Unpack[SettingsKeywords]) -> Settings:
        """A copy with ``changes`` (flat names or groups), validated like any settings."""
        return Settings.model_validate({**self.model_dump(), **changes})

    def flat(self) -> dict[str, Any]:
        """Every setting by its flat name (``{"k": 5, "llm_base_url": None, ...}``)."""
        return {flat: getattr(getattr(self, group), name) for flat, (group, name) in FLAT_NAMES.items()}


def group_flat_names(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with each flat name moved into its group's mapping; other keys are left for validation to judge."""
    grouped: dict[str, Any] = {}
    for key, value in data.items():
        if key in FLAT_NAMES:
            continue
        grouped[key] = value.model_dump() if key in GROUP_MODELS and isinstance(value, BaseModel) else value
    for key, value in data.items():
        if key in FLAT_NAMES:
            group, name = FLAT_NAMES[key]
            current = grouped.get(group)
            grouped[group] = {**(current if isinstance(current, Mapping) else {}), name: value}
    return grouped


GROUP_MODELS: dict[str, type[BaseModel]] = {
    name: field.annotation for name, field in Settings.model_fields.items() if isinstance(field.annotation, type)
}


def flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    """Settings given by group (``{"retrieval": {"k": 3}}``, a ``[retrieval]`` table) by their flat names
    (``{"k": 3}``); flat names pass as they are, and a group's unknown keys stay in it for validation to name."""
    flat: dict[str, Any] = {}
    for key, given in data.items():
        value = given.model_dump(exclude_unset=True) if isinstance(given, BaseModel) else given
        if key in GROUP_MODELS and isinstance(value, Mapping):
            for inner, item in value.items():
                if (key, inner) in GROUPED_NAMES:
                    flat[GROUPED_NAMES[key, inner]] = item
                else:
                    flat.setdefault(key, {})[inner] = item
        else:
            flat[key] = value
    return flat


# The layout of the settings a report or a feedback row stores. 1 (no "settings_version" key): flat names
# ({"k": 5, "llm_model": ...}), written before the groups; 2: by group ({"retrieval": {"k": 5}, ...}).
SETTINGS_VERSION = 2


def dump_settings(
    settings: Settings, *, only: Iterable[str] | None = None, leave_out: Iterable[str] = ()
) -> dict[str, Any]:
    """``settings`` as JSON values by group, with ``settings_version``: what a report or a feedback row keeps.
    ``only`` and ``leave_out`` name settings by their flat names (``k``, ``llm_api_key``)."""
    grouped = settings.model_dump(mode="json")
    kept = (set(FLAT_NAMES) if only is None else set(only)) - set(leave_out)
    dump: dict[str, Any] = {"settings_version": SETTINGS_VERSION}
    for name, (group, inner) in FLAT_NAMES.items():
        if name in kept:
            dump.setdefault(group, {})[inner] = grouped[group][inner]
    return dump


def read_settings_dump(dump: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a report or a feedback row stored, by flat name (``{"k": 5, "answerer": "local"}``),
    whichever layout (SETTINGS_VERSION) wrote them."""
    if "settings_version" not in dump:  # version 1: flat names already
        return dict(dump)
    return flatten({key: value for key, value in dump.items() if key != "settings_version"})


def find_config(start: Path | None = None) -> Path | None:
    """The nearest qa.toml in ``start`` (default: the current directory) or a folder above it."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate / CONFIG_NAME
    return None


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Settings:
    """Build the settings from defaults, ``qa.toml``, ``QA_*`` variables and ``overrides`` (highest).

    The settings file is ``config_file``, else ``QA_CONFIG``, else the nearest qa.toml from the current directory
    up. A project with one keeps its data beside it (``.qa-data``) unless it names ``data_dir``; relative paths in
    the file are relative to its folder. ``warn`` hears about QA_* variables that look like a misspelt setting
    (default: ``warnings.warn``).
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    named = config_file or (Path(env["QA_CONFIG"]) if env.get("QA_CONFIG") else None)
    if named is not None and not named.is_file():
        raise ConfigError(
            f"{named}: the settings file named by QA_CONFIG does not exist; fix the path or unset QA_CONFIG"
        )
    path = named or find_config()
    if path is not None:
        try:
            values.update(flatten(tomllib.loads(path.read_text(encoding="utf-8"))))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix or remove the file") from exc
        for name in ("data_dir", "models_dir", "llm_model_path"):
            if isinstance(values.get(name), str):
                values[name] = path.parent.resolve() / Path(values[name]).expanduser()
        origin.update(dict.fromkeys(values, f"in {path}"))
        values.setdefault("data_dir", path.parent.resolve() / PROJECT_DATA_DIR)
    for name, (group, inner) in FLAT_NAMES.items():
        field = GROUP_MODELS[group].model_fields[inner]
        raw = env.get(f"QA_{name.upper()}")
        if raw is None or raw == "":
            continue
        if field.annotation == list[str]:
            parts = [part.strip() for part in raw.split(",") if part.strip()]
            if not parts:  # ' , ' is a mistake, not a wish for an empty list: for QA_API_KEYS it would open the API
                raise ConfigError(
                    f"environment variable QA_{name.upper()} is set but holds no value ({raw!r}); give one or more "
                    "values separated by commas, or unset it"
                )
            values[name] = parts
        else:
            values[name] = raw
        origin[name] = f"from environment variable QA_{name.upper()}"
    for message in _misspelt_variables(env):
        (warn or _warn)(message)
    given = {key: value for key, value in flatten(overrides or {}).items() if value is not None}
    values.update(given)
    origin.update(dict.fromkeys(given, "from the command line or caller"))
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None


def _warn(message: str) -> None:
    warnings.warn(message, stacklevel=3)


def _misspelt_variables(env: Mapping[str, str]) -> list[str]:
    """A warning for each QA_* variable that is no setting but close to one (QA_COLECTION): it would be ignored.
    Other QA_* names are left alone; they may belong to another tool."""
    known = {f"QA_{name.upper()}" for name in FLAT_NAMES} | OTHER_VARIABLES
    messages = []
    for name in sorted(env):
        if name.startswith("QA_") and name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
            if close:
                messages.append(
                    f"environment variable {name} is not a setting and is ignored; did you mean {close[0]}?"
                )
    return messages


def _suggestion(name: str) -> str:
    group = name.rpartition(".")[0]
    if group in GROUP_MODELS:  # a key of a [group] table in qa.toml
        valid = [f"{group}.{field}" for field in GROUP_MODELS[group].model_fields]
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    else:
        valid = list(FLAT_NAMES)
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    if close:
        return f"unknown setting; did you mean {close[0]!r}?"
    return f"unknown setting; valid ones are: {', '.join(valid)}"


def _setting_name(loc: tuple[int | str, ...]) -> str:
    """An error's place as the setting's flat name (``('retrieval', 'k')`` -> ``k``), else dotted."""
    flat = GROUPED_NAMES.get((str(loc[0]), str(loc[1]))) if len(loc) >= 2 else None
    parts = [flat, *loc[2:]] if flat is not None else list(loc)
    return ".".join(str(part) for part in parts) or "settings"


def _describe(exc: ValidationError, origin: Mapping[str, str]) -> str:
    """One line per bad field, saying where the value came from so the user knows what to edit."""
    problems = []
    for error in exc.errors():
        field = _setting_name(error["loc"])
        detail = error["msg"].removeprefix("Value error, ")
        where = origin.get(field) or origin.get(field.split(".")[0])  # a [group] table's unknown key: the group's
        hint = f" ({where})" if where else ""
        if error["type"] == "extra_forbidden":
            detail = _suggestion(field)
        problems.append(f"setting {field!r}{hint}: {detail}")
    return "; ".join(problems)
