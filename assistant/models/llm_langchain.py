"""Any LangChain chat model, named "provider:model" by ``llm_chat_model``, as the writer of the openai answerer.

LangChain's ``init_chat_model`` builds it (the provider's own package does the talking: langchain-openai,
langchain-anthropic, langchain-ollama ...), so a hosted model needs a name rather than a URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from assistant.errors import AssistantError, ConfigError, ModelError
from assistant.models.chat import ChatModel, Messages, inert
from assistant.settings import Settings

SETTING = "QA_LLM_CHAT_MODEL"


def _one_line(exc: BaseException, limit: int = 300) -> str:
    return " ".join(str(exc).split())[:limit] or type(exc).__name__


def build_langchain_model(settings: Settings) -> Any:
    """The LangChain chat model ``settings.llm_chat_model`` names; ConfigError (one line, with the fix) otherwise."""
    spec = (settings.llm.chat_model or "").strip()
    provider, _, model = spec.partition(":")
    provider = provider.strip().replace("-", "_").lower()
    if not provider or not model.strip():
        raise ConfigError(
            f"{SETTING}={spec!r} is not 'provider:model'; write it like openai:gpt-4o-mini or ollama:llama3.2"
        )
    try:
        from langchain.chat_models import base as chat_model_base
        from langchain.chat_models import init_chat_model
    except ImportError as exc:
        raise ConfigError(f"{SETTING} needs the langchain package ({exc}); run `pip install langchain`") from exc
    known = sorted(getattr(chat_model_base, "_BUILTIN_PROVIDERS", {}))
    if known and provider not in known:
        raise ConfigError(
            f"{SETTING}={spec!r}: LangChain knows no provider {provider!r}; choose one of: {', '.join(known)}"
        )
    options: dict[str, Any] = {"temperature": 0.0}
    if settings.llm.base_url:
        options["base_url"] = settings.llm.base_url
    if settings.llm.api_key:
        options["api_key"] = settings.llm.api_key
    try:
        return init_chat_model(model.strip(), model_provider=provider, **options)
    except ImportError as exc:
        package = re.search(r"pip install ([\w.\-\[\]]+)", str(exc))
        fix = f"`pip install {package.group(1)}`" if package else f"install the LangChain package for {provider!r}"
        raise ConfigError(f"{SETTING}={spec!r} needs the provider's package: {fix}") from exc
    except Exception as exc:  # the provider's own validation: a missing key, a bad option
        raise ConfigError(
            f"{SETTING}={spec!r} could not be set up ({type(exc).__name__}: {_one_line(exc)}); give the provider's key "
            "in QA_LLM_API_KEY or its own variable (e.g. OPENAI_API_KEY)"
        ) from exc


class LangChainChatModel(ChatModel):
    """Streams through a LangChain chat model; ``last_timings`` carries the tokens it reports (``usage_metadata``)."""

    def __init__(self, settings: Settings, model: Any = None) -> None:
        self._settings = settings
        self.name = (settings.llm.chat_model or "").strip()
        self.model = model if model is not None else build_langchain_model(settings)
        # In the llama.cpp keys the local model uses, so the HTTP service reads usage the same way.
        self.last_timings: dict[str, Any] = {}

    def stream(self, messages: Messages, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        """Yield the model's text as it streams; its token counts land in ``last_timings`` at the end."""
        messages = inert(messages)
        options: dict[str, Any] = {"max_tokens": max_tokens}
        # ChatOpenAI asks for usage by itself only from api.openai.com; other servers need it asked for.
        if "stream_usage" in getattr(type(self.model), "model_fields", {}):
            options["stream_usage"] = True
        read = written = 0
        reported = False
        try:
            for chunk in self.model.stream(messages, stop=stop, **options):
                used = getattr(chunk, "usage_metadata", None)
                if used:
                    reported = True
                    read += int(used.get("input_tokens", 0) or 0)
                    written += int(used.get("output_tokens", 0) or 0)
                text = chunk.text
                if text:
                    yield text
        except AssistantError:
            raise
        except Exception as exc:  # the provider's client errors: unreachable, unknown model, bad key
            raise ModelError(
                f"the chat model {self.name} ({SETTING}) failed: {type(exc).__name__}: {_one_line(exc)}; check the "
                "model name, and the provider's server and key (QA_LLM_BASE_URL, QA_LLM_API_KEY or its own variables)",
                is_retryable=True,
            ) from exc
        if reported:
            self.last_timings = {"prompt_n": read, "cache_n": 0, "predicted_n": written}
