"""The excerpt follows the document, not the chunk: lists and procedures whole wherever chunks cut them,
table rows with their headers and the heading or sheet that scopes them (real embedding model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering.evidence import Evidence, gather_evidence
from assistant.answering.verification import valid_passages
from assistant.models.embedder import Embedder
from assistant.types import Passage
from ingest.chunker import chunk_document
from ingest.document import LoadedDocument
from ingest.loaders import load_document

STEPS = [
    "Turn the heating off and let the radiators cool for an hour.",
    "Put a cloth under the bleed valve at the top corner.",
    "Fit the radiator key to the valve and turn it a quarter turn anticlockwise.",
    "Wait until the hissing stops and water starts to drip.",
    "Close the valve by turning the key clockwise.",
    "Check the boiler pressure and top it up to 1.5 bar if it dropped.",
]
RADIATORS = (
    "Radiator care\n\nOld radiators collect air over the summer, and a cold patch at the top is the usual sign. "
    "Bleeding them takes ten minutes and needs only a radiator key and a cloth.\n\n"
    "To bleed a radiator, work through these six steps in order.\n"
    + "\n".join(f"{number}. {step}" for number, step in enumerate(STEPS, start=1))
    + "\n\nRadiators that stay cold after bleeding may need their valves balanced by a plumber."
)


def passage_of(source: str, document: str, start: int, end: int) -> Passage:
    return Passage(source=source, chunk_id=f"{source}:{start}", start=start, end=end, text=document[start:end])


def evidence_for(question: str, passages: list[Passage], texts: dict[str, str], embedder: Embedder) -> Evidence:
    return gather_evidence(question, embedder.embed(question), passages, embedder, texts.get)


def assert_exact(evidence: Evidence, texts: dict[str, str]) -> None:
    """Every passage still slices its document, and so does every sentence the model may be shown."""
    assert valid_passages(evidence.passages, texts.get) == set(range(1, len(evidence.passages) + 1))
    for sentence in evidence.sentences:
        assert texts[evidence.passages[sentence.passage_number - 1].source][sentence.start : sentence.end] == (
            sentence.text
        )


def in_order(excerpt: str, items: list[str]) -> bool:
    places = [excerpt.find(item) for item in items]
    return -1 not in places and places == sorted(places)


@pytest.mark.parametrize("held", [1, 2], ids=["chunk-with-the-first-steps", "chunk-with-the-last-steps"])
def test_a_six_step_procedure_cut_by_chunks_reaches_the_model_whole_and_in_order(
    held: int, real_embedder: Embedder
) -> None:
    chunks = chunk_document(LoadedDocument("radiators.txt", RADIATORS), size=300, overlap=0)
    assert not any(all(step in chunk.text for step in STEPS) for chunk in chunks)  # the chunker does split it
    texts = {"radiators.txt": RADIATORS}
    chunk = chunks[held]
    found = evidence_for(
        "How do I bleed a radiator?",
        [passage_of("radiators.txt", RADIATORS, chunk.start, chunk.end)],
        texts,
        real_embedder,
    )
    excerpt = "\n".join(found.excerpt(900))
    assert in_order(excerpt, ["To bleed a radiator", *STEPS]), excerpt
    assert_exact(found, texts)


def test_without_the_document_the_excerpt_stays_within_its_chunk(real_embedder: Embedder) -> None:
    chunk = chunk_document(LoadedDocument("radiators.txt", RADIATORS), size=300, overlap=0)[1]
    question = "How do I bleed a radiator?"
    passage = passage_of("radiators.txt", RADIATORS, chunk.start, chunk.end)
    found = gather_evidence(question, real_embedder.embed(question), [passage], real_embedder)
    assert found.passages == [passage] and STEPS[5] not in "\n".join(found.excerpt(900))


def test_a_list_introduced_by_a_sentence_ending_in_a_full_stop_is_given_whole(real_embedder: Embedder) -> None:
    document = (
        "The library lends more than books. Members may borrow the following items for two weeks.\n"
        "- board games\n- sewing machines\n- telescopes\n- cake tins\n\n"
        "Opening hours are posted at the front desk and on the website."
    )
    texts = {"library.txt": document}
    lead = document.index("Members")
    # Retrieval found the lead-in alone: its chunk ended where the list begins.
    passage = passage_of("library.txt", document, 0, document.index("\n"))
    found = evidence_for("What can members borrow from the library?", [passage], texts, real_embedder)
    excerpt = "\n".join(found.excerpt(400))
    assert in_order(excerpt, [document[lead : document.index("\n")], "board games", "sewing machines", "cake tins"])
    assert "Opening hours" not in found.passages[0].text
    assert_exact(found, texts)


def test_a_procedure_retrieved_by_its_title_alone_brings_its_steps(real_embedder: Embedder) -> None:
    document = (
        "# How to bleed a radiator (north wing)\n\n"
        + "The north wing keeps these notes beside the boiler and on the shared drive. " * 8
        + "\n\nFollow these steps.\n\n"
        + "\n".join(f"{number}. {step}" for number, step in enumerate(STEPS, start=1))
        + "\n\n# Who to call\n\n1. The caretaker on extension 12."
    )
    texts = {"north.md": document}
    # The chunk holding the title ends in the introduction, before the steps.
    passage = passage_of("north.md", document, 0, document.index("Follow") - 40)
    found = evidence_for("How do you bleed a radiator in the north wing?", [passage], texts, real_embedder)
    excerpt = "\n".join(found.excerpt(400))
    assert in_order(excerpt, ["Follow these steps.", *STEPS]), excerpt
    assert "caretaker" not in excerpt
    assert_exact(found, texts)


def test_a_step_with_a_second_sentence_does_not_end_the_procedure(real_embedder: Embedder) -> None:
    document = (
        "To descale the kettle, follow these steps.\n1. Fill it halfway with white vinegar.\n"
        "2. Boil it. Leave it to stand.\n3. Pour the vinegar away.\n4. Rinse it twice with clean water."
    )
    texts = {"kettle.txt": document}
    found = evidence_for(
        "How do I descale the kettle?", [passage_of("kettle.txt", document, 0, len(document))], texts, real_embedder
    )
    excerpt = "\n".join(found.excerpt(200))
    assert in_order(excerpt, ["white vinegar", "Leave it to stand", "Pour the vinegar away", "Rinse it twice"])


def test_table_rows_far_below_their_heading_are_shown_under_it(real_embedder: Embedder) -> None:
    rows = [f"Site: Depot {number}; Shift: night; Staff: {number + 2}." for number in range(1, 13)]
    document = "# Staffing\n\nAll depots.\n\n## Night rota 2024\n\n" + "\n".join(rows) + "\n"
    texts = {"rota.md": document}
    start = document.index(rows[9])
    passage = passage_of("rota.md", document, start, start + len(rows[9]))
    passage = passage.model_copy(update={"section": "Staffing > Night rota 2024"})
    found = evidence_for("How many night staff does Depot 10 have in 2024?", [passage], texts, real_embedder)
    assert found.excerpt(300)[0].startswith("[1] Night rota 2024 — ")
    assert "Staff: 12" in found.excerpt(300)[0]
    assert found.passages[0].text.startswith("## Night rota 2024")
    assert_exact(found, texts)


def test_a_docx_table_becomes_header_value_rows_in_place_under_its_heading(tmp_path: Path) -> None:
    from docx import Document

    memo = Document()
    memo.add_heading("Depot staffing", level=0)
    memo.add_paragraph("Each depot posts its rota by the door.")
    memo.add_heading("Rota 2024", level=1)
    table = memo.add_table(rows=3, cols=3)
    for row, values in zip(
        table.rows,
        [["Site", "Hours", "Staff"], ["Site A", "06:00-14:00", "4"], ["Site B", "14:00-20:00", "3"]],
        strict=True,
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    memo.add_heading("Overtime", level=1)
    memo.add_paragraph("Overtime is paid at time and a half.")
    memo.save(str(tmp_path / "staffing.docx"))
    document = load_document(tmp_path / "staffing.docx")
    row = "Rota 2024 — Site: Site B; Hours: 14:00-20:00; Staff: 3."
    assert row in document.text.splitlines()
    assert document.text.index("Rota 2024\n") < document.text.index(row) < document.text.index("Overtime is paid")
    assert document.section_at(document.text.index(row)) == "Depot staffing > Rota 2024"
    assert document.section_at(document.text.index("Overtime is paid")) == "Depot staffing > Overtime"


def test_a_docx_numbered_list_keeps_its_numbers(tmp_path: Path) -> None:
    from docx import Document

    guide = Document()
    guide.add_paragraph("To reset the alarm:")
    for step in ["Open the panel.", "Press reset.", "Close the panel."]:
        guide.add_paragraph(step, style="List Number")
    guide.save(str(tmp_path / "alarm.docx"))
    assert "1. Open the panel.\n\n2. Press reset.\n\n3. Close the panel." in load_document(tmp_path / "alarm.docx").text


def test_every_row_of_a_slide_table_is_kept_with_its_header_and_the_slide_title(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Ferry fares 2025"
    grid = slide.shapes.add_table(4, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for row, values in enumerate(
        [["Route", "Fare"], ["North Loop", "4 euros"], ["Bay Express", "6 euros"], ["Night", "9 euros"]]
    ):
        for column, value in enumerate(values):
            grid.cell(row, column).text = value
    deck.save(str(tmp_path / "fares.pptx"))
    text = load_document(tmp_path / "fares.pptx").text
    for route, fare in [("North Loop", "4 euros"), ("Bay Express", "6 euros"), ("Night", "9 euros")]:
        assert f"Ferry fares 2025 — Route: {route}; Fare: {fare}." in text


def test_a_sheet_row_names_its_sheet_so_the_year_reaches_the_model(tmp_path: Path, real_embedder: Embedder) -> None:
    from openpyxl import Workbook

    book = Workbook()
    for index, (title, staff) in enumerate([("Rota 2023", 5), ("Rota 2024", 3)]):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        rows: list[tuple[str, str, str | int]] = [("Site", "Hours", "Staff"), ("Site B", "14:00-20:00", staff)]
        for row in rows:
            sheet.append(row)
    book.save(str(tmp_path / "rota.xlsx"))
    document = load_document(tmp_path / "rota.xlsx")
    chunks = [chunk for chunk in chunk_document(document) if "Site B" in chunk.text]
    passages = [passage_of(document.source, document.text, chunk.start, chunk.end) for chunk in chunks]
    found = evidence_for(
        "How many staff work at Site B in 2024?", passages, {document.source: document.text}, real_embedder
    )
    assert "[2] Rota 2024 — Site: Site B; Hours: 14:00-20:00; Staff: 3." in found.excerpt(900)


def test_a_quiz_printed_in_a_document_is_never_shown_as_evidence(real_embedder: Embedder) -> None:
    quiz = (
        "Weekly quiz\n\nQuestion 1: Which team won the county cup in 2024?\n"
        "A. Harbour Rovers B. Millbrook Town C. Kingsgate United\n\nAnswers next week."
    )
    report = "Millbrook Town won the county cup in 2024, beating Kingsgate United 2-1 in the final."
    texts = {"quiz.md": quiz, "report.txt": report}
    passages = [passage_of("quiz.md", quiz, 0, len(quiz)), passage_of("report.txt", report, 0, len(report))]
    found = evidence_for("Which team won the county cup in 2024?", passages, texts, real_embedder)
    excerpt = "\n".join(found.excerpt(600))
    assert "Millbrook Town won the county cup" in excerpt
    assert "Harbour Rovers" not in excerpt and "Which team won" not in excerpt
