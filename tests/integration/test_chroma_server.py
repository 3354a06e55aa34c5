"""Scale-out by configuration: the same assistant against a real `chroma run` server."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant import Assistant, StoreError
from tests.fixtures.servers import chroma_server, free_port


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[str]:
    with chroma_server(tmp_path / "server") as url:
        yield url


def test_ingest_and_search_through_a_chroma_server(
    make_assistant: Callable[..., Assistant], chroma: str, tmp_path: Path
) -> None:
    doc = tmp_path / "harbour.txt"
    doc.write_text("The harbour master raises a red flag when winds pass 40 knots.", encoding="utf-8")
    assistant = make_assistant(chroma_url=chroma)
    assert assistant.ingest([doc]).summary() == "1 added"
    assert not (tmp_path / "data" / "chroma").exists()
    passage = assistant.search("When is the red flag raised?", k=1)[0]
    assert "40 knots" in passage.text
    again = make_assistant(chroma_url=chroma)
    assert again.ingest([doc]).summary() == "1 unchanged"
    assert again.store.count() == assistant.store.count()


def test_unreachable_server_is_a_clear_error(make_assistant: Callable[..., Assistant]) -> None:
    assistant = make_assistant(chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreError, match=r"cannot reach the Chroma server at http://127.0.0.1:\d+"):
        assistant.search("anything")
