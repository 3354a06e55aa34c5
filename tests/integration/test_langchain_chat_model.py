"""QA_LLM_CHAT_MODEL: the openai answerer writing through a LangChain chat model named "provider:model"
(langchain-openai's ChatOpenAI, pointed by base URL at a scripted OpenAI-compatible server on loopback), a bad
name told in one line with its fix, and the token counts such a server reports reaching `qa serve`'s usage."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from assistant import Assistant, Settings, build_assistant
from tests.fixtures.fake_llm_server import FakeLLM, fake_llm_server, usage_of
from tests.fixtures.ferry import CRIMEA_QUESTION, PARTIAL_QUESTION, PARTIAL_REPLY, write_ferry_document
from tests.integration.test_http_api import start
from tests.reliability.conftest import qa_env

QUESTION = "How often does the harbour ferry leave?"
REPLY = "The ferry leaves every 40 minutes [1]."
ROOT = Path(__file__).resolve().parents[2]


def qa(data: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`qa ARGS` in its own process; no OPENAI_* variable of the developer's leaks in."""
    variables = {key: value for key, value in qa_env(data, env).items() if not key.startswith("OPENAI_") or key in env}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=variables,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def writer_settings(writer: str, llm: FakeLLM) -> dict[str, Any]:
    """The settings of the openai answerer writing through LangChain or through its own HTTP client."""
    if writer == "langchain":
        return {
            "answerer": "openai",
            "llm_chat_model": "openai:some-model",
            "llm_base_url": llm.url,
            "llm_api_key": "unused",
        }
    return {"answerer": "openai", "llm_base_url": llm.url, "llm_model": "some-model"}


@pytest.fixture
def ferry(tmp_path: Path) -> Path:
    return write_ferry_document(tmp_path / "docs")


def test_the_assistant_answers_with_citations_through_a_chat_model_named_by_the_setting(
    make_assistant: Callable[..., Assistant], ferry: Path
) -> None:
    with fake_llm_server(REPLY) as llm:
        assistant = make_assistant(**writer_settings("langchain", llm))
        assistant.ingest([ferry])
        answer = assistant.ask(QUESTION)
    assert not answer.refused and "every 40 minutes [1]" in answer.answer
    assert [Path(citation.source).name for citation in answer.citations] == ["harbour_ferry.txt"]
    request = llm.requests[-1]
    assert request["model"] == "some-model" and request["stream"] is True
    assert "harbour ferry leaves every 40 minutes" in json.dumps(request["messages"])


def test_the_claim_check_and_refusals_do_not_depend_on_how_the_text_was_written(
    make_assistant: Callable[..., Assistant], ferry: Path
) -> None:
    answers = {}
    for writer in ("http", "langchain"):
        with fake_llm_server(PARTIAL_REPLY) as llm:
            assistant = make_assistant(**writer_settings(writer, llm), collection=f"ferry-{writer}")
            assistant.ingest([ferry])
            answers[writer] = (assistant.ask(PARTIAL_QUESTION), assistant.ask(CRIMEA_QUESTION))
            asked = len(llm.requests)
        assert asked == 1, "the question about Crimea is refused before any model is asked"
    (http_partial, http_crimea), (lc_partial, lc_crimea) = answers["http"], answers["langchain"]
    assert lc_partial.answer == http_partial.answer and "95 euros" not in lc_partial.answer
    assert [u.sentence for u in lc_partial.unsupported] == [u.sentence for u in http_partial.unsupported] != []
    assert [(c.n, c.start, c.end) for c in lc_partial.citations] == [
        (c.n, c.start, c.end) for c in http_partial.citations
    ]
    assert lc_crimea.refused and lc_crimea.answer == http_crimea.answer


def test_qa_ask_answers_through_the_chat_model_with_the_providers_own_variables(tmp_path: Path, ferry: Path) -> None:
    data = tmp_path / "data"
    assert qa(data, "ingest", str(ferry), env={}).returncode == 0
    with fake_llm_server(REPLY) as llm:
        # Only a name: langchain-openai reads its server and key from its own variables.
        env = {
            "QA_ANSWERER": "openai",
            "QA_LLM_CHAT_MODEL": "openai:some-model",
            "OPENAI_BASE_URL": llm.url,
            "OPENAI_API_KEY": "unused",
        }
        asked = qa(data, "ask", QUESTION, "--json", env=env)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and "every 40 minutes [1]" in answer["answer"]
    assert Path(answer["citations"][0]["source"]).name == "harbour_ferry.txt"
    assert llm.requests and llm.requests[-1]["model"] == "some-model"


BAD_NAMES = [
    ("gpt-4o-mini", "is not 'provider:model'; write it like openai:gpt-4o-mini"),
    ("nosuch:model", "LangChain knows no provider 'nosuch'; choose one of: "),
    ("openai:some-model", "could not be set up"),  # no key anywhere: ChatOpenAI refuses to start
]
if importlib.util.find_spec("langchain_anthropic") is None:
    BAD_NAMES.append(("anthropic:claude-x", "needs the provider's package: `pip install langchain-anthropic`"))


@pytest.mark.parametrize(("name", "expected"), BAD_NAMES, ids=[name for name, _ in BAD_NAMES])
def test_a_bad_chat_model_name_is_one_line_naming_the_setting_and_the_fix(
    tmp_path: Path, ferry: Path, name: str, expected: str
) -> None:
    data = tmp_path / "data"
    assert qa(data, "ingest", str(ferry), env={}).returncode == 0
    env = {"QA_ANSWERER": "openai", "QA_LLM_CHAT_MODEL": name}
    done = qa(data, "ask", QUESTION, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert f"QA_LLM_CHAT_MODEL={name!r}" in lines[0] and expected in lines[0], lines[0]


@pytest.fixture(params=["http", "langchain"])
def served(request: pytest.FixtureRequest, tmp_path: Path, ferry: Path) -> Iterator[tuple[str, FakeLLM]]:
    """`qa serve` (in this process, on loopback) over the ferry document, writing through the fake server."""
    with fake_llm_server(REPLY) as llm:
        settings = Settings(data_dir=tmp_path / "data", **writer_settings(request.param, llm))
        build_assistant(settings).ingest([ferry])
        for url in start(settings):
            yield url, llm


def test_qa_serve_reports_the_token_counts_the_model_server_reported(served: tuple[str, FakeLLM]) -> None:
    url, llm = served
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0, timeout=120)
    messages: Any = [{"role": "user", "content": QUESTION}]
    reply = client.chat.completions.create(model="docs", messages=messages)
    assert reply.choices[0].message.model_extra is not None
    assert reply.choices[0].message.model_extra["citations"]
    expected = usage_of(llm.requests[-1], REPLY)
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (
        expected["prompt_tokens"],
        expected["completion_tokens"],
    )
    assert reply.usage.completion_tokens > 0

    stream = client.chat.completions.create(
        model="docs", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    last = list(stream)[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == expected["completion_tokens"] and last.usage.prompt_tokens > 0


def test_a_server_that_refuses_stream_options_still_answers(
    make_assistant: Callable[..., Assistant], ferry: Path
) -> None:
    with fake_llm_server(REPLY) as llm:
        llm.reject_stream_options = True
        assistant = make_assistant(**writer_settings("http", llm))
        assistant.ingest([ferry])
        first, second = assistant.ask(QUESTION), assistant.ask(QUESTION)
    assert "every 40 minutes [1]" in first.answer and "every 40 minutes [1]" in second.answer
    # Asked once with the field, then without it from then on.
    assert ["stream_options" in body for body in llm.requests] == [True, False, False]


def test_health_names_the_chat_model_when_no_server_url_is_set(make_assistant: Callable[..., Assistant]) -> None:
    from assistant.app.http.health import health_report

    assistant = make_assistant(answerer="openai", llm_chat_model="openai:some-model", llm_api_key="unused")
    check = health_report(assistant)["checks"]["language_model"]
    assert check["status"] == "ok" and "openai:some-model" in check["detail"]
