"""The document view's text: the window around a citation, its marks, and document text kept inert."""

import re
from pathlib import Path

from markdown_it import MarkdownIt

from eval.compare import question_changes
from ui.evidence_view import (
    Span,
    context_markdown,
    context_window,
    marked_markdown,
    page_image,
    parse_spans,
    passage_markdown,
)

TEXT = (
    "First paragraph about piers.\n\nThe ferry runs daily. It leaves every 40 minutes. Tickets cost four euro."
    "\n\nLast paragraph about winter."
)


def test_link_spans_are_parsed_and_malformed_ones_dropped() -> None:
    assert parse_spans("10-20, 30-45,x-1,9-3,") == [Span(10, 20), Span(30, 45)]
    assert parse_spans(None) == []


def test_the_window_takes_whole_paragraphs_around_the_passage() -> None:
    start = TEXT.index("The ferry")
    window = context_window(TEXT, Span(start, start + 20), chars=5)
    assert TEXT[window.start : window.end].startswith("The ferry") and window.end < len(TEXT)


def test_plain_text_shows_about_1500_characters_each_side_in_whole_paragraphs() -> None:
    paragraphs = [f"Paragraph {n} says something about the harbour ferry and its timetable." for n in range(200)]
    text = "\n\n".join(paragraphs)
    start = text.index("Paragraph 100 ")
    passage = Span(start, start + len(paragraphs[100]))
    window = context_window(text, passage)
    assert 1200 <= passage.start - window.start <= 2300 and 1200 <= window.end - passage.end <= 2300
    assert (
        text[window.start : window.start + 10].startswith("Paragraph ") and text[window.end : window.end + 2] == "\n\n"
    )
    shown = marked_markdown(text, window, passage, [])
    assert "…" not in shown and shown.count("\n\n") > 30
    wider = context_window(text, passage, 4500)
    assert wider.start < window.start and wider.end > window.end


def test_a_window_in_text_without_paragraphs_ends_on_lines_or_words() -> None:
    text = "\n".join(f"line {n} of a long list" for n in range(500))
    start = text.index("line 250 ")
    window = context_window(text, Span(start, start + 10))
    assert text[window.start - 1] == "\n" and text[window.end] == "\n"


def test_the_cited_sentence_is_marked_the_rest_of_the_passage_greyed_and_paragraphs_kept() -> None:
    passage = Span(TEXT.index("The ferry"), TEXT.index("\n\nLast"))
    sentence = Span(TEXT.index("It leaves"), TEXT.index(" Tickets"))
    markdown = marked_markdown(TEXT, Span(0, len(TEXT)), passage, [sentence])
    assert ":orange-background[**It leaves every 40 minutes\\.**]" in markdown
    assert ":gray-background[The ferry runs daily\\.]" in markdown
    assert markdown.count("\n\n") == 2


def test_markup_in_a_document_is_shown_as_text() -> None:
    text = "Intro. <script>alert(1)</script> [click](http://evil.example) <img src=x onerror=alert(2)> End."
    markdown = marked_markdown(text, Span(0, len(text)), Span(7, len(text)), [])
    # Every character markdown or HTML could act on is backslash-escaped.
    assert not re.search(r"(?<!\\)[<>\[\]()]", markdown.replace(":orange-background[", "").removesuffix("]"))
    assert "\\<script\\>" in markdown


HANDBOOK = """# Title

Welcome **bold** and *italic* text. See [link](http://x) and ![img](http://x/y.png) and <script>alert(1)</script>.

## 4.2 Holidays

Every employee gets **25 days** of paid holiday. Unused days lapse in *March*.

- Ask your manager
- Book in the HR tool

| Grade | Days |
|-------|------|
| A | 25 |
"""


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_a_markdown_document_is_shown_formatted_and_inert_with_the_cited_sentence_marked() -> None:
    sentence = HANDBOOK.index("Every employee")
    passage = Span(HANDBOOK.index("## 4.2"), HANDBOOK.index("- Ask"))
    highlight = Span(sentence, HANDBOOK.index(" Unused"))
    markdown = context_markdown(HANDBOOK, "/srv/uploads/handbook.md", Span(0, len(HANDBOOK)), passage, [highlight])
    html = rendered(markdown)
    assert "<h3>Title</h3>" in html and "<strong>bold</strong>" in html and "<em>italic</em>" in html
    assert "<li>Ask your manager</li>" in html and "<table>" in html and "<td>25</td>" in html
    assert ":orange-background[Every employee gets **25 days** of paid holiday\\.]" in markdown
    # Links as their text, images as their alt text, HTML as text; no raw Markdown syntax left to read.
    assert "<a " not in html and "<img" not in html and "<script" not in html and "http://x" not in html
    assert "See link and img and &lt;script&gt;alert(1)&lt;/script&gt;." in html
    assert "##" not in html and "**" not in html


def test_a_markdown_passage_alone_is_formatted_with_its_heading_as_a_bold_line() -> None:
    start = HANDBOOK.index("## 4.2")
    text = HANDBOOK[start : HANDBOOK.index("| Grade")]
    sentence = Span(HANDBOOK.index("Every employee"), HANDBOOK.index(" Unused"))
    markdown = passage_markdown("handbook.md", start, text, [sentence])
    assert markdown.startswith("**4\\.2 Holidays**")
    assert ":orange-background[Every employee gets **25 days** of paid holiday\\.]" in markdown
    plain = passage_markdown("notes.txt", start, text, [sentence])
    assert plain.startswith("\\#\\# 4\\.2 Holidays") and ":orange-background[**Every employee" in plain


def test_a_pdf_page_is_drawn_with_the_cited_sentence_marked(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Page one text.")
    pdf.add_page()
    pdf.multi_cell(0, 8, "The ferry runs daily between the islands. It leaves every 40 minutes from the north quay.")
    pdf.output(str(tmp_path / "f.pdf"))
    drawn = page_image(tmp_path / "f.pdf", 2, ["It leaves every 40\nminutes from the north quay."])
    assert drawn is not None and drawn.marked is not None
    assert drawn.close_up().height < drawn.image.height
    orange = [
        pixel for pixel in drawn.close_up().getdata() if pixel[0] > 200 and 150 < pixel[1] < 220 and pixel[2] < 150
    ]
    assert orange
    assert page_image(tmp_path / "f.pdf", 2, ["not on this page"]).marked is None  # type: ignore[union-attr]
    assert page_image(tmp_path / "f.pdf", 9, ["x"]) is None


def test_questions_that_got_worse_and_better_are_found_by_id() -> None:
    old = {
        "per_question": [
            {"id": "a", "question": "A?", "answer_contains": 1.0, "hit@5": 1.0},
            {"id": "b", "question": "B?", "answer_contains": 0.0, "hit@5": None},
            {"id": "c", "question": "C?", "answer_contains": 1.0, "hit@5": 1.0},
        ]
    }
    new = {
        "per_question": [
            {"id": "a", "question": "A?", "answer_contains": 0.0, "hit@5": 1.0},
            {"id": "b", "question": "B?", "answer_contains": 1.0, "hit@5": None},
            {"id": "c", "question": "C?", "answer_contains": 1.0, "hit@5": 1.0},
            {"id": "d", "question": "D?", "answer_contains": 1.0, "hit@5": 1.0},
        ]
    }
    worse, better = question_changes(old, new)
    assert [change["id"] for change in worse] == ["a"] and [change["id"] for change in better] == ["b"]
    assert worse[0]["old"]["answer_contains"] == 1.0 and worse[0]["new"]["answer_contains"] == 0.0
