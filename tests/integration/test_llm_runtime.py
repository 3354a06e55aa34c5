"""The llama-cpp runtime (llama-cpp-python built for this CPU by `make install`) with the packaged model."""

from pathlib import Path
from typing import Any

import pytest

from assistant import Settings
from assistant.models.llm import LocalChatModel, llama_cpp_problem
from assistant.models.model_files import resolve_model_path

pytestmark = pytest.mark.llm

COUNT = [{"role": "user", "content": "Count from 1 to 30, one number per line, nothing else."}]


@pytest.fixture(scope="module")
def model() -> LocalChatModel:
    problem = llama_cpp_problem()
    if problem:
        pytest.skip(f"the llama-cpp runtime is not usable here: {problem}")
    local = LocalChatModel(Settings(llm_runtime="llama-cpp"))
    local.load()
    assert local.runtime == "llama-cpp"
    return local


def test_it_streams_token_by_token_with_the_gguf_chat_template(model: LocalChatModel) -> None:
    pieces = list(model.stream(COUNT, max_tokens=24))
    assert len(pieces) > 5
    text = "".join(pieces)
    assert text.split()[:3] == ["1", "2", "3"]
    assert "<|im_end|>" not in text and "<|im_start|>" not in text
    timings = model.last_timings
    assert timings["prompt_n"] + timings["cache_n"] > 10 and timings["predicted_n"] >= 5
    assert timings["prompt_per_second"] > 0 and timings["predicted_per_second"] > 0


def test_it_stops_before_a_stop_string(model: LocalChatModel) -> None:
    text = model.complete(COUNT, max_tokens=40, stop=["5"])
    assert "4" in text and "5" not in text


def test_a_closed_stream_stops_generation_at_the_next_token(model: LocalChatModel) -> None:
    stream = model.stream(COUNT, max_tokens=200)
    next(stream)
    stream.close()
    model.wait_idle()  # the worker has let go of the model
    assert model.last_timings["predicted_n"] < 10


def test_a_second_question_reuses_the_cached_system_prefix(model: LocalChatModel) -> None:
    system = {"role": "system", "content": "You answer questions about numbers in one short sentence. " * 6}
    model.complete([system, {"role": "user", "content": "Is 7 a prime number?"}], max_tokens=4)
    model.complete([system, {"role": "user", "content": "Is 9 an even number?"}], max_tokens=4)
    timings = model.last_timings
    assert timings["cache_n"] >= 60, timings  # the system message was not read again
    assert timings["prompt_n"] < 30, timings


def test_a_fresh_process_loads_the_read_system_prompt_instead_of_reading_it(
    model: LocalChatModel, tmp_path: Path
) -> None:
    settings = Settings(llm_runtime="llama-cpp", llm_model_path=resolve_model_path(Settings()), models_dir=tmp_path)
    system = {"role": "system", "content": "You answer questions about numbers with yes or no, nothing else. " * 6}
    question = [system, {"role": "user", "content": "Is 7 a prime number?"}]

    def cold(messages: list[dict[str, str]]) -> tuple[str, dict[str, Any]]:
        fresh = LocalChatModel(settings)  # a new llama.cpp context, as a new `qa ask` process has
        return fresh.complete(messages, max_tokens=6), fresh.last_timings

    first, read = cold(question)
    assert read["cache_n"] == 0 and list((tmp_path / "prompt-states").glob("prefix-*.state"))
    second, loaded = cold(question)
    assert second == first  # the saved state answers exactly as reading the prompt does
    assert loaded["cache_n"] >= 60 and loaded["prompt_n"] < 30, loaded
    changed = [{"role": "system", "content": system["content"].replace("yes or no", "a number")}, question[1]]
    assert cold(changed)[1]["cache_n"] == 0  # another system prompt never loads a stale state


def test_make_install_warms_up_the_answer_prompt_so_the_first_question_starts_fast(
    model: LocalChatModel, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "QA_MODELS_DIR": str(tmp_path),
        "QA_LLM_MODEL_PATH": str(resolve_model_path(Settings())),
        "QA_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "warm-up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0 and "local model ready (llama-cpp)" in done.stderr, done.stderr
    assert len(list((tmp_path / "prompt-states").glob("prefix-*.state"))) == 1
