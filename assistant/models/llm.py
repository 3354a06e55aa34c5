"""The chat models behind the ChatModel ABC (chat.py): the packaged GGUF in-process (llama.cpp), any
OpenAI-compatible server, or a LangChain chat model (llm_langchain.py); ``build_chat_model`` picks one."""

from __future__ import annotations

import atexit
import functools
import json
import logging
import math
import os
import queue
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, cast

from assistant.errors import ConfigError, ModelError
from assistant.models.chat import ChatModel, Messages, inert, yes_no_value, yes_share
from assistant.models.llm_langchain import LangChainChatModel
from assistant.models.model_files import resolve_model_path
from assistant.models.native_build import built_for_other_cpu
from assistant.models.prompt_cache import MIN_PREFIX_TOKENS, PrefixStates, identity
from assistant.settings import ChatBackend, RuntimeName, Settings

logger = logging.getLogger(__name__)


def _chunk_texts(chunk: dict[str, Any]) -> list[str]:
    """The content pieces of one OpenAI chat-completion chunk (llama.cpp's server speaks the same format)."""
    return [text for choice in chunk.get("choices", []) if (text := (choice.get("delta") or {}).get("content"))]


def _request(messages: Messages, max_tokens: int, stop: list[str] | None, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": messages, "max_tokens": max_tokens, "temperature": 0.0, "stream": stream}
    if stop:
        body["stop"] = stop
    return body


class LocalChatModel(ChatModel):
    """A GGUF model run in this process by llama.cpp, loaded on first use.

    Two runtimes (``llm_runtime``): llama-cpp-python built for this CPU by `make install`
    (assistant/models/install/llama_build.py; reads prompts faster) and the generic xllamacpp wheel. ``auto`` takes
    the first: llama-cpp when it is installed for this CPU and loads the model, else xllamacpp.
    """

    def __init__(
        self,
        settings: Settings,
        model_path_resolver: Callable[[Settings], Any] | None = None,
        *,
        runtimes: Mapping[str, RuntimeFactory] | None = None,
    ) -> None:
        """``runtimes``: the runtimes to try, in order (name -> factory); by default those ``llm_runtime`` names."""
        self._settings = settings
        self._resolver = model_path_resolver
        self._runtimes = runtimes
        self._runtime: Runtime | None = None
        self.last_timings: dict[str, Any] = {}
        # Seconds to wait for the first and each next piece of a reply (QA_LLM_TIMEOUT_S); may be changed.
        self.timeout_s: float = settings.llm.timeout_s
        # llama.cpp runs one request at a time per context; callers queue here instead of inside C++.
        self._lock = threading.Lock()

    @property
    def runtime(self) -> str | None:
        """``llama-cpp`` or ``xllamacpp`` once loaded, else None."""
        return self._runtime.name if self._runtime is not None else None

    def load(self) -> None:
        """Assemble (first time only) and load the model."""
        if self._runtime is not None:
            return
        path = (self._resolver or resolve_model_path)(self._settings)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        factories = self._runtimes or {name: RUNTIMES[name] for name in runtime_order(self._settings.llm.runtime)}
        names = list(factories)
        for name in names:
            try:
                self._runtime = factories[name](path, self._settings)
                _LOADED_MODELS.add(self)
                return
            except ModelError as exc:
                if name == names[-1]:
                    raise
                logger.warning("%s; trying %s", exc, names[-1])

    def yes_probability(self, messages: Messages) -> float:
        """P(yes) from the model's own next-token probabilities, after the answers it is writing (one context)."""
        messages = inert(messages)
        self.load()
        runtime = self._runtime
        assert runtime is not None
        with self._lock:
            return runtime.yes_probability(messages)

    def wait_idle(self) -> None:
        """Return once no reply is being generated (a closed stream stops at its next token), with
        ``last_timings`` those of the last reply."""
        with self._lock:
            pass

    def stream(
        self, messages: Messages, *, max_tokens: int, stop: list[str] | None = None
    ) -> Generator[str, None, None]:
        """Run generation in a worker thread and hand each token over as soon as it arrives."""
        messages = inert(messages)
        self.load()
        runtime = self._runtime
        assert runtime is not None
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        # Set when the caller stops reading (closed generator, timeout): llama.cpp stops at the next token.
        abandoned = threading.Event()

        def run() -> None:
            try:
                with self._lock:
                    timings = runtime.generate(messages, max_tokens, stop, pieces.put, abandoned)
                    if timings:
                        self.last_timings = timings
            except Exception as exc:  # noqa: BLE001 - surfaced to the caller below
                pieces.put(("error", exc))
            finally:
                pieces.put(("done", None))

        threading.Thread(target=run, daemon=True, name="local-llm").start()
        timeout = self.timeout_s
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


# Models still loaded when the interpreter exits are closed by an exit hook, while llama_cpp is whole. Left to
# Llama.__del__, a model something still holds then (a cache, a registry, a test fixture) is freed only after the
# interpreter has wiped llama_cpp's module globals, and prints a TypeError traceback as the process ends.
_LOADED_MODELS: weakref.WeakSet[LocalChatModel] = weakref.WeakSet()


def _close_at_exit() -> None:
    for model in list(_LOADED_MODELS):
        # A reply still being written keeps its model: freeing it under llama.cpp's thread could crash.
        if model._lock.acquire(blocking=False):
            try:
                runtime, model._runtime = model._runtime, None
                if runtime is not None:
                    runtime.close()
            finally:
                model._lock.release()


atexit.register(_close_at_exit)


Put = Callable[[tuple[str, Any]], None]
RuntimeFactory = Callable[[Path, Settings], "Runtime"]
# Flash attention reads prompts ~1.5x faster on this CPU (eval/bench/prefill.py); the llama.cpp server
# (xllamacpp) turns it on by itself. Saved prompt states depend on it, so they are named by it too.
FLASH_ATTN = True


class Runtime(ABC):
    """One loaded model: writes a reply, putting ("text", piece) or ("error", why) as it goes."""

    name: str

    @abstractmethod
    def generate(
        self, messages: Messages, max_tokens: int, stop: list[str] | None, put: Put, abandoned: threading.Event
    ) -> dict[str, Any]:
        """Generate until done, a stop string, ``max_tokens`` or ``abandoned``; return llama.cpp's timings.

        The timings carry the llama.cpp server's keys: prompt_n (prompt tokens read), cache_n (prompt
        tokens reused from the previous call), prompt_ms, prompt_per_second, predicted_n, predicted_ms,
        predicted_per_second.
        """

    def yes_probability(self, messages: Messages) -> float:
        """P(yes) for a yes/no question; by default from a short generated reply."""
        pieces: list[str] = []

        def put(item: tuple[str, Any]) -> None:
            if item[0] == "text":
                pieces.append(item[1])

        self.generate(messages, 3, None, put, threading.Event())
        return yes_no_value("".join(pieces))

    def close(self) -> None:  # noqa: B027 - a runtime with nothing to free before the interpreter's teardown
        """Free the model now (at the interpreter's exit); the runtime is not used after."""


class _XllamacppRuntime(Runtime):
    """xllamacpp's in-process llama.cpp server (a generic AVX2 build from PyPI)."""

    name = "xllamacpp"

    def __init__(self, path: Path, settings: Settings) -> None:
        try:
            import xllamacpp
        except ImportError as exc:
            raise ModelError("xllamacpp is not installed; run `make install` or use QA_ANSWERER=extractive") from exc
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = settings.llm.context_tokens
        params.cpuparams.n_threads = settings.llm.threads
        params.cpuparams_batch.n_threads = settings.llm.threads
        params.n_parallel = 1
        params.verbosity = -1
        # The in-process server also opens an HTTP port; keep it on loopback.
        params.hostnames = ["127.0.0.1"]
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:
            raise ModelError(f"the language model at {path} could not be loaded ({exc})") from exc

    def generate(
        self, messages: Messages, max_tokens: int, stop: list[str] | None, put: Put, abandoned: threading.Event
    ) -> dict[str, Any]:
        body = _request(messages, max_tokens, stop, stream=True)
        body["cache_prompt"] = True
        timings: dict[str, Any] = {}

        def on_chunk(chunk: Any) -> bool:
            data = json.loads(chunk) if isinstance(chunk, str | bytes) else chunk
            if "error" in data:
                put(("error", data["error"]))
            for text in _chunk_texts(data):
                put(("text", text))
            if "timings" in data:
                timings.update(data["timings"])
            return abandoned.is_set()

        result = self._server.handle_chat_completions(body, on_chunk)
        if isinstance(result, dict) and "error" in result:
            put(("error", result["error"]))
        return timings

    def yes_probability(self, messages: Messages) -> float:
        body = _request(messages, 1, None, stream=False)
        body.update(cache_prompt=True, logprobs=True, top_logprobs=20)
        result = self._server.handle_chat_completions(body)
        try:
            first = result["choices"][0]["logprobs"]["content"][0]
            options = {item["token"]: item["logprob"] for item in first["top_logprobs"]}
        except (KeyError, IndexError, TypeError):
            return super().yes_probability(messages)
        return _yes_from_options(options)


def _yes_from_options(options: Mapping[str, float]) -> float:
    """P(yes) from the log-probabilities of the likeliest first tokens ('Yes', ' yes', 'No', ...)."""
    floor = min(options.values(), default=0.0) - 5.0

    def best(word: str) -> float:
        return max((value for token, value in options.items() if token.strip().lower() == word), default=floor)

    return yes_share(best("yes"), best("no"))


class _LlamaCppRuntime(Runtime):
    """llama-cpp-python, built for this CPU by `make install`; one context whose prompt prefix is reused."""

    name = "llama-cpp"

    def __init__(self, path: Path, settings: Settings) -> None:
        problem = llama_cpp_problem()
        if problem:
            raise ModelError(f"the llama-cpp runtime is not usable: {problem}; set QA_LLM_RUNTIME=xllamacpp")
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import CHATML_CHAT_TEMPLATE, Jinja2ChatFormatter

        try:
            self._llama = Llama(
                model_path=str(path),
                n_ctx=settings.llm.context_tokens,
                n_threads=settings.llm.threads,
                n_threads_batch=settings.llm.threads,
                flash_attn=FLASH_ATTN,
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"the language model at {path} could not be loaded by llama-cpp-python ({exc})") from exc
        self._prefixes = PrefixStates(
            settings.models.resolved_dir / "prompt-states",
            identity(path, settings.llm.context_tokens, flash_attn=FLASH_ATTN),
        )
        llama = self._llama
        eos, bos = llama.token_eos(), llama.token_bos()

        def text_of(token: int) -> str:
            return llama.detokenize([token], special=True).decode("utf-8", errors="ignore") if token >= 0 else ""

        # The GGUF's own chat template, as llama.cpp's server uses it (ChatML when the file has none).
        self._format = Jinja2ChatFormatter(
            template=llama.metadata.get("tokenizer.chat_template") or CHATML_CHAT_TEMPLATE,
            eos_token=text_of(eos),
            bos_token=text_of(bos),
            stop_token_ids=[eos],
        )

    def generate(
        self, messages: Messages, max_tokens: int, stop: list[str] | None, put: Put, abandoned: threading.Event
    ) -> dict[str, Any]:
        from llama_cpp import Llama, StoppingCriteriaList

        llama = self._llama
        formatted = self._format(messages=messages)
        tokens = llama.tokenize(formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True)
        stops = [*(stop or []), *([formatted.stop] if isinstance(formatted.stop, str) else formatted.stop or [])]
        # Llama.generate keeps the longest common prefix of the previous call in its KV cache (the
        # constant system prompt) and reads only the rest; a fully cached prompt re-reads its last token.
        cached = Llama.longest_token_prefix(llama._input_ids.tolist(), tokens)
        cached = min(cached, len(tokens) - 1)
        started = time.perf_counter()
        cached = max(cached, self._system_prefix(messages, tokens, cached))
        marks: list[float] = []

        def halt(input_ids: Any, logits: Any) -> bool:  # called once per generated token
            marks.append(time.perf_counter())
            return abandoned.is_set()

        criteria = StoppingCriteriaList([halt, *(formatted.stopping_criteria or [])])
        chunks = llama.create_completion(
            prompt=tokens,
            max_tokens=max_tokens,
            temperature=0.0,
            repeat_penalty=1.0,
            stop=stops,
            stream=True,
            stopping_criteria=criteria,
            seed=0,
        )
        try:
            for chunk in chunks:
                text = chunk["choices"][0]["text"]
                if text:
                    put(("text", text))
                if abandoned.is_set():
                    break
        finally:
            chunks.close()
        if not marks:
            return {}
        prompt_ms = (marks[0] - started) * 1000
        predicted_ms = (marks[-1] - marks[0]) * 1000
        read = len(tokens) - cached
        return {
            "prompt_n": read,
            "cache_n": cached,
            "prompt_ms": round(prompt_ms, 3),
            "prompt_per_second": read / prompt_ms * 1000 if prompt_ms > 0 else 0.0,
            "predicted_n": len(marks),
            "predicted_ms": round(predicted_ms, 3),
            "predicted_per_second": (len(marks) - 1) / predicted_ms * 1000 if predicted_ms > 0 else 0.0,
        }

    def yes_probability(self, messages: Messages) -> float:
        """Read the prompt (reusing the cached prefix) and compare the next-token logits of yes and no."""
        import numpy as np
        from llama_cpp import Llama

        llama = self._llama
        formatted = self._format(messages=messages)
        tokens = llama.tokenize(formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True)
        in_memory = min(Llama.longest_token_prefix(llama._input_ids.tolist(), tokens), len(tokens) - 1)
        self._system_prefix(messages, tokens, in_memory)
        cached = min(Llama.longest_token_prefix(llama._input_ids.tolist(), tokens), len(tokens) - 1)
        llama.n_tokens = cached
        llama.eval(tokens[cached:])
        # Only the last token's logits are computed (no logits_all); the context holds them after eval.
        logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),))
        yes_ids, no_ids = self._answer_tokens()
        return yes_share(
            _logsumexp([float(logits[i]) for i in yes_ids]), _logsumexp([float(logits[i]) for i in no_ids])
        )

    @functools.cache  # noqa: B019 - one runtime per process
    def _answer_tokens(self) -> tuple[list[int], list[int]]:
        """The first token of each way of writing yes and no."""

        def first(words: list[str]) -> list[int]:
            return sorted({self._llama.tokenize(word.encode(), add_bos=False, special=False)[0] for word in words})

        return first(["Yes", "yes", " Yes", " yes", "YES"]), first(["No", "no", " No", " no", "NO"])

    def close(self) -> None:
        """Free the model, its context and the last reply's sampler while llama_cpp is whole (see _close_at_exit);
        Llama.close() alone leaves the sampler to its __del__."""
        sampler, self._llama._sampler = self._llama._sampler, None
        if sampler is not None:
            sampler.close()
        self._llama.close()

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one runtime per process; a few fixed system prompts
    def _system_tokens(self, system: str) -> list[int]:
        """The tokens of a system message alone, as the chat template starts every prompt that holds it."""
        formatted = self._format(messages=[{"role": "system", "content": system}])
        return list(
            self._llama.tokenize(formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True)
        )

    def _system_prefix(self, messages: Messages, tokens: list[int], in_memory: int) -> int:
        """Put the system message's tokens in the context when they are not there yet: loaded from the state
        an earlier process saved (returns how many tokens that spared reading), else read and saved (0)."""
        from llama_cpp import Llama

        if not messages or messages[0].get("role") != "system":
            return 0
        llama = self._llama
        system_tokens = self._system_tokens(messages[0]["content"])
        length: int = min(Llama.longest_token_prefix(system_tokens, tokens), len(tokens) - 1)
        if length < MIN_PREFIX_TOKENS or in_memory >= length:
            return 0
        prefix = tokens[:length]
        if self._prefixes.restore(llama, prefix):
            return length
        llama.reset()
        llama.eval(prefix)
        self._prefixes.save(llama, prefix)
        return 0


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(value - top) for value in values))


RUNTIMES: dict[RuntimeName, RuntimeFactory] = {
    "llama-cpp": _LlamaCppRuntime,
    "xllamacpp": _XllamacppRuntime,
}


def llama_cpp_problem() -> str | None:
    """Why llama-cpp-python cannot run here (not installed, built for another CPU), or None when it can."""
    # Checked before importing: code compiled for another CPU's instructions may crash on import.
    foreign = built_for_other_cpu()
    if foreign:
        return foreign
    try:
        from llama_cpp import Llama  # noqa: F401
    except ImportError as exc:
        return f"llama-cpp-python is not installed ({exc}); `make install` builds it for this CPU"
    except (OSError, RuntimeError) as exc:  # its shared library failed to load
        return f"llama-cpp-python does not load ({exc})"
    return None


def runtime_order(
    setting: Literal["auto"] | RuntimeName, llama_cpp_check: Callable[[], str | None] = llama_cpp_problem
) -> list[RuntimeName]:
    """The runtimes to try, in order, for the ``llm_runtime`` setting (auto: llama-cpp first when usable, as
    ``llama_cpp_check`` finds)."""
    if setting == "auto":
        problem = llama_cpp_check()
        if problem:
            logger.info("local model runs on xllamacpp: %s", problem)
            return ["xllamacpp"]
        return ["llama-cpp", "xllamacpp"]
    return [setting]


class OpenAIChatModel(ChatModel):
    """Any server speaking the OpenAI chat-completions protocol (vLLM, llama.cpp server, Ollama /v1)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.llm.base_url:
            raise ConfigError("the openai answerer needs QA_LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1")
        self._settings = settings
        self._url = settings.llm.base_url.rstrip("/") + "/chat/completions"
        # The server's token counts of the last reply, in the llama.cpp keys the local model uses.
        self.last_timings: dict[str, Any] = {}
        # Cleared when a server refuses the field, so the next requests go without it.
        self._ask_usage = True
        # Cleared when a server gives no token log-probabilities: yes/no questions then read the reply's word.
        self._logprobs = True

    def stream(self, messages: Messages, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        """POST with ``stream: true`` and yield the content of each server-sent event.

        Asks for usage (``stream_options.include_usage``); a server that reports it sends it in a last chunk
        and it lands in ``last_timings``. A server that rejects the field is asked again without it.
        """
        messages = inert(messages)
        import httpx

        body = _request(messages, max_tokens, stop, stream=True)
        body["model"] = self._settings.llm.model
        if self._ask_usage:
            body["stream_options"] = {"include_usage": True}
        headers = {"Authorization": f"Bearer {self._settings.llm.api_key}"} if self._settings.llm.api_key else {}
        timeout = httpx.Timeout(self._settings.llm.timeout_s, connect=min(10.0, self._settings.llm.timeout_s))
        try:
            with httpx.stream("POST", self._url, json=body, headers=headers, timeout=timeout) as response:
                if response.status_code >= 400:
                    detail = response.read().decode(errors="replace")[:300]
                    if "stream_options" in body and response.status_code in (400, 422) and "stream_options" in detail:
                        self._ask_usage = False
                        yield from self.stream(messages, max_tokens=max_tokens, stop=stop)
                        return
                    raise ModelError(f"{self._url} answered HTTP {response.status_code}: {detail}")
                events = 0
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    events += 1
                    payload = line.removeprefix("data:").strip()
                    if payload == "[DONE]":
                        return
                    yield from self._texts(payload)
                if not events:
                    kind = response.headers.get("content-type", "no content type")
                    raise ModelError(
                        f"{self._url} answered without an event stream ({kind}); point QA_LLM_BASE_URL at the "
                        "server's OpenAI-compatible /v1 base"
                    )
        except httpx.TimeoutException as exc:
            raise ModelError(
                f"{self._url} did not answer within {self._settings.llm.timeout_s:g} s (QA_LLM_TIMEOUT_S)",
                is_retryable=True,
            ) from exc
        except httpx.HTTPError as exc:
            raise ModelError(
                f"cannot reach the language model server at {self._url} ({exc}); check QA_LLM_BASE_URL",
                is_retryable=True,
            ) from exc

    def yes_probability(self, messages: Messages) -> float:
        """P(yes) from the server's ``logprobs`` of the first token (vLLM, llama.cpp's server and OpenAI give them);
        a server that does not is asked for a short reply instead, from then on."""
        if self._logprobs:
            import httpx

            body = _request(inert(messages), 1, None, stream=False)
            body.update(model=self._settings.llm.model, logprobs=True, top_logprobs=20)
            headers = {"Authorization": f"Bearer {self._settings.llm.api_key}"} if self._settings.llm.api_key else {}
            try:
                response = httpx.post(self._url, json=body, headers=headers, timeout=self._settings.llm.timeout_s)
                first = response.json()["choices"][0]["logprobs"]["content"][0]
                return _yes_from_options({item["token"]: item["logprob"] for item in first["top_logprobs"]})
            except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
                self._logprobs = False
        return super().yes_probability(messages)

    def _texts(self, payload: str) -> list[str]:
        """The content pieces of one server-sent event (keeping its usage, if any); ModelError when it is not a
        chat-completion chunk."""
        try:
            chunk = json.loads(payload)
            texts = _chunk_texts(chunk)
            used = chunk.get("usage")
            if isinstance(used, dict) and used:
                self.last_timings = {
                    "prompt_n": int(used.get("prompt_tokens") or 0),
                    "cache_n": 0,
                    "predicted_n": int(used.get("completion_tokens") or 0),
                }
            return texts
        except (ValueError, AttributeError, TypeError):
            raise ModelError(
                f"{self._url} sent an event that is not an OpenAI chat-completion chunk ({payload[:80]!r}); check that "
                "QA_LLM_BASE_URL points at an OpenAI-compatible server",
                is_retryable=True,
            ) from None


def _openai_chat_model(settings: Settings) -> ChatModel:
    """The openai answerer's writer: the LangChain chat model ``llm_chat_model`` names, else the HTTP client."""
    if settings.llm.chat_model:
        return LangChainChatModel(settings)
    return OpenAIChatModel(settings)


CHAT_MODELS: dict[ChatBackend, Callable[[Settings], ChatModel]] = {
    "local": LocalChatModel,
    "openai": _openai_chat_model,
}


def build_chat_model(settings: Settings) -> ChatModel:
    """The chat model for ``settings.answerer`` (one of the chat backends: local or openai)."""
    return CHAT_MODELS[cast(ChatBackend, settings.llm.answerer)](settings)
