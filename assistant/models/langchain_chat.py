"""The packaged local model as a LangChain chat model, so other chains can reuse it.

    from assistant.models.langchain_chat import ChatCitedQA

    model = ChatCitedQA(max_tokens=64)            # the packaged Qwen2.5-Coder-1.5B-Instruct, loaded on first call
    print(model.invoke("Say hello in French.").content)

The model is loaded once per process and shared by every ChatCitedQA built from the same settings (and,
with ``ChatCitedQA.from_assistant``, with an Assistant's answerer). llama.cpp writes one answer at a time,
so calls take turns; each reply reports the tokens llama.cpp counted as ``usage_metadata``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from assistant.models.chat import ChatModel
from assistant.models.llm import LocalChatModel
from assistant.settings import Settings, load_settings

PACKAGED_MODEL = "qwen2.5-coder-1.5b-instruct"
_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "tool", "function": "tool"}
# One loaded model (and one turn lock) per model file and runtime settings, shared by every instance.
_LOADED: dict[tuple[Any, ...], tuple[ChatModel, threading.Lock]] = {}
_LOADING = threading.Lock()


def _shared(settings: Settings) -> tuple[ChatModel, threading.Lock]:
    key = (
        settings.llm.model_path,
        settings.models.resolved_dir,
        settings.llm.context_tokens,
        settings.llm.threads,
        settings.llm.runtime,
        settings.llm.timeout_s,
    )
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = (LocalChatModel(settings), threading.Lock())
        return _LOADED[key]


class ChatCitedQA(BaseChatModel):
    """The project's local GGUF model (llama.cpp in this process) behind LangChain's chat-model interface.

    Decoding is greedy: ``temperature`` is accepted for LangChain's standard parameters and not used, as
    are ``api_key`` and ``max_retries`` (a local model needs neither).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    model_name: str = Field(PACKAGED_MODEL, alias="model", description="Name reported in traces and responses.")
    max_tokens: int = Field(256, ge=1, description="Longest reply, in tokens.")
    temperature: float | None = Field(None, description="Accepted, not used: decoding is greedy.")
    stop: list[str] | None = Field(None, description="Stop strings; the reply ends before the first one.")
    timeout: float | None = Field(None, description="Seconds to wait for a token (default: QA_LLM_TIMEOUT_S).")
    max_retries: int = Field(0, description="Accepted, not used: a local model is not retried.")
    api_key: SecretStr | None = Field(None, description="Accepted, not used: a local model needs no key.")
    streaming: bool = Field(False, description="Whether invoke() streams internally (callbacks see tokens).")
    settings: Settings | None = Field(None, description="Settings naming the model; default: qa.toml and QA_*.")
    _borrowed: tuple[ChatModel, threading.Lock] | None = PrivateAttr(default=None)

    @classmethod
    def from_assistant(cls, assistant: Any, **fields: Any) -> ChatCitedQA:
        """A chat model on the model an Assistant (local answerer) already loaded: no second copy in memory."""
        model = getattr(assistant.answerer, "chat_model", None)
        if not isinstance(model, LocalChatModel):
            raise ValueError("the assistant's answerer runs no local model; use ChatCitedQA() or set answerer='local'")
        chat = cls(settings=assistant.settings, **fields)
        chat._borrowed = (model, threading.Lock())
        return chat

    @property
    def _llm_type(self) -> str:
        return "cited-qa-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "max_tokens": self.max_tokens}

    def _model(self) -> tuple[ChatModel, threading.Lock]:
        if self._borrowed is not None:
            return self._borrowed
        settings = self.settings or load_settings()
        if self.timeout is not None:
            settings = settings.updated(llm_timeout_s=self.timeout)
        return _shared(settings)

    def _reported_name(self) -> str:
        path = self.settings.llm.model_path if self.settings else None
        return Path(path).stem if path and self.model_name == PACKAGED_MODEL else self.model_name

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        model, turn = self._model()
        turns = [{"role": _ROLES.get(message.type, "user"), "content": str(message.text)} for message in messages]
        stops = [*(self.stop or []), *(stop or [])] or None
        with turn:  # the model's token counts below are this call's own
            before = getattr(model, "last_timings", None)
            for piece in model.stream(turns, max_tokens=kwargs.get("max_tokens", self.max_tokens), stop=stops):
                if run_manager:
                    run_manager.on_llm_new_token(piece)
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
            timings = getattr(model, "last_timings", None)
        used = _usage(timings if timings is not before else None)
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=used,
                response_metadata={"model_name": kwargs.get("model", self._reported_name()), "finish_reason": "stop"},
                chunk_position="last",
            )
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        full: BaseMessageChunk | None = None
        for chunk in self._stream(messages, stop, run_manager, **kwargs):
            full = chunk.message if full is None else full + chunk.message
        assert isinstance(full, AIMessageChunk)  # _stream yields AI chunks, and their sum is one
        message = AIMessage(
            content=full.content, usage_metadata=full.usage_metadata, response_metadata=full.response_metadata
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def _usage(timings: dict[str, Any] | None) -> UsageMetadata:
    """LangChain's usage from llama.cpp's timings (prompt tokens read + reused from cache, tokens written)."""
    timings = timings or {}
    read = int(timings.get("prompt_n", 0) or 0) + int(timings.get("cache_n", 0) or 0)
    written = int(timings.get("predicted_n", 0) or 0)
    return UsageMetadata(input_tokens=read, output_tokens=written, total_tokens=read + written)
