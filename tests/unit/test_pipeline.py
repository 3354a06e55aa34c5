"""The answer pipeline as a Runnable and as a stream, with real Chroma and a scripted model."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import RunnableLambda

from assistant import Answer, Assistant, Settings, build_assistant
from assistant.answering.answerers.generative import GenerativeAnswerer
from assistant.answering.pipeline import AnswerStream
from assistant.models.embedder import FakeEmbedder
from tests.fixtures.chat_models import ScriptedChatModel

FERRY = (
    "The island ferry leaves the harbour every 40 minutes from pier 3. Tickets for the ferry cost 6 euros. "
    "The crossing takes 25 minutes in calm weather."
)


def build(
    make_assistant: Callable[..., Assistant], tmp_path: Path, *replies: str
) -> tuple[Assistant, ScriptedChatModel]:
    doc = tmp_path / "ferry.txt"
    doc.write_text(FERRY, encoding="utf-8")
    model = ScriptedChatModel(*replies)
    assistant = make_assistant(embedder=FakeEmbedder())
    assistant = build_assistant(
        assistant.settings,
        embedder=FakeEmbedder(),
        answerer=GenerativeAnswerer(model, Settings(min_relevance=0.1), name="local"),
    )
    assistant.ingest([doc])
    return assistant, model


def test_stream_yields_only_checked_text_then_exposes_the_checked_answer(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    assistant, _ = build(make_assistant, tmp_path, "The ferry leaves every 40 minutes [1]. Tickets cost 95 euros [1].")
    stream = assistant.stream("How often does the ferry leave and what do tickets cost?")
    assert isinstance(stream, AnswerStream)
    pieces = list(stream)
    # The sentence the check withdrew is never streamed: a reader never sees the wrong price, even briefly.
    assert pieces and not any("95" in piece for piece in pieces)
    answer = stream.answer
    assert "".join(pieces) == stream.text == answer.answer
    assert answer.answer == "The ferry leaves every 40 minutes [1]."
    assert [u.sentence for u in answer.unsupported] == ["Tickets cost 95 euros [1]."]
    assert "95" in answer.unsupported[0].reason
    assert answer.timings.first_token_s is not None and answer.timings.first_token_s <= answer.timings.total_s


def test_a_question_about_what_no_document_mentions_is_refused_without_the_model(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    assistant, model = build(make_assistant, tmp_path)
    answer = assistant.ask("How often does the ferry leave in Crimea?")
    assert answer.refused and answer.refusal_reason == "they do not mention Crimea"
    assert answer.answer == "I don't know based on the documents: they do not mention Crimea."
    assert model.calls == []


def test_the_pipeline_is_a_runnable_that_tools_can_invoke_batch_and_compose(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    assistant, _ = build(
        make_assistant, tmp_path, "The ferry leaves every 40 minutes [1].", "Tickets cost 6 euros [1]."
    )
    events: list[str] = []

    class Recorder(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
            events.append("start")

        def on_chain_end(self, outputs: Any, **kwargs: Any) -> None:
            events.append("end")

    questions = [{"question": "How often does the ferry leave?"}, {"question": "What do ferry tickets cost?"}]
    answers = assistant.pipeline.batch(questions, config={"callbacks": [Recorder()], "max_concurrency": 1})
    assert [a.answer for a in answers] == ["The ferry leaves every 40 minutes [1].", "Tickets cost 6 euros [1]."]
    assert events.count("start") >= 2 and events.count("end") >= 2

    def asked(question: str) -> dict[str, Any]:
        return {"question": question}

    def refused(answer: Answer) -> bool:
        return answer.refused

    chain = RunnableLambda(asked) | assistant.pipeline | RunnableLambda(refused)
    assert chain.invoke("Who won the 1998 World Cup?") is True


def test_the_pipeline_stream_ends_with_the_answer(make_assistant: Callable[..., Assistant], tmp_path: Path) -> None:
    assistant, _ = build(make_assistant, tmp_path, "The crossing takes 25 minutes [1].")
    chunks = list(assistant.pipeline.stream({"question": "How long does the crossing take?"}))
    assert all(isinstance(chunk, str) for chunk in chunks[:-1]) and isinstance(chunks[-1], Answer)
    assert chunks[-1].answer == "The crossing takes 25 minutes [1]." and chunks[-1].citations[0].source.endswith(
        "ferry.txt"
    )


def test_answers_that_differ_only_in_where_markers_stand_say_the_same() -> None:
    from assistant.text.markers import same_claims

    assert same_claims("It is neutral [1] and unarmed [1].", "It is neutral and unarmed [1].")
    assert not same_claims("It is neutral [1].", "It is neutral [2].")
    assert not same_claims("It is neutral [1].", "It is armed [1].")
