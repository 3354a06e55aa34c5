"""What an answer rests on, as a person sees it in the chat: source cards titled for people, numbered as the
answer cites them, details behind a toggle, and the passage opened in its document in a dialog beside the chat
(a Markdown file formatted, never live). Real assistant, extractive answerer, temp data (AppTest)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from assistant import Settings, build_assistant
from tests.fixtures.documents import write_pdf
from ui.render import CLOSEST_HEADING, DETAILS_LABEL, OPEN_LABEL, SHOW_MORE_LABEL, escape

CHAT = Path(__file__).resolve().parents[2] / "ui" / "Chat.py"
FILLER = "".join(
    f"## Canteen week {n}\n\nThe canteen menu of week {n} lists soup, bread and a salad of the day for everyone.\n\n"
    for n in range(40)
)
HANDBOOK = f"""# Staff handbook

Welcome to the **team**. See [the intranet](http://intranet.example/secret) and ![the logo](http://x.example/y.png).
<script>alert(1)</script>

{FILLER}## 4.2 Holidays

Every employee gets **25 days** of paid holiday per year. Unused days can be carried over until *March 31*.

- Ask your manager first
- Book holidays in the *HR tool*

{FILLER.replace("Canteen", "Parking").replace("canteen menu", "parking plan")}## 4.3 Sick leave

Call in before 9 am on the first day of illness.
"""
HOLIDAY_QUESTION = "How many days of paid holiday does every employee get per year?"
FERRY_PAGE = "The ferry runs daily between the islands. It leaves every 40 minutes from the north quay."


@pytest.fixture
def handbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Markdown handbook and a PDF timetable ingested into a temp collection the app reads."""
    docs = tmp_path / "uploads" / "batch-7f3a"
    docs.mkdir(parents=True)
    (docs / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    write_pdf(docs / "ferry_timetable.pdf", ["Harbour notes.", FERRY_PAGE])
    data = tmp_path / "data"
    monkeypatch.setenv("QA_DATA_DIR", str(data))
    monkeypatch.setenv("QA_COLLECTION", "handbook")
    monkeypatch.setenv("QA_ANSWERER", "extractive")
    build_assistant(Settings(data_dir=data, collection="handbook", answerer="extractive")).ingest([docs])
    return docs


def ask(question: str) -> AppTest:
    app = AppTest.from_file(str(CHAT), default_timeout=120)
    app.run()
    app.chat_input[0].set_value(question).run()
    assert not app.exception and not app.error
    return app


def dialog(app: AppTest) -> Block | None:
    """The open dialog: AppTest's tree holds dialogs in its third root block (after main and sidebar)."""
    event = app._tree.children[2]
    found = [
        child
        for child in event.children.values()
        if isinstance(child, Block) and child.proto is not None and child.proto.WhichOneof("type") == "dialog"
    ]
    return found[0] if found else None


def dialog_text(app: AppTest) -> str:
    shown = dialog(app)
    assert shown is not None
    return "\n\n".join(markdown.value for markdown in shown.markdown)


def html(markdown: str) -> str:
    """CommonMark rendering of what the page shows, without Streamlit's colour marks (':orange-background[...]',
    whose closing bracket is the only unescaped one)."""
    unmarked = re.sub(r"(?<!\\)\]", "", re.sub(r":(?:orange|gray)-background\[", "", markdown))
    return MarkdownIt("commonmark").enable("table").render(unmarked)


def test_source_cards_are_titled_for_people_and_numbered_as_the_answer_cites_them(handbook: Path) -> None:
    app = ask(HOLIDAY_QUESTION)
    message = app.chat_message[1]
    answer = message.markdown[0].value
    assert "25 days" in answer
    cards = [expander.label for expander in message.expander]
    assert cards, "the answer shows no source card"
    # Numbered 1..n, each marker in the text is a card, and no title shows offsets, scores or folders.
    assert [label.split("]")[0] for label in cards] == [f"[{n}" for n in range(1, len(cards) + 1)]
    shown = {int(n) for group in re.findall(r"\*\*((?:\[[\d, ]+\])+)\*\*", answer) for n in re.findall(r"\d+", group)}
    assert shown == set(range(1, len(cards) + 1))
    assert cards[0] == "[1] " + escape("handbook.md · Staff handbook > 4.2 Holidays")
    assert not any(re.search(r"chars|score|batch-7f3a|uploads", label) for label in cards)
    # Details (offsets, score, stored path) only when asked for.
    assert not any("Characters" in caption.value for caption in message.caption)
    message.toggle[0].set_value(True).run()
    [details] = [caption.value for caption in app.chat_message[1].caption if "Characters" in caption.value]
    assert "retrieval score" in details and escape(str(handbook / "handbook.md")) in details
    assert app.chat_message[1].toggle[0].label == DETAILS_LABEL


def test_open_in_the_document_shows_the_markdown_formatted_and_inert_beside_the_chat(handbook: Path) -> None:
    app = ask(HOLIDAY_QUESTION)
    before = [markdown.value for markdown in app.chat_message[1].markdown]
    params = dict(app.query_params)
    assert dialog(app) is None
    next(button for button in app.chat_message[1].button if button.label == OPEN_LABEL).click().run()
    assert not app.exception
    shown = dialog(app)
    assert shown is not None
    assert shown.proto.dialog.title == escape("handbook.md · Staff handbook > 4.2 Holidays")
    text = dialog_text(app)
    rendered = html(text)
    # The cited sentence is marked, and the Markdown reads as formatted text: no '###' or '**' to read.
    assert re.search(r":orange-background\[Every employee gets \*\*25 days\*\* of paid holiday per year", text)
    assert "<h4>4.2 Holidays</h4>" in rendered
    assert "<strong>25 days</strong>" in rendered and "<li>Ask your manager first</li>" in rendered
    assert "##" not in rendered and "**" not in rendered
    # The chat behind it is as it was: same messages, same address.
    assert [markdown.value for markdown in app.chat_message[1].markdown] == before
    assert dict(app.query_params) == params


def test_show_more_widens_the_context_and_keeps_the_dialog_open(handbook: Path) -> None:
    app = ask(HOLIDAY_QUESTION)
    next(button for button in app.chat_message[1].button if button.label == OPEN_LABEL).click().run()
    first = dialog_text(app)
    assert "Staff handbook" not in first  # about 1,500 characters each side, not the whole file
    shown = dialog(app)
    assert shown is not None
    next(button for button in shown.button if button.label == SHOW_MORE_LABEL).click().run()
    wider = dialog_text(app)
    assert len(wider) > len(first) + 2000
    # The whole handbook: its start is formatted, its link shows as text, its image as alt text, HTML as text.
    for _ in range(5):
        shown = dialog(app)
        assert shown is not None
        more = [button for button in shown.button if button.label == SHOW_MORE_LABEL]
        if not more:
            break
        more[0].click().run()
    rendered = html(dialog_text(app))
    assert "<h3>Staff handbook</h3>" in rendered and "<strong>team</strong>" in rendered
    assert "See the intranet and the logo." in rendered and "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "<a " not in rendered and "<img" not in rendered and "<script" not in rendered
    assert "intranet.example" not in rendered and "y.png" not in rendered


def test_a_refusal_shows_the_closest_passages_as_cards_that_open(handbook: Path) -> None:
    app = ask("What is the parental leave policy for fathers?")
    [info] = app.info
    assert info.value.startswith(escape("I don't know based on the documents"))
    message = app.chat_message[1]
    assert f"##### {CLOSEST_HEADING}" in [markdown.value for markdown in message.markdown]
    cards = [expander.label for expander in message.expander]
    assert 1 <= len(cards) <= 5 and all(label.startswith(f"[{n}] ") for n, label in enumerate(cards, 1))
    next(button for button in message.button if button.label == OPEN_LABEL).click().run()
    shown = dialog(app)
    assert shown is not None and ":orange-background[" in dialog_text(app)
    assert "The passage found is marked in orange." in [caption.value for caption in shown.caption]


def test_a_pdf_passage_opens_with_its_page_drawn(handbook: Path) -> None:
    app = ask("How often does the ferry leave from the north quay?")
    card = next(
        expander for expander in app.chat_message[1].expander if "ferry" in expander.label and "pdf" in expander.label
    )
    assert card.label.endswith("page 2")
    next(button for button in card.button if button.label == OPEN_LABEL).click().run()
    shown = dialog(app)
    assert shown is not None and not app.exception
    assert "every 40 minutes" in dialog_text(app)
    assert shown.get("image"), "the PDF page is not drawn"
