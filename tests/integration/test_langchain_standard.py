"""LangChain's own standard test suites (langchain-tests) over the project's LangChain parts: the retriever
(RetrieversIntegrationTests, real Chroma and embedding model) and the chat-model adapter of the packaged
local model (ChatModelUnitTests; ChatModelIntegrationTests with the real model, marked `llm`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests, RetrieversIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from assistant import Settings, build_assistant
from assistant.answering.retrieval import PassageRetriever
from assistant.models.embedder import Embedder
from assistant.models.langchain_chat import ChatCitedQA

FACTS = [
    "Honey bees visit about 100 flowers on one foraging trip.",
    "A bee colony keeps its brood nest near 35 degrees Celsius.",
    "Drones are male bees and have no sting.",
    "Worker bees make wax from glands under their abdomen.",
    "Rye bread needs a sour starter and a long, slow rise.",
]


@pytest.fixture(scope="module")
def bee_search(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Any:
    folder = tmp_path_factory.mktemp("standard")
    (folder / "docs").mkdir()
    for number, fact in enumerate(FACTS):
        (folder / "docs" / f"fact{number}.txt").write_text(fact, encoding="utf-8")
    assistant = build_assistant(
        Settings(data_dir=folder / "data", collection="bees", answerer="extractive"), embedder=real_embedder
    )
    assert assistant.ingest([folder / "docs"]).summary() == f"{len(FACTS)} added"
    return assistant.retriever().search


class TestPassageRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's retriever suite, with ``k`` in the constructor and in invoke()."""

    @pytest.fixture(autouse=True)
    def _collection(self, bee_search: Any) -> None:
        self._search = bee_search

    @property
    def retriever_constructor(self) -> type[PassageRetriever]:
        return PassageRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"search": self._search}

    @property
    def retriever_query_example(self) -> str:
        return "How many flowers does a bee visit?"


class TestChatCitedQAUnit(ChatModelUnitTests):
    """LangChain's chat-model unit suite: construction and standard parameters, no model loaded."""

    @property
    def chat_model_class(self) -> type[ChatCitedQA]:
        return ChatCitedQA

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {}


@pytest.mark.llm
class TestChatCitedQAIntegration(ChatModelIntegrationTests):
    """LangChain's chat-model integration suite against the packaged local model (loaded once, shared)."""

    @pytest.fixture(autouse=True)
    def _offline(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    @property
    def chat_model_class(self) -> type[ChatCitedQA]:
        return ChatCitedQA

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"max_tokens": 32}

    @property
    def has_tool_calling(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return False
