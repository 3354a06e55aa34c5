"""Markup in file names and document titles, in a real browser: shown as text on the Documents page and on
citation cards, never run, never turned into links or images."""

from collections.abc import Iterator
from typing import Any

import pytest

from assistant import Settings, build_assistant
from tests.fixtures.streamlit_app import app_environment, ask, running_app

pytestmark = pytest.mark.e2e

LINK_NAME = "[click me](javascript:window.__pwned=4) ferry.md"
IMAGE_NAME = '<img src=x onerror="window.__pwned=3"> tides.txt'
TITLED_PAGE = (
    "<html><head><title><script>window.__pwned=5</script>Pier **notice** "
    "[go](javascript:window.__pwned=6)</title></head>"
    "<body><p>The pier closes at dusk in winter.</p></body></html>"
)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    docs = tmp_path_factory.mktemp("hostile-names")
    (docs / LINK_NAME).write_text("The harbour ferry leaves every 40 minutes from the north pier.", encoding="utf-8")
    (docs / IMAGE_NAME).write_text("The tide tables list high water at 06:12 on Mondays.", encoding="utf-8")
    (docs / "pier.html").write_text(TITLED_PAGE, encoding="utf-8")
    data = tmp_path_factory.mktemp("hostile-data")
    report = build_assistant(Settings(data_dir=data, collection="names", answerer="extractive")).ingest([docs])
    assert report.summary() == "3 added"
    env = app_environment({"QA_DATA_DIR": str(data), "QA_COLLECTION": "names", "QA_ANSWERER": "extractive"})
    with running_app(env) as url:
        yield url


def assert_nothing_ran(page: object, dialogs: list[str]) -> None:
    assert page.evaluate("window.__pwned") is None and not dialogs  # type: ignore[attr-defined]
    assert page.locator("img[src='x']").count() == 0  # type: ignore[attr-defined]
    assert page.locator("a[href^='javascript']").count() == 0  # type: ignore[attr-defined]


def test_markup_in_names_and_titles_is_shown_as_text(page: object, app_url: str) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)  # type: ignore[attr-defined]
    page.goto(f"{app_url}/Documents")  # type: ignore[attr-defined]
    page.get_by_text("javascript:window.__pwned=4", exact=False).first.wait_for()  # type: ignore[attr-defined]
    page.get_by_text("onerror", exact=False).first.wait_for()  # type: ignore[attr-defined]
    assert_nothing_ran(page, dialogs)

    ask(page, app_url, "How often does the harbour ferry leave?")
    card = page.locator('[data-testid="stExpander"]').filter(has_text="ferry.md").first  # type: ignore[attr-defined]
    card.wait_for()
    assert "[click me](javascript" in card.locator("summary").inner_text()
    ask(page, app_url, "When does the pier close?")
    card = page.locator('[data-testid="stExpander"]').filter(has_text="pier.html").first  # type: ignore[attr-defined]
    card.wait_for()
    card.locator("summary").click()
    assert_nothing_ran(page, dialogs)
