"""A process that used the local model ends quietly: no TypeError traceback from llama_cpp at the interpreter's exit.

A model something still holds at exit (a cache, a registry, a test fixture) used to be freed by Llama.__del__
after the interpreter had wiped llama_cpp's module globals, which printed "Exception ignored in ... __del__ ...
TypeError: 'NoneType' object is not callable" at the end of a green `make test`. When that happens depends on the
order of the teardown; the script below makes it certain: its own exit hook runs after the project's, wipes
llama_cpp's functions as the teardown does, then frees what the model still holds as __del__ would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import atexit
    import sys

    held = []

    def teardown_as_the_interpreter_does():
        binding = sys.modules["llama_cpp.llama_cpp"]
        for name in [name for name in vars(binding) if name.startswith("llama_")]:
            setattr(binding, name, None)
        for llama in held:  # what Llama.__del__ and LlamaSampler.__del__ do when they finally run
            if llama._sampler is not None:
                llama._sampler.close()
            llama.close()
        print("teardown done", flush=True)

    atexit.register(teardown_as_the_interpreter_does)  # registered first: runs after the project's exit hooks

    from assistant import Settings
    from assistant.models.llm import LocalChatModel

    model = LocalChatModel(Settings(llm_runtime="llama-cpp"))
    model.load()
    messages = [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "Say hi."}]
    print("reply:", "".join(model.stream(messages, max_tokens=4)), flush=True)
    held.append(model._runtime._llama)
    """
)


@pytest.mark.llm
def test_a_process_that_used_the_local_model_exits_without_a_traceback(tmp_path: Path) -> None:
    from assistant.models.llm import llama_cpp_problem

    if llama_cpp_problem():
        pytest.skip(f"llama-cpp-python is not usable here: {llama_cpp_problem()}")
    script = tmp_path / "use_the_model.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "reply: " in done.stdout and "teardown done" in done.stdout, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "TypeError" not in done.stderr, done.stderr
