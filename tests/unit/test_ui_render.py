"""What the chat page renders: answers and card titles as markdown that document text cannot hijack."""

from markdown_it import MarkdownIt

from assistant.types import Answer, Citation
from ui.render import answer_markdown, card_title, escape


def html(markdown: str) -> str:
    """CommonMark rendering (Streamlit's renderer adds directives like :red-background[...] on top)."""
    return MarkdownIt("commonmark").render(markdown)


def answer(text: str, unsupported: list[str] | None = None) -> Answer:
    return Answer(answer=text, refused=False, standalone_question="q", unsupported=unsupported or [])


def test_an_unsupported_sentence_with_its_marker_is_marked_and_the_marker_stays_bold() -> None:
    markdown = answer_markdown(answer("The sky is blue [1]. The moon is made of cheese [2].",
                                      ["The moon is made of cheese [2]."]))
    assert markdown == "The sky is blue **[1]**\\. :red-background[The moon is made of cheese **[2]**\\.] ⚠"
    assert "<strong>[1]</strong>" in html(markdown) and "<strong>[2]</strong>" in html(markdown)


def test_a_repeated_unsupported_sentence_is_marked_twice_not_nested() -> None:
    markdown = answer_markdown(answer("Cheese [2]. Cheese [2].", ["Cheese [2].", "Cheese [2]."]))
    assert markdown == ":red-background[Cheese **[2]**\\.] ⚠ :red-background[Cheese **[2]**\\.] ⚠"


def test_markers_glued_to_words_still_render_bold() -> None:
    markdown = answer_markdown(answer("The moon is cheese[2]. It is [1,2]true [3][4].", ["The moon is cheese[2]."]))
    rendered = html(markdown)
    assert ":red-background[The moon is cheese **[2]**\\.] ⚠" in markdown
    for markers in ("[2]", "[1, 2]", "[3][4]"):
        assert f"<strong>{markers}</strong>" in rendered
    assert "*" not in rendered


def test_markup_in_an_answer_is_shown_as_text_not_rendered() -> None:
    text = "See <script>alert(1)</script> and **x** and [a](http://x) and ![i](http://y/i.png) [1]."
    rendered = html(answer_markdown(answer(text, [text])))
    assert "<script" not in rendered and "<a " not in rendered and "<img" not in rendered
    assert "<strong>x</strong>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered and "**x**" in rendered and "[a](http://x)" in rendered
    assert "<strong>[1]</strong>" in rendered


def test_a_file_name_with_markdown_is_escaped_in_the_card_title() -> None:
    name = "[click](javascript:alert(1)) ![i](x.png) **b**.md"  # a file name cannot hold '/'
    citation = Citation(n=1, source=f"/docs/{name}", chunk_id="c", start=0, end=5, text="hello")
    title = card_title(citation, 0.5)
    assert title == f"[1] {escape(name)} · chars 0-5 · score 0.500"
    rendered = html(title)
    assert "<a " not in rendered and "<img" not in rendered and "<strong>" not in rendered and name in rendered
