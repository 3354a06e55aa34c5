"""Chat models behind one small ABC: the packaged GGUF in-process, or any OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

from assistant.errors import ConfigError, ModelError
from assistant.settings import Settings

Messages = list[dict[str, str]]


class ChatModel(ABC):
    """Writes the assistant's next message for a list of chat messages."""

    @abstractmethod
    def stream(self, messages: Messages, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        """Yield the reply piece by piece as it is generated."""

    def complete(self, messages: Messages, *, max_tokens: int, stop: list[str] | None = None) -> str:
        """The whole reply at once."""
        return "".join(self.stream(messages, max_tokens=max_tokens, stop=stop))


def _request(messages: Messages, max_tokens: int, stop: list[str] | None, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": messages, "max_tokens": max_tokens, "temperature": 0.0, "stream": stream}
    if stop:
        body["stop"] = stop
    return body


class LocalChatModel(ChatModel):
    """A GGUF model run in this process by xllamacpp (llama.cpp), loaded on first use."""

    def __init__(self, settings: Settings, model_path_resolver: Callable[[Settings], Any] | None = None) -> None:
        self._settings = settings
        self._resolver = model_path_resolver
        self._server: Any = None
        self.last_timings: dict[str, Any] = {}
        # llama.cpp runs one request at a time per slot; callers queue here instead of inside C++.
        self._lock = threading.Lock()

    def load(self) -> None:
        """Assemble (first time only) and load the model."""
        if self._server is not None:
            return
        from assistant.model_files import resolve_model_path

        path = (self._resolver or resolve_model_path)(self._settings)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import xllamacpp
        except ImportError as exc:
            raise ModelError("xllamacpp is not installed; run `make install` or use QA_ANSWERER=extractive") from exc
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = self._settings.llm_context_tokens
        params.cpuparams.n_threads = self._settings.llm_threads
        params.cpuparams_batch.n_threads = self._settings.llm_threads
        params.n_parallel = 1
        params.verbosity = -1
        # The in-process server also opens an HTTP port; keep it on loopback.
        params.hostnames = ["127.0.0.1"]
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:
            raise ModelError(f"the language model at {path} could not be loaded ({exc})") from exc

    def stream(self, messages: Messages, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        """Run generation in a worker thread and hand each token over as soon as it arrives."""
        self.load()
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        body = _request(messages, max_tokens, stop, stream=True)
        body["cache_prompt"] = True
        # Set when the caller stops reading (closed generator, timeout): llama.cpp stops at the next token.
        abandoned = threading.Event()

        def on_chunk(chunk: Any) -> bool:
            data = json.loads(chunk) if isinstance(chunk, str | bytes) else chunk
            if "error" in data:
                pieces.put(("error", data["error"]))
            for choice in data.get("choices", []):
                text = (choice.get("delta") or {}).get("content")
                if text:
                    pieces.put(("text", text))
            if "timings" in data:
                self.last_timings = dict(data["timings"])
            return abandoned.is_set()

        def run() -> None:
            try:
                with self._lock:
                    result = self._server.handle_chat_completions(body, on_chunk)
                if isinstance(result, dict) and "error" in result:
                    pieces.put(("error", result["error"]))
            except Exception as exc:  # surfaced to the caller below
                pieces.put(("error", exc))
            finally:
                pieces.put(("done", None))

        threading.Thread(target=run, daemon=True, name="local-llm").start()
        timeout = self._settings.llm_timeout_s
        try:
            while True:
                try:
                    kind, value = pieces.get(timeout=timeout)
                except queue.Empty:
                    raise ModelError(
                        f"the local language model wrote nothing for {timeout:g} s; raise QA_LLM_TIMEOUT_S "
                        "or use a smaller model (QA_LLM_MODEL_PATH)"
                    ) from None
                if kind == "done":
                    return
                if kind == "error":
                    raise ModelError(f"the local language model failed: {value}")
                yield value
        finally:
            abandoned.set()


class OpenAIChatModel(ChatModel):
    """Any server speaking the OpenAI chat-completions protocol (vLLM, llama.cpp server, Ollama /v1)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.llm_base_url:
            raise ConfigError("the openai answerer needs QA_LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1")
        self._settings = settings
        self._url = settings.llm_base_url.rstrip("/") + "/chat/completions"

    def stream(self, messages: Messages, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        """POST with ``stream: true`` and yield the content of each server-sent event."""
        import httpx

        body = _request(messages, max_tokens, stop, stream=True)
        body["model"] = self._settings.llm_model
        headers = {"Authorization": f"Bearer {self._settings.llm_api_key}"} if self._settings.llm_api_key else {}
        timeout = httpx.Timeout(self._settings.llm_timeout_s, connect=min(10.0, self._settings.llm_timeout_s))
        try:
            with httpx.stream("POST", self._url, json=body, headers=headers, timeout=timeout) as response:
                if response.status_code >= 400:
                    detail = response.read().decode(errors="replace")[:300]
                    raise ModelError(f"{self._url} answered HTTP {response.status_code}: {detail}")
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    payload = line.removeprefix("data:").strip()
                    if payload == "[DONE]":
                        return
                    for choice in json.loads(payload).get("choices", []):
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            yield text
        except httpx.TimeoutException as exc:
            raise ModelError(
                f"{self._url} did not answer within {self._settings.llm_timeout_s:g} s (QA_LLM_TIMEOUT_S)",
                is_retryable=True,
            ) from exc
        except httpx.HTTPError as exc:
            raise ModelError(
                f"cannot reach the language model server at {self._url} ({exc}); check QA_LLM_BASE_URL",
                is_retryable=True,
            ) from exc


CHAT_MODELS: dict[str, Callable[[Settings], ChatModel]] = {
    "local": LocalChatModel,
    "openai": OpenAIChatModel,
}


def build_chat_model(settings: Settings) -> ChatModel:
    """The chat model for ``settings.answerer``."""
    factory = CHAT_MODELS.get(settings.answerer)
    if factory is None:
        raise ConfigError(f"no chat model for answerer {settings.answerer!r}; choose one of: {', '.join(CHAT_MODELS)}")
    return factory(settings)
