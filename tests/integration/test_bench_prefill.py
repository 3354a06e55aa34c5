"""The prefill benchmark (eval/bench/prefill.py) on a tiny size, so that it never rots."""

import pytest

from assistant.models.llm import llama_cpp_problem
from eval.bench.prefill import BASELINE, evidence_lines, markdown, prompt_for, run


def test_every_run_reads_fresh_evidence_under_the_same_system_prefix() -> None:
    lines = evidence_lines(1200)
    assert sum(len(line) + 1 for line in lines) >= 1200
    first, second = prompt_for(0, lines), prompt_for(1, lines)
    assert first[0] == second[0] and first[0]["role"] == "system"
    assert first[1]["content"] != second[1]["content"]
    assert first[1]["content"].splitlines()[1] != second[1]["content"].splitlines()[1]


@pytest.mark.llm
def test_the_prefill_benchmark_runs_on_a_tiny_size() -> None:
    result = run(runs=1, max_tokens=2, chars=150, quants=())
    wheel = result["variants"][BASELINE]
    assert wheel["prompt_tokens_per_s_p50"] > 0 and wheel["first_token_p50_s"] > 0
    assert wheel["prompt_tokens_cached_p50"] > 0, "the system prefix is read once, in the warm-up"
    assert "AVX2 = 1" in wheel["system_info"]
    if llama_cpp_problem() is None:
        native = result["variants"]["llama-cpp Q4_K_M"]
        assert (
            native["prompt_tokens_per_s_vs_wheel"] > 0
            and native["prompt_tokens_read_p50"] == wheel["prompt_tokens_read_p50"]
        )
    text = "\n".join(markdown(result))
    assert "| xllamacpp | Q4_K_M |" in text and "system info" in text
