"""Writes the binary documents of the sample corpus (a PDF and a DOCX) from the text held here.

Run from the repository root: `python -m eval.build_sample_corpus`. The output is deterministic, so
the committed files only change when this text does.
"""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

BIDEN_REPORT_PAGES = [
    (
        "Washington's cautious line on Ukraine and NATO\n\n"
        "Policy memo, page 1 of 2\n\n"
        "Throughout the war, the Biden administration has taken a cautious stance on Ukraine's wish "
        "to join NATO. Officials have said that Ukraine is not yet ready to become a member of the "
        "alliance, pointing to the ongoing war and to reforms that are still unfinished.\n\n"
        "There are signs that this may change. Recent reports suggest that President Joe Biden could "
        "be willing to move Ukraine's membership bid forward before his term ends in January, so that "
        "the decision is not left entirely to his successor."
    ),
    (
        "Policy memo, page 2 of 2\n\n"
        "The incoming team is divided. The Wall Street Journal reported ambivalence among Donald "
        "Trump's advisers about NATO membership for Ukraine. Instead of membership, some of them "
        "favour speeding up military support before Biden leaves office.\n\n"
        "For Kyiv this creates a complicated picture: an outgoing president who hesitates on "
        "membership, and an incoming one whose team talks more about weapons and a ceasefire than "
        "about the alliance. Ukrainian diplomats say they will keep working with both."
    ),
]

TIMELINE_PARAGRAPHS = [
    "Timeline: Ukraine's road towards NATO",
    (
        "Ukraine has wanted to join NATO for many years, and its leaders describe membership as vital "
        "for national security as tensions with Russia grow."
    ),
    (
        "2022: the conflict with Russia escalated sharply. Many observers link the escalation in part to "
        "Ukraine's turn towards the West."
    ),
    (
        "Autumn: Ukrainian President Volodymyr Zelensky met U.S. President-elect Donald Trump in Paris. "
        "American support for Ukraine and the NATO bid were at the centre of the talks."
    ),
    (
        "The coming weeks: Kyiv is talking to both the outgoing and the incoming U.S. administrations. "
        "Decisions taken in Washington now could shape relations between the United States and Ukraine "
        "and the stability of Eastern Europe for years."
    ),
    (
        "Open question: whether a new administration will keep supplying military aid while pressing for "
        "a negotiated end to the war."
    ),
]


def write_pdf(path: Path, pages: list[str]) -> None:
    """One page per string, core font, fixed creation date so the bytes are reproducible."""
    import datetime

    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    pdf.set_title("Washington's cautious line on Ukraine and NATO")
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))


def write_docx(path: Path, paragraphs: list[str]) -> None:
    """A heading and paragraphs; core properties pinned so the bytes don't depend on the clock."""
    import datetime

    from docx import Document

    document = Document()
    document.add_heading(paragraphs[0], level=1)
    for text in paragraphs[1:]:
        document.add_paragraph(text)
    fixed = datetime.datetime(2026, 1, 1)
    document.core_properties.created = fixed
    document.core_properties.modified = fixed
    document.core_properties.last_modified_by = "cited-qa"
    document.core_properties.author = "cited-qa"
    document.save(str(path))


def main() -> None:
    """Write both files into eval/corpus/."""
    write_pdf(CORPUS / "biden_nato_policy_memo.pdf", BIDEN_REPORT_PAGES)
    write_docx(CORPUS / "ukraine_nato_timeline.docx", TIMELINE_PARAGRAPHS)


if __name__ == "__main__":
    main()
