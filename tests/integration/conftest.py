"""Fixtures of the integration tests: the real packaged language model, loaded once for all of them."""

import pytest

from assistant import Settings
from assistant.models.llm import LocalChatModel


@pytest.fixture(scope="session")
def local_model() -> LocalChatModel:
    """The packaged GGUF model in process (llm-marked tests only: it takes seconds to load)."""
    model = LocalChatModel(Settings())
    model.load()
    return model
