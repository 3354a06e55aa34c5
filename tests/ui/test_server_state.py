"""The browser app on the server state store (QA_DATABASE_URL): what one host's app stores, another host's app
shows, because the collection, the saved chats and the documents' text live in PostgreSQL, not in the data folder."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import Settings, build_assistant
from assistant.chats.conversations import ConversationStore
from assistant.index.postgres.connection import PgConnection
from ui.render import escape

UI = Path(__file__).resolve().parents[2] / "ui"


def test_a_chat_asked_on_one_host_is_listed_with_its_answer_on_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_corpus: Path, postgres_url: str
) -> None:
    monkeypatch.setenv("QA_DATABASE_URL", postgres_url)
    monkeypatch.setenv("QA_COLLECTION", "ui-test")
    monkeypatch.setenv("QA_ANSWERER", "extractive")
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "host-a"))
    build_assistant(
        Settings(data_dir=tmp_path / "host-a", collection="ui-test", answerer="extractive", database_url=postgres_url)
    ).ingest([seed_corpus])
    app = AppTest.from_file(str(UI / "Chat.py"), default_timeout=120)
    app.run()
    app.chat_input[0].set_value("What does Russia demand?").run()
    assert not app.exception
    assert "neutrality" in app.chat_message[1].markdown[0].value

    # Another host: an empty data folder of its own, the same database. Vectors are embedded per host here
    # (no Chroma server in this test), so the documents page and the saved chat are what is checked.
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "host-b"))
    documents = AppTest.from_file(str(UI / "pages" / "1_Documents.py"), default_timeout=120)
    documents.run()
    assert not documents.exception
    shown = " ".join(str(element.value) for element in documents.main.markdown) + str(documents.dataframe)
    assert escape("ukraine_nato_news.txt") in shown or "ukraine_nato_news.txt" in shown
    [saved] = ConversationStore(PgConnection(postgres_url)).list()
    assert saved.title == "What does Russia demand?" and saved.collection == "ui-test"
    other = AppTest.from_file(str(UI / "Chat.py"), default_timeout=120)
    other.query_params["chat"] = saved.id
    other.run()
    assert not other.exception
    assert "neutrality" in other.chat_message[1].markdown[0].value
    assert not (tmp_path / "host-b" / "catalog.sqlite3").exists()
