"""What the chat page renders: answers and card titles as markdown that document text cannot hijack."""

from typing import Any

from markdown_it import MarkdownIt

from assistant.types import Answer, Citation, Unsupported
from ui.render import (
    REMOVED_HEADING,
    answer_markdown,
    card_title,
    conversation_markdown,
    escape,
    escaped_pieces,
    refusal_markdown,
    removed_markdown,
)


def html(markdown: str) -> str:
    """CommonMark rendering (Streamlit's renderer adds directives like :red-background[...] on top)."""
    return MarkdownIt("commonmark").render(markdown)


def answer(text: str, unsupported: list[Unsupported] | None = None, **fields: object) -> Answer:
    return Answer(answer=text, refused=False, standalone_question="q", unsupported=unsupported or [], **fields)


def test_markers_in_an_answer_are_bold_and_the_rest_is_escaped() -> None:
    markdown = answer_markdown(answer("The sky is blue [1]. It is [1, 2]."))
    assert markdown == "The sky is blue **[1]**\\. It is **[1, 2]**\\."
    assert "<strong>[1]</strong>" in html(markdown) and "<strong>[1, 2]</strong>" in html(markdown)


def test_markers_glued_to_words_still_render_bold() -> None:
    rendered = html(answer_markdown(answer("The moon is cheese[2]. It is [1,2]true [3][4].")))
    for markers in ("[2]", "[1, 2]", "[3][4]"):
        assert f"<strong>{markers}</strong>" in rendered
    assert "*" not in rendered


def test_markup_in_an_answer_is_shown_as_text_not_rendered() -> None:
    text = "See <script>alert(1)</script> and **x** and [a](http://x) and ![i](http://y/i.png) [1]."
    rendered = html(answer_markdown(answer(text)))
    assert "<script" not in rendered and "<a " not in rendered and "<img" not in rendered
    assert "<strong>x</strong>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered and "**x**" in rendered and "[a](http://x)" in rendered
    assert "<strong>[1]</strong>" in rendered


def test_a_removed_sentence_is_struck_through_on_red_beside_its_reason() -> None:
    item = Unsupported(sentence="Tickets cost 95 euros [1].", reason="the number 95 is not in the cited passage [1]")
    markdown = removed_markdown(item)
    assert markdown == (
        ":red-background[~~Tickets cost 95 euros \\[1\\]\\.~~] — the number 95 is not in the cited passage \\[1\\]"
    )
    struck = MarkdownIt("commonmark").enable("strikethrough").render(markdown)
    assert "<s>Tickets cost 95 euros [1].</s>" in struck or "<del>Tickets cost 95 euros [1].</del>" in struck


def test_markup_in_a_removed_sentence_or_its_reason_is_shown_as_text() -> None:
    item = Unsupported(
        sentence="<img src=x onerror=alert(1)> [a](http://x) ~~no~~ ] **b**", reason="<b>why</b> [r](http://y)"
    )
    rendered = html(removed_markdown(item))
    assert "<img" not in rendered and "<a " not in rendered and "<b>" not in rendered and "<strong>" not in rendered
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered and "[r](http://y)" in rendered


def test_a_refusal_adds_its_reason_only_when_the_text_does_not_say_it() -> None:
    said = Answer(
        answer="I don't know based on the documents: they do not mention Crimea.",
        refused=True,
        standalone_question="q",
        refusal_reason="they do not mention Crimea",
    )
    assert refusal_markdown(said) == escape(said.answer)
    unsaid = said.model_copy(update={"answer": "I don't know based on the documents."})
    assert refusal_markdown(unsaid) == f"{escape(unsaid.answer)}\n\n**Why:** {escape('they do not mention Crimea')}"


def test_the_export_lists_removed_sentences_and_refusal_reasons() -> None:
    partial = answer(
        "The ferry leaves every 40 minutes [1].",
        [Unsupported(sentence="Tickets cost 95 euros [1].", reason="the number 95 is not in passage [1]")],
    )
    refusal = Answer(
        answer="I don't know based on the documents.",
        refused=True,
        standalone_question="q",
        refusal_reason="they do not mention Crimea",
    )
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Ferry?"},
        {"role": "assistant", "content": partial.answer, "answer": partial.model_dump()},
        {"role": "user", "content": "Crimea?"},
        {"role": "assistant", "content": refusal.answer, "answer": refusal.model_dump()},
    ]
    exported = conversation_markdown(messages)
    assert f"{REMOVED_HEADING}:\n- ~~Tickets cost 95 euros [1].~~ (the number 95 is not in passage [1])" in exported
    assert "*Why:* they do not mention Crimea" in exported


def test_streamed_pieces_are_escaped_one_by_one() -> None:
    assert "".join(escaped_pieces(["![i](http://y", "/i.png)", " [1]."])) == escape("![i](http://y/i.png) [1].")


def test_a_file_name_with_markdown_is_escaped_in_the_card_title() -> None:
    name = "[click](javascript:alert(1)) ![i](x.png) **b**.md"  # a file name cannot hold '/'
    citation = Citation(n=1, source=f"/docs/{name}", chunk_id="c", start=0, end=5, text="hello")
    title = card_title(citation, 0.5)
    assert title == f"[1] {escape(name)} · chars 0-5 · score 0.500"
    rendered = html(title)
    assert "<a " not in rendered and "<img" not in rendered and "<strong>" not in rendered and name in rendered
