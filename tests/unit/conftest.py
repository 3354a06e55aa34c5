"""What makes a test a unit test here: no network socket, no real embedding model, no local language model.

Each test of tests/unit runs with sockets disabled (pytest-socket; Unix sockets stay allowed, for the
socketpair an asyncio loop makes) and with the real models' loaders replaced by a failure that names what to
use instead, so a test that needs them fails at once rather than spending seconds loading a model. Tests that
need the real models, a server or a browser belong in tests/integration, tests/reliability, tests/ui or
tests/e2e; the few here that do are marked ``integration``. `make check` runs this folder without them,
`make test` runs everything.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest
from pytest_socket import disable_socket, enable_socket

from assistant.models import embedder, llm


def _no_real_model(what: str) -> Any:
    def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
        pytest.fail(
            f"a unit test loaded {what}; use FakeEmbedder (embedder='fake') or a scripted ChatModel, "
            "or move the test to tests/integration",
            pytrace=False,
        )

    return refuse


@pytest.fixture(autouse=True)
def _unit_test_limits(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No socket but Unix ones, no real embedding model, no local language model (except for the few tests
    marked ``integration``, which `make check` leaves out)."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    monkeypatch.setattr(embedder.SentenceTransformerEmbedder, "__init__", _no_real_model("the embedding model"))
    monkeypatch.setattr(embedder.OnnxEmbedder, "__init__", _no_real_model("the ONNX embedding model"))
    # The language model is stopped where a runtime loads it, so a runtime's own checks still run.
    if llm.llama_cpp_problem() is None:  # importing a build for another CPU could crash
        monkeypatch.setattr("llama_cpp.Llama", _no_real_model("the local language model (llama-cpp)"))
    if importlib.util.find_spec("xllamacpp") is not None:
        monkeypatch.setattr("xllamacpp.Server", _no_real_model("the local language model (xllamacpp)"))
    disable_socket(allow_unix_socket=True)
    try:
        yield
    finally:
        enable_socket()
