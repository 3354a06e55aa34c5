"""Which llama.cpp runtime runs the local model, and the streaming contract around any runtime."""

import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assistant import ConfigError, ModelError, Settings
from assistant.models import llm, native_build
from assistant.models.install import llama_build
from assistant.models.llm import LocalChatModel, runtime_order
from assistant.settings import load_settings


@pytest.fixture
def no_llama_cpp(monkeypatch: pytest.MonkeyPatch) -> None:
    """`import llama_cpp` fails, as on a machine where `make install` could not build it."""
    monkeypatch.setitem(sys.modules, "llama_cpp", None)


def test_auto_falls_back_to_xllamacpp_when_llama_cpp_does_not_import(no_llama_cpp: None) -> None:
    assert runtime_order("auto") == ["xllamacpp"]


def test_auto_prefers_llama_cpp_and_keeps_xllamacpp_behind_it() -> None:
    assert runtime_order("auto", llama_cpp_check=lambda: None) == ["llama-cpp", "xllamacpp"]


def test_a_named_runtime_is_the_only_one_tried() -> None:
    assert runtime_order("xllamacpp") == ["xllamacpp"]
    assert runtime_order("llama-cpp") == ["llama-cpp"]
    with pytest.raises(ConfigError, match="llm_runtime"):
        load_settings({"llm_runtime": "vllm"}, environ={})


def test_the_setting_comes_from_the_environment_and_is_checked() -> None:
    assert load_settings(environ={}).llm.runtime == "auto"
    assert load_settings(environ={"QA_LLM_RUNTIME": "xllamacpp"}).llm.runtime == "xllamacpp"
    with pytest.raises(ConfigError, match="QA_LLM_RUNTIME"):
        load_settings(environ={"QA_LLM_RUNTIME": "fastest"})


def test_asking_for_llama_cpp_without_it_is_a_clear_error(no_llama_cpp: None, tmp_path: Path) -> None:
    model = LocalChatModel(Settings(llm_runtime="llama-cpp"), model_path_resolver=lambda s: tmp_path / "m.gguf")
    with pytest.raises(ModelError, match="QA_LLM_RUNTIME=xllamacpp"):
        model.load()


def test_a_build_for_another_cpu_is_not_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native_build, "installed_build", lambda: {"cpu_key": "x86_64-elsewhere", "cpu": "Other CPU"})
    monkeypatch.setitem(sys.modules, "llama_cpp", object())  # importing it would succeed
    assert "another CPU (Other CPU)" in (llm.llama_cpp_problem() or "")
    assert runtime_order("auto") == ["xllamacpp"]


def test_the_cpu_key_names_this_machine_and_the_version() -> None:
    assert native_build.cpu_key() == native_build.cpu_key()
    assert native_build.VERSION in llama_build.wheel_cache().name and native_build.cpu_key() in str(
        llama_build.wheel_cache()
    )


class FakeRuntime(llm.Runtime):
    """Writes numbered tokens until done, a stop string or abandoned; records how far it got."""

    name = "fake"

    def __init__(self, path: Path, settings: Settings) -> None:
        self.written = 0

    def generate(
        self, messages: Any, max_tokens: int, stop: Any, put: Any, abandoned: threading.Event
    ) -> dict[str, Any]:
        self.written = 0
        for n in range(max_tokens):
            if abandoned.is_set():
                break
            time.sleep(0.005)
            self.written += 1
            put(("text", f"{n} "))
        return {"prompt_n": 3, "cache_n": 0, "predicted_n": self.written}


def fake_model(tmp_path: Path, failing: str | None = None) -> tuple[LocalChatModel, list[FakeRuntime]]:
    """A model whose runtimes are fakes, tried in auto's order (llama-cpp, then xllamacpp); and the fakes it loads."""
    loaded: list[FakeRuntime] = []

    def fake(path: Path, settings: Settings) -> llm.Runtime:
        loaded.append(FakeRuntime(path, settings))
        return loaded[-1]

    def broken(path: Path, settings: Settings) -> llm.Runtime:
        raise ModelError("cannot load")

    runtimes = {"llama-cpp": broken if failing == "llama-cpp" else fake, "xllamacpp": fake}
    return LocalChatModel(Settings(), model_path_resolver=lambda s: tmp_path / "m.gguf", runtimes=runtimes), loaded


def test_auto_uses_xllamacpp_when_llama_cpp_cannot_load_the_model(tmp_path: Path) -> None:
    model, loaded = fake_model(tmp_path, failing="llama-cpp")
    model.load()
    assert model.runtime == "fake" and len(loaded) == 1


def test_a_closed_stream_stops_generation_at_the_next_token(tmp_path: Path) -> None:
    model, loaded = fake_model(tmp_path)
    stream = model.stream([{"role": "user", "content": "count"}], max_tokens=400)
    assert next(stream) == "0 "
    stream.close()
    model.wait_idle()  # the worker has let go of the model
    assert loaded[0].written < 50
    assert model.complete([{"role": "user", "content": "count"}], max_tokens=3) == "0 1 2 "
    assert model.last_timings == {"prompt_n": 3, "cache_n": 0, "predicted_n": 3}
