"""The document view's text: the window around a citation, its marks, and document text kept inert."""

import re
from pathlib import Path

from eval.compare import question_changes
from ui.evidence_view import Span, context_window, marked_markdown, page_image, parse_spans

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
