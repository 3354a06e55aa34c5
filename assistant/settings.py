"""One typed settings object, built once: defaults < qa.toml < QA_* environment < explicit overrides."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import ConfigError

COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")


class Settings(BaseModel):
    """Everything the assistant can be configured with. Environment: ``QA_<FIELD NAME IN CAPS>``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    data_dir: Path = Field(Path(".qa-data"), description="Where collections, indexes and uploads live.")
    models_dir: Path | None = Field(
        None, description="Where assembled model files are cached (default: ~/.cache/cited-qa/models)."
    )
    collection: str = Field("docs", description="Name of the document collection to use.")
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (chroma run ...); unset means the embedded store."
    )
    embedder: Literal["sentence-transformers", "onnx", "onnx-int8", "fake"] = Field(
        "onnx-int8",
        description="Embedding backend: onnx-int8 (default) and onnx are the embedding model exported to ONNX at "
        "`make install` and run by onnxruntime without torch (int8: weights quantised, ~2x faster than onnx, same "
        "retrieval scores within 0.01); sentence-transformers runs it in torch; 'fake' is a hash-seeded test double.",
    )
    embedding_model: str | None = Field(
        None, description="Path of a sentence-transformers model; unset means the packaged all-MiniLM-L6-v2."
    )
    embed_batch_size: int = Field(
        256,
        ge=1,
        description="Sentences embedded together during ingest, gathered across files (a folder of small files "
        "would otherwise embed a few at a time).",
    )
    chunk_size: int = Field(
        1000, ge=100, le=4000, description="Target chunk length in characters (chunks are embedded sentence by sentence)."
    )
    chunk_overlap: int = Field(200, ge=0, description="Characters of context repeated between chunks.")
    k: int = Field(5, ge=1, le=50, description="Passages shown to the answerer.")
    candidates: int = Field(50, ge=1, le=200, description="Candidates taken from each retriever before fusion.")
    fusion: Literal["weighted", "rrf"] = Field(
        "weighted",
        description="How dense and keyword candidates combine: weighted (dense similarity and BM25 relative to the "
        "query's best, mixed by dense_weight) or rrf (reciprocal rank fusion, rank only).",
    )
    dense_weight: float = Field(0.5, ge=0.0, le=1.0, description="Share of the dense similarity in weighted fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant (fusion = rrf).")
    min_relevance: float = Field(
        0.35, ge=0.0, le=1.0, description="Best sentence similarity below which an answerer refuses without writing (all answerers)."
    )
    min_term_coverage: float = Field(
        0.5,
        ge=0.0,
        lt=1.0,
        description="Refuse unless more than this share of the question's words is in the passages (for the "
        "generative answerers this share is enough, and a question of one or two content words needs one; "
        "polite wrapping such as 'could you tell me' is not counted).",
    )
    answerer: Literal["local", "openai", "extractive"] = Field("local", description="Answer writer: local (packaged model), openai (any server) or extractive.")
    llm_model_path: Path | None = Field(
        None, description="A GGUF file to use instead of the packaged model (local answerer)."
    )
    llm_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server (openai answerer).")
    llm_model: str = Field("default", description="Model name sent to the OpenAI-compatible server.")
    llm_api_key: str | None = Field(None, description="API key for the OpenAI-compatible server.")
    llm_timeout_s: float = Field(120.0, gt=0, description="Seconds to wait for the language model.")
    llm_context_tokens: int = Field(4096, ge=512, description="Context window of the language model.")
    llm_excerpt_chars: int = Field(
        900, ge=100, le=8000,
        description="Most characters of passage text the language model sees: the sentences near the best one, "
        "their continuations and whole lists, most relevant first; fewer answer sooner.",
    )
    llm_max_tokens: int = Field(220, ge=16, description="Longest answer the language model may write (tokens).")
    llm_threads: int = Field(2, ge=1, description="CPU threads for the local model.")
    llm_runtime: Literal["auto", "llama-cpp", "xllamacpp"] = Field(
        "auto",
        description="What runs the local model: llama-cpp (llama-cpp-python built for this CPU by `make install`; "
        "reads prompts faster), xllamacpp (the generic wheel) or auto (llama-cpp when installed for this CPU, "
        "else xllamacpp).",
    )
    max_upload_mb: int = Field(25, ge=1, description="Largest file the UI or HTTP service accepts.")
    api_keys: list[str] = Field(default_factory=list, description="Keys accepted by `qa serve` (empty: open).")

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


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from defaults, ``qa.toml``, ``QA_*`` variables and ``overrides`` (highest)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    path = config_file or Path(env.get("QA_CONFIG", "qa.toml"))
    if not path.is_file() and (config_file or env.get("QA_CONFIG")):
        raise ConfigError(f"{path}: the settings file named by QA_CONFIG does not exist; fix the path or unset QA_CONFIG")
    if path.is_file():
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix or remove the file") from exc
        origin.update({name: f"in {path}" for name in values})
    for name, field in Settings.model_fields.items():
        raw = env.get(f"QA_{name.upper()}")
        if raw is None or raw == "":
            continue
        values[name] = [part.strip() for part in raw.split(",") if part.strip()] if field.annotation == list[str] else raw
        origin[name] = f"from environment variable QA_{name.upper()}"
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    values.update(given)
    origin.update({name: "from the command line or caller" for name in given})
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None


def _describe(exc: ValidationError, origin: Mapping[str, str]) -> str:
    """One line per bad field, saying where the value came from so the user knows what to edit."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "settings"
        detail = error["msg"].removeprefix("Value error, ")
        hint = f" ({origin[field]})" if field in origin else ""
        if error["type"] == "extra_forbidden":
            detail = f"unknown setting; valid ones are: {', '.join(Settings.model_fields)}"
        problems.append(f"setting {field!r}{hint}: {detail}")
    return "; ".join(problems)
