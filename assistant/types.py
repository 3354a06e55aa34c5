"""Core types: the stored chunk, and the typed results that cross into the CLI, the HTTP service, the UI and the
evaluation harness."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class ChunkRecord:
    """A piece of a document as the chunker cuts it and the catalog stores it: ``document_text[start:end] == text``."""

    chunk_id: str
    source: str
    start: int
    end: int
    page: int | None
    text: str
    # Where the chunk sits: 'Book > Chapter 2', 'Sales > row 14', 'Deck > Slide 3: Budget'; '' when the
    # format has no sections. Shown on citations and indexed for keyword search with the text.
    section: str = ""


class Span(BaseModel):
    """A stretch of a source document: ``document_text[start:end] == text``."""

    source: str = Field(description="Path of the source file, as ingested.")
    chunk_id: str = Field(description="Stable id of the chunk this span belongs to.")
    start: int = Field(description="Start character offset in the loaded document text.")
    end: int = Field(description="End character offset (exclusive) in the loaded document text.")
    page: int | None = Field(
        default=None, description="1-based page number (a slide's number), when the format has pages."
    )
    text: str = Field(
        description="The text of the span, exactly as the document has it (offsets hold): raw document text, which "
        "may hold Markdown or HTML; escape it before rendering. The answer text is made inert instead."
    )
    section: str = Field(
        default="",
        description="Where the span sits, outermost first: 'Book > Chapter 2', 'Sales > row 14', 'Slide 3: Budget', "
        "'page 2 (OCR text)'; '' when the format has no sections.",
    )


class Passage(Span):
    """A retrieved chunk, as shown to the answerer and the user."""

    score: float = Field(default=0.0, description="Fused retrieval score; higher is more relevant.")


class Highlight(BaseModel):
    """A sentence inside a cited passage that the answer rests on (absolute offsets; raw document text)."""

    start: int
    end: int
    text: str


class Citation(Span):
    """A ``[n]`` marker of an answer, resolved to the passage it names."""

    n: int = Field(description="The marker number as it appears in the answer text.")
    highlights: list[Highlight] = Field(
        default_factory=list, description="Sentences of the passage that support the answer."
    )


class Timings(BaseModel):
    """Seconds spent in each stage of one question."""

    retrieve_s: float = 0.0
    first_token_s: float | None = Field(default=None, description="From the question to the first text piece.")
    answer_s: float = 0.0
    total_s: float = 0.0


class Unsupported(BaseModel):
    """An answer sentence the claim check removed, and why."""

    sentence: str = Field(description="The sentence as the answerer wrote it, made inert like the answer text.")
    reason: str = Field(description="What the cited passages lack, e.g. 'the number 1998 is not in passage [1]'.")


class Answer(BaseModel):
    """The answer to one question, with the evidence it rests on."""

    answer: str = Field(
        description="Answer text with [n] markers; safe to render as Markdown: no image, no HTML, and links only to "
        "the hosts of the link_hosts setting."
    )
    refused: bool = Field(description="True when the documents do not support an answer.")
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list, description="All passages shown, numbered from 1.")
    standalone_question: str = Field(description="The question as used for retrieval.")
    timings: Timings = Field(default_factory=Timings)
    refusal_reason: str | None = Field(
        default=None, description="Why the documents do not support an answer (only when refused)."
    )
    unsupported: list[Unsupported] = Field(
        default_factory=list,
        description="Sentences the claim check removed from the answer because their cited passages do not state them.",
    )
    notes: list[str] = Field(
        default_factory=list,
        description="How the answer text differs from what the documents hold, e.g. 'a link from the documents was "
        "shown as text'.",
    )
    draft: str | None = Field(
        default=None,
        exclude=True,
        description="What the answerer wrote before the claim check (kept for evaluation; never serialised).",
    )
