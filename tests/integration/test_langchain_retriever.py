"""The LangChain seam: the retriever the Assistant answers from, usable in a tool's own chain."""

from collections.abc import Callable
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda

from assistant import Assistant, Passage
from assistant.answering.retrieval import passage_from_document


def test_a_langchain_chain_gets_passages_whose_offsets_slice_the_source(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    bees = tmp_path / "bees.md"
    bees.write_text(
        "# Bees\n\nHoney bees visit about 100 flowers on one trip.\n\nDrones do not sting.\n", encoding="utf-8"
    )
    bread = tmp_path / "bread.txt"
    bread.write_text("Rye bread needs a sour starter and a long, slow rise.\n", encoding="utf-8")
    assistant = make_assistant(answerer="extractive")
    assistant.ingest([bees, bread])

    def passages_of(docs: list[Document]) -> list[Passage]:
        return [passage_from_document(d) for d in docs]

    chain = assistant.retriever(k=2) | RunnableLambda(passages_of)
    passages = chain.invoke("How many flowers does a bee visit?")
    assert Path(passages[0].source).name == "bees.md"
    assert bees.read_text(encoding="utf-8")[passages[0].start : passages[0].end] == passages[0].text

    only_bread = assistant.retriever(k=2, sources=[str(bread.resolve())]).invoke("How many flowers does a bee visit?")
    assert {Path(d.metadata["source"]).name for d in only_bread} == {"bread.txt"}
