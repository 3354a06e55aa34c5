"""One typed settings object, built once: defaults < qa.toml < QA_* environment < explicit overrides."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


class Settings(BaseModel):
    """Everything the assistant can be configured with. Environment: ``QA_<FIELD NAME IN CAPS>``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    data_dir: Path = Field(
        default_factory=user_data_dir,
        description="Where collections, indexes and uploads live: by default the folder of the nearest qa.toml "
        "(its .qa-data), else one folder per user (platformdirs' user data dir, e.g. ~/.local/share/cited-qa).",
    )
    models_dir: Path | None = Field(
        None, description="Where assembled model files are cached (default: ~/.cache/cited-qa/models)."
    )
    collection: str = Field("docs", description="Name of the document collection to use.")
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (chroma run ...); unset means the embedded store."
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
    embed_batch_size: int = Field(
        2048,
        ge=1,
        description="Sentences embedded together during ingest, gathered across files (a folder of small files "
        "would otherwise embed a few at a time); the embedder runs them shortest first, so larger batches pad less.",
    )
    chunk_size: int = Field(
        1000,
        ge=100,
        le=4000,
        description="Target chunk length in characters (chunks are embedded sentence by sentence).",
    )
    chunk_overlap: int = Field(200, ge=0, description="Characters of context repeated between chunks.")
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
    answerer: AnswererName = Field(
        "local", description="Answer writer: local (packaged model), openai (any server) or extractive."
    )
    llm_model_path: Path | None = Field(
        None, description="A GGUF file to use instead of the packaged model (local answerer)."
    )
    llm_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server (openai answerer).")
    llm_model: str = Field("default", description="Model name sent to the OpenAI-compatible server.")
    llm_api_key: str | None = Field(None, description="API key for the OpenAI-compatible server.")
    llm_chat_model: str | None = Field(
        None,
        description="A LangChain chat model named 'provider:model' (e.g. openai:gpt-4o-mini, ollama:llama3.2) that "
        "the openai answerer writes through instead of its own HTTP client; needs the provider's package "
        "(e.g. pip install langchain-openai). llm_base_url and llm_api_key, when set, are passed to it.",
    )
    llm_timeout_s: float = Field(120.0, gt=0, description="Seconds to wait for the language model.")
    llm_context_tokens: int = Field(4096, ge=512, description="Context window of the language model.")
    llm_excerpt_chars: int = Field(
        900,
        ge=100,
        le=8000,
        description="Most characters of passage text the language model sees: the sentences near the best one, "
        "their continuations and whole lists, most relevant first; fewer answer sooner.",
    )
    llm_max_tokens: int = Field(220, ge=16, description="Longest answer the language model may write (tokens).")
    llm_threads: int = Field(2, ge=1, description="CPU threads for the local model.")
    llm_runtime: Literal["auto", RuntimeName] = Field(
        "auto",
        description="What runs the local model: llama-cpp (llama-cpp-python built for this CPU by `make install`; "
        "reads prompts faster), xllamacpp (the generic wheel) or auto (llama-cpp when installed for this CPU, "
        "else xllamacpp).",
    )
    writer_timeout_s: float = Field(
        600.0,
        ge=0,
        description="Seconds an ingest waits for another one writing to the same data folder before it gives up.",
    )
    max_upload_mb: int = Field(25, ge=1, description="Largest file the UI or HTTP service accepts.")
    max_file_mb: int = Field(
        100, ge=1, description="Largest file an ingest reads; a larger one is refused before it is read."
    )
    max_text_chars: int = Field(
        20_000_000,
        ge=1000,
        description="Most characters of text taken from one PDF, DOCX or HTML file; a file with more is refused "
        "(with max_file_mb it also bounds what a .docx may unpack to).",
    )
    link_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts an answer may link to (http or https, their subdomains too); a link to any other host "
        "keeps its text and is not a link. Empty: no link in an answer is live. Images are never shown.",
    )
    follow_outside_links: bool = Field(
        False,
        description="Ingest the files that links in a folder point to when they lie outside that folder (off: such "
        "links are skipped with a note, so a link cannot make a file elsewhere on the machine searchable).",
    )
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
    max_sentence_vectors: int = Field(
        50_000,
        ge=1000,
        description="Most sentence vectors one file gets: a longer file (a table of a million rows, a huge book) is "
        "embedded a chunk at a time, one vector per chunk, so that the store's memory and an ingest's time stay in "
        "proportion to its text.",
    )
    api_keys: list[str] = Field(default_factory=list, description="Keys accepted by `qa serve` (empty: open).")
    answer_queue: int = Field(
        4,
        ge=0,
        le=1000,
        description="Chat requests `qa serve` lets wait while answers are written (one at a time with the local "
        "model); a request beyond them gets 503 with Retry-After instead of waiting without bound.",
    )

    @field_validator("api_keys")
    @classmethod
    def _check_api_keys(cls, keys: list[str]) -> list[str]:
        if any(not key.strip() for key in keys):
            raise ValueError("an API key is blank; give each key as text, or no keys at all to serve without them")
        return keys

    @field_validator("collection")
    @classmethod
    def _check_collection(cls, name: str) -> str:
        if not COLLECTION_NAME.match(name) or ".." in name:
            raise ValueError(
                f"invalid collection name {name!r}: use 3-512 characters of letters, digits, '.', '_' or '-', "
                "starting and ending with a letter or digit"
            )
        return name

    @property
    def resolved_models_dir(self) -> Path:
        """The models directory, shared by every data directory unless set."""
        return self.models_dir if self.models_dir is not None else Path.home() / ".cache" / "cited-qa" / "models"


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
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix or remove the file") from exc
        for name in ("data_dir", "models_dir", "llm_model_path"):
            if isinstance(values.get(name), str):
                values[name] = path.parent.resolve() / Path(values[name]).expanduser()
        origin.update(dict.fromkeys(values, f"in {path}"))
        values.setdefault("data_dir", path.parent.resolve() / PROJECT_DATA_DIR)
    for name, field in Settings.model_fields.items():
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
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    values.update(given)
    origin.update(dict.fromkeys(given, "from the command line or caller"))
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None


def _warn(message: str) -> None:
    warnings.warn(message, stacklevel=3)


def _misspelt_variables(env: Mapping[str, str]) -> list[str]:
    """A warning for each QA_* variable that is no setting but close to one (QA_COLECTION): it would be ignored.
    Other QA_* names are left alone; they may belong to another tool."""
    known = {f"QA_{name.upper()}" for name in Settings.model_fields} | OTHER_VARIABLES
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
    close = difflib.get_close_matches(name, list(Settings.model_fields), n=1, cutoff=0.6)
    if close:
        return f"unknown setting; did you mean {close[0]!r}?"
    return f"unknown setting; valid ones are: {', '.join(Settings.model_fields)}"


def _describe(exc: ValidationError, origin: Mapping[str, str]) -> str:
    """One line per bad field, saying where the value came from so the user knows what to edit."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "settings"
        detail = error["msg"].removeprefix("Value error, ")
        hint = f" ({origin[field]})" if field in origin else ""
        if error["type"] == "extra_forbidden":
            detail = _suggestion(field)
        problems.append(f"setting {field!r}{hint}: {detail}")
    return "; ".join(problems)
