"""Documents whose structure chunks cut: a procedure split across chunks, a Word table under its heading, a
workbook whose year is in its sheet names. Ingested into real Chroma with the real embedding model; the
excerpt read around the retrieved passages, and the real local model's answers (marked llm)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant, Settings, build_assistant
from assistant.answering.answerers.generative import GenerativeAnswerer
from assistant.answering.evidence import gather_evidence
from assistant.models.embedder import Embedder
from assistant.models.llm import LocalChatModel

STEPS = [
    "Turn the heating off and let the radiators cool for an hour.",
    "Put a cloth under the bleed valve at the top corner.",
    "Fit the radiator key to the valve and turn it a quarter turn anticlockwise.",
    "Wait until the hissing stops and water starts to drip.",
    "Close the valve by turning the key clockwise.",
    "Check the boiler pressure and top it up to 1.5 bar if it dropped.",
]
# The words of each step an answer in other words still carries.
STEP_WORDS = ["cool", "cloth", "quarter", "hissing", "clockwise", "pressure"]
HOW_TO = "How do I bleed a radiator?"


def write_guide(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "home_care.txt").write_text(
        "Radiator care\n\nOld radiators collect air over the summer, and a cold patch at the top is the usual "
        "sign. Bleeding them takes ten minutes and needs only a radiator key and a cloth.\n\n"
        "To bleed a radiator, work through these six steps in order.\n"
        + "\n".join(f"{number}. {step}" for number, step in enumerate(STEPS, start=1))
        + "\n\nRadiators that stay cold after bleeding may need their valves balanced by a plumber.\n\n"
        "Gutters\n\nClear the gutters each autumn once the leaves have fallen, working from a steady ladder.",
        encoding="utf-8",
    )
    return folder


def write_rota(folder: Path) -> Path:
    from docx import Document
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    memo = Document()
    memo.add_heading("Depot staffing", level=0)
    memo.add_paragraph("Each depot posts its rota by the door and keeps a copy in the shift office.")
    memo.add_heading("Weekend rota 2024", level=1)
    table = memo.add_table(rows=3, cols=3)
    cells = [["Depot", "Weekend hours", "Drivers"], ["Hillside", "08:00-16:00", "7"], ["Quayside", "10:00-18:00", "12"]]
    for row, values in zip(table.rows, cells, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    memo.save(str(folder / "depots.docx"))
    book = Workbook()
    for index, (title, staff) in enumerate([("Night shift 2023", 5), ("Night shift 2024", 3)]):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        rows: list[tuple[str, str, str | int]] = [("Site", "Hours", "Staff"), ("Harbour yard", "22:00-06:00", staff)]
        for row in rows:
            sheet.append(row)
    book.save(str(folder / "night_shifts.xlsx"))
    return folder


def excerpt_for(assistant: Assistant, embedder: Embedder, question: str) -> str:
    passages = assistant.search(question, 4)
    found = gather_evidence(question, embedder.embed(question), passages, embedder, assistant.document_text)
    return "\n".join(found.excerpt(assistant.settings.llm.excerpt_chars))


def test_a_procedure_split_across_chunks_is_read_whole_from_the_stored_document(
    tmp_path: Path, make_assistant: Callable[..., Assistant], real_embedder: Embedder
) -> None:
    assistant = make_assistant(chunk_size=300, chunk_overlap=0)
    assistant.ingest([write_guide(tmp_path / "docs")])
    chunks = [p.text for p in assistant.search(HOW_TO, 10)]
    assert not any(all(step in text for step in STEPS) for text in chunks)
    excerpt = excerpt_for(assistant, real_embedder, HOW_TO)
    places = [excerpt.find(step) for step in STEPS]
    assert -1 not in places and places == sorted(places), excerpt


def test_table_rows_reach_the_model_with_their_headers_and_the_year_that_scopes_them(
    tmp_path: Path, make_assistant: Callable[..., Assistant], real_embedder: Embedder
) -> None:
    assistant = make_assistant()
    assistant.ingest([write_rota(tmp_path / "docs")])
    excerpt = excerpt_for(assistant, real_embedder, "How many staff work the night shift at Harbour yard in 2024?")
    assert "Night shift 2024 — Site: Harbour yard; Hours: 22:00-06:00; Staff: 3." in excerpt, excerpt
    excerpt = excerpt_for(assistant, real_embedder, "How many drivers work weekends at Quayside depot?")
    assert "Weekend rota 2024 — Depot: Quayside; Weekend hours: 10:00-18:00; Drivers: 12." in excerpt, excerpt


@pytest.fixture
def ask_locally(tmp_path: Path, real_embedder: Embedder, local_model: LocalChatModel) -> Callable[..., Assistant]:
    def build(**overrides: Any) -> Assistant:
        settings = Settings(data_dir=tmp_path / "data", collection="structure", answerer="local", **overrides)
        writer = GenerativeAnswerer(local_model, settings, name="local")
        return build_assistant(settings, embedder=real_embedder, answerer=writer)

    return build


@pytest.mark.llm
def test_the_model_gives_all_six_steps_of_a_procedure_split_across_chunks(
    tmp_path: Path, ask_locally: Callable[..., Assistant]
) -> None:
    assistant = ask_locally(chunk_size=300, chunk_overlap=0)
    assistant.ingest([write_guide(tmp_path / "docs")])
    answer = assistant.ask(HOW_TO)
    assert not answer.refused, (answer.refusal_reason, answer.unsupported)
    written = answer.answer.lower()
    assert all(word in written for word in STEP_WORDS), answer.answer
    stored = assistant.document_text(answer.citations[0].source) or ""
    assert all(stored[c.start : c.end] == c.text for c in answer.citations)


@pytest.mark.llm
def test_the_model_answers_a_word_table_cell_with_its_header(
    tmp_path: Path, ask_locally: Callable[..., Assistant]
) -> None:
    assistant = ask_locally()
    assistant.ingest([write_rota(tmp_path / "docs")])
    answer = assistant.ask("How many drivers work weekends at the Quayside depot?")
    assert not answer.refused, (answer.refusal_reason, answer.unsupported)
    assert "12" in answer.answer, answer.answer
    assert any(
        "Drivers: 12" in citation.text and citation.source.endswith("depots.docx") for citation in answer.citations
    )
