"""One question, one visible sequence: condense -> retrieve -> gate -> write -> check claims -> decide.

``AnswerPipeline`` is a LangChain Runnable (``invoke``, ``stream``, ``batch`` and callbacks work for
tools that compose it); its stream yields the text as it is written, then the checked ``Answer``.
``AnswerStream`` wraps that stream for callers: iterate it for text, then read ``.answer``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from assistant.answering.answerers.base import Answerer
from assistant.answering.comparison import comparison_parts, merge
from assistant.answering.evidence import gather_evidence
from assistant.answering.hygiene import inert, inert_all
from assistant.answering.retrieval import PassageRetriever, passage_from_document
from assistant.answering.support import SupportJudge
from assistant.answering.verification import CheckedAnswer, check_answer, gate, refused
from assistant.errors import InputError
from assistant.models.embedder import Embedder
from assistant.types import Answer, Passage, Timings, Unsupported

MAX_QUESTION_CHARS = 2000
History = Sequence[dict[str, str]]


def check_question(question: str) -> str:
    """The question stripped, or an InputError saying what is wrong with it."""
    question = (question or "").strip()
    if not question:
        raise InputError("the question is empty; type a question about your documents")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}")
    return question


class AnswerPipeline(Runnable[dict[str, Any], Answer]):
    """Input ``{"question": str, "history": [{role, content}, ...]}``; output the checked ``Answer``."""

    def __init__(
        self,
        *,
        answerer: Answerer,
        retriever: PassageRetriever,
        embedder: Embedder,
        document_text: Callable[[str], str | None],
        min_relevance: float,
        min_coverage: float,
        support: SupportJudge | None = None,
        link_hosts: Sequence[str] = (),
    ) -> None:
        self.answerer = answerer
        self.link_hosts = tuple(link_hosts)
        self.support = support or SupportJudge(None)
        self.retriever = retriever
        self.embedder = embedder
        self.document_text = document_text
        self.min_relevance = min_relevance
        self.min_coverage = min_coverage

    def invoke(self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        """Run every step and return the checked Answer."""
        final: Answer | None = None
        for piece in self.stream(input, config, **kwargs):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None
        return final

    def stream(self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Any]:
        """Yield text pieces as they are written, then the checked Answer."""
        # The output type langchain reads names the final Answer only; the text pieces before it are the stream.
        yield from self._transform_stream_with_config(iter([input]), self._transform, config, **kwargs)  # type: ignore[arg-type]

    def _transform(self, inputs: Iterator[dict[str, Any]], config: RunnableConfig) -> Iterator[str | Answer]:
        for item in inputs:
            yield from self._steps(check_question(item.get("question", "")), item.get("history") or [], config)

    def _steps(self, question: str, history: History, config: RunnableConfig) -> Iterator[str | Answer]:
        started = time.perf_counter()
        standalone = self.answerer.condense(question, history)
        parts = comparison_parts(standalone)
        retrieve_s = 0.0
        draft: str | None
        if parts:
            # A comparison: each part retrieved, answered and checked on its own, each value with its citation.
            answered_parts = []
            drafts = []
            for part in parts:
                checked, passages, draft, spent = yield from self._answer(part, config)
                answered_parts.append((part, checked, passages))
                drafts.append(draft or "")
                retrieve_s += spent
            checked, passages = merge(answered_parts)
            draft = "\n".join(drafts)
        else:
            checked, passages, draft, retrieve_s = yield from self._answer(standalone, config)
        shown, notes = self._inert(checked)
        first_token: float | None = None
        # Only checked text is streamed: a draft the check withdraws is never shown as the answer, and a
        # refusal's first sentence is the first thing the reader sees.
        # Cut from the whole inert text: no piece can carry half of a link or image that the next one completes.
        for piece in sentence_pieces(shown.text):
            if first_token is None:
                first_token = time.perf_counter()
            yield piece
        total = time.perf_counter() - started
        yield Answer(
            answer=shown.text,
            refused=shown.refused,
            refusal_reason=shown.refusal_reason,
            citations=shown.citations,
            passages=passages,
            standalone_question=standalone,
            unsupported=shown.unsupported,
            notes=list(notes),
            draft=draft,
            timings=Timings(
                retrieve_s=round(retrieve_s, 4),
                first_token_s=round(first_token - started, 4) if first_token is not None else None,
                answer_s=round(total - retrieve_s, 4),
                total_s=round(total, 4),
            ),
        )

    def _inert(self, checked: CheckedAnswer) -> tuple[CheckedAnswer, tuple[str, ...]]:
        """The checked answer as it may leave the system: its text, refusal reason and removed sentences hold no
        image, HTML or link outside ``link_hosts`` (``assistant.answering.hygiene``), and notes saying what was changed.
        Citations keep the documents' own text, so that their offsets hold."""
        text = inert(checked.text, self.link_hosts)
        reason = inert(checked.refusal_reason, self.link_hosts) if checked.refusal_reason is not None else None
        removed = [piece for item in checked.unsupported for piece in (item.sentence, item.reason)]
        cleaned, removed_notes = inert_all(removed, self.link_hosts)
        notes = tuple(dict.fromkeys([*text.notes, *(reason.notes if reason else ()), *removed_notes]))
        shown = CheckedAnswer(
            text.text,
            refused=checked.refused,
            refusal_reason=reason.text if reason else None,
            citations=checked.citations,
            unsupported=[
                Unsupported(sentence=sentence, reason=why)
                for sentence, why in zip(cleaned[::2], cleaned[1::2], strict=True)
            ],
        )
        return shown, notes

    def _answer(
        self, question: str, config: RunnableConfig
    ) -> Generator[str, None, tuple[CheckedAnswer, list[Passage], str | None, float]]:
        """Retrieve, gate, write and check one standalone question; returns the checked answer, the passages
        shown, the draft (None when the gate refused) and the seconds retrieval took.

        While the draft is written it yields an empty piece per token: nothing is shown, but a caller that
        stops reading (a client gone, Ctrl-C) can close the stream between tokens, which stops the model.
        """
        started = time.perf_counter()
        vector = self.embedder.embed(question)
        documents = self.retriever.invoke(question, config, query_vector=vector)
        passages = [passage_from_document(document) for document in documents]
        evidence = gather_evidence(question, vector, passages, self.embedder, self.document_text)
        evidence, reason = gate(
            evidence, self.document_text, self.min_relevance, self.min_coverage, lenient=self.answerer.can_decline
        )
        passages = evidence.passages if reason is None else passages
        retrieved = time.perf_counter() - started
        if reason is not None:
            return refused(reason), passages, None, retrieved
        written = []
        for piece in self.answerer.stream(evidence):
            written.append(piece)
            yield ""
        draft = "".join(written)
        checked = check_answer(draft, evidence, self.document_text, self.embedder, self.support)
        return checked, passages, draft, retrieved


def sentence_pieces(text: str) -> list[str]:
    """The checked answer cut after each sentence or line, so a reader sees it arrive a sentence at a time."""
    pieces = re.findall(r".*?(?:[.!?][\"'”’)]?(?:\s*\[[\d, ]+\])*[.!?]?(?:\s+|$)|\n+|$)", text, flags=re.DOTALL)
    return [piece for piece in pieces if piece]


class AnswerStream:
    """The answer as it is written: iterate for text pieces; ``.answer`` is the checked Answer at the end.

    ``.text`` is the checked text streamed so far. Reading ``.answer`` early
    consumes the rest of the stream. ``close()`` stops a generation the caller no longer wants.
    """

    def __init__(self, events: Iterator[str | Answer]) -> None:
        self._events = events
        self._answer: Answer | None = None
        self._pieces: list[str] = []

    def __iter__(self) -> AnswerStream:
        return self

    def __next__(self) -> str:
        if self._answer is not None:
            raise StopIteration
        for event in self._events:
            if isinstance(event, Answer):
                self._answer = event
                break
            self._pieces.append(event)
            return event
        raise StopIteration

    @property
    def text(self) -> str:
        """The checked text streamed so far."""
        return "".join(self._pieces)

    @property
    def answer(self) -> Answer:
        """The checked Answer (drains the stream first)."""
        for _ in self:
            pass
        if self._answer is None:
            raise RuntimeError("the answer stream ended without an answer")
        return self._answer

    def close(self) -> None:
        """Stop generating (the local model stops at its next token)."""
        close = getattr(self._events, "close", None)
        if close is not None:
            close()
