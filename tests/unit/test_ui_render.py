"""What the chat page renders: answers, card titles, the "Why this answer?" text and the export, as markdown
that document text cannot hijack, numbered as the reader sees the cards."""

from typing import Any

from markdown_it import MarkdownIt

from assistant.types import Answer, Citation, Highlight, Passage, Unsupported
from tests.fixtures.markdown_render import live_parts
from ui.render import (
    answer_cards,
    answer_markdown,
    card_details,
    card_title,
    conversation_markdown,
    escape,
    escaped_pieces,
    export_file_name,
    refusal_markdown,
    removed_markdown,
    why_markdown,
)


def html(markdown: str) -> str:
    """CommonMark rendering (Streamlit's renderer adds directives like :red-background[...] on top)."""
    return MarkdownIt("commonmark").render(markdown)


def cite(n: int, source: str = "/srv/qa/uploads/7f3a/handbook.md", **fields: Any) -> Citation:
    values: dict[str, Any] = {"chunk_id": f"c{n}", "start": 10 * n, "end": 10 * n + 5, "text": f"text {n}"}
    return Citation(n=n, source=source, **(values | fields))


def answer(text: str, unsupported: list[Unsupported] | None = None, **fields: Any) -> Answer:
    if "citations" not in fields:
        fields["citations"] = [cite(1), cite(2)]
    return Answer(answer=text, refused=False, standalone_question="q", unsupported=unsupported or [], **fields)


def refusal(**fields: Any) -> Answer:
    return Answer(
        answer="I don't know based on the documents.",
        refused=True,
        standalone_question="q",
        refusal_reason="they do not mention Crimea",
        **fields,
    )


def passage(n: int, text: str = "", source: str = "/srv/qa/uploads/7f3a/handbook.md", **fields: Any) -> Passage:
    return Passage(chunk_id=f"p{n}", source=source, start=0, end=len(text or "x"), text=text or "x", **fields)


def test_markers_in_an_answer_are_bold_and_the_rest_is_escaped() -> None:
    markdown = answer_markdown(answer("The sky is blue [1]. It is [1, 2]."))
    assert markdown == "The sky is blue **[1]**\\. It is **[1, 2]**\\."
    assert "<strong>[1]</strong>" in html(markdown) and "<strong>[1, 2]</strong>" in html(markdown)


def test_markers_are_renumbered_in_the_order_the_answer_first_cites_them() -> None:
    shown = answer("Leave is 25 days [3]. Ask first [1]. Both say so [1, 3].", citations=[cite(1), cite(3)])
    assert answer_markdown(shown) == "Leave is 25 days **[1]**\\. Ask first **[2]**\\. Both say so **[2, 1]**\\."
    assert [(card.number, card.span.chunk_id) for card in answer_cards(shown)] == [(1, "c3"), (2, "c1")]
    # The stored answer is not changed: only what is shown.
    assert shown.answer.startswith("Leave is 25 days [3].")


def test_a_one_card_answer_never_shows_a_second_number() -> None:
    shown = answer("Holidays are 25 days [2].", citations=[cite(2)])
    assert answer_markdown(shown) == "Holidays are 25 days **[1]**\\."
    assert [card.number for card in answer_cards(shown)] == [1]


def test_markers_glued_to_words_still_render_bold() -> None:
    rendered = html(
        answer_markdown(
            answer("The moon is cheese[2]. It is [1,2]true [3][4].", citations=[cite(n) for n in range(1, 5)])
        )
    )
    for markers in ("[1]", "[2, 1]", "[3][4]"):
        assert f"<strong>{markers}</strong>" in rendered
    assert "*" not in rendered


def test_markup_in_an_answer_is_shown_as_text_not_rendered() -> None:
    text = "See <script>alert(1)</script> and **x** and [a](http://x) and ![i](http://y/i.png) [1]."
    rendered = html(answer_markdown(answer(text)))
    assert "<script" not in rendered and "<a " not in rendered and "<img" not in rendered
    assert "<strong>x</strong>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered and "**x**" in rendered and "[a](http://x)" in rendered
    assert "<strong>[1]</strong>" in rendered


def test_the_card_title_is_for_people_file_section_page() -> None:
    citation = cite(4, section="4.2 Holidays", page=3)
    assert card_title(citation, 1) == r"[1] handbook\.md · 4\.2 Holidays · page 3"
    assert card_title(cite(1, source="C:\\data\\uploads\\notes.txt"), 2) == r"[2] notes\.txt"
    details = card_details(answer_cards(answer("x [4].", citations=[citation], passages=[passage(1)]))[0])
    assert "40–45" in details and "/srv/qa/uploads/7f3a/handbook" in details


def test_a_file_name_with_markdown_is_escaped_in_the_card_title() -> None:
    name = "[click](javascript:alert(1)) ![i](x.png) **b**.md"  # a file name cannot hold '/'
    citation = Citation(n=1, source=f"/docs/{name}", chunk_id="c", start=0, end=5, text="hello")
    title = card_title(citation, 1)
    assert title == f"[1] {escape(name)}"
    rendered = html(title)
    assert "<a " not in rendered and "<img" not in rendered and "<strong>" not in rendered and name in rendered


def test_a_refusal_shows_its_closest_passages_as_numbered_cards_at_most_five() -> None:
    found = [passage(n, f"passage {n}", score=1 - n / 10) for n in range(1, 8)]
    cards = answer_cards(refusal(passages=[found[0], found[0], *found[1:]]))
    assert [card.number for card in cards] == [1, 2, 3, 4, 5]
    assert [card.span.text for card in cards] == [f"passage {n}" for n in range(1, 6)]
    assert all(not card.highlights for card in cards)


def test_removed_sentences_are_explained_in_plain_words_with_the_numbers_shown() -> None:
    shown = answer(
        "The ferry leaves every 40 minutes [3].",
        [
            Unsupported(sentence="Tickets cost 95 euros [3].", reason="the number 95 is not in the cited passage [3]"),
            Unsupported(sentence="It is free on Sundays [2].", reason="the cited passage [2] does not state it"),
        ],
        citations=[cite(3)],
    )
    why = why_markdown(shown)
    assert why is not None
    assert "2 sentences were left out" in why
    assert escape("“Tickets cost 95 euros.” — the number 95 is not in passage [1]") in why
    # Passage [2] has no card: it is not named by a number the reader cannot see.
    assert escape("the passage it cites does not state it") in why and "[2]" not in why and "[3]" not in why
    assert "~~" not in why and "draft" not in why
    assert live_parts(why) == []


def test_a_withdrawn_answer_is_explained_without_the_word_draft() -> None:
    withdrawn = Answer(
        answer="I don't know based on the documents: the passages found do not state what the drafted answer said.",
        refused=True,
        standalone_question="q",
        refusal_reason="the passages found do not state what the drafted answer said",
        unsupported=[Unsupported(sentence="Tickets cost 95 euros [1].", reason="the number 95 is not in passage [1]")],
        passages=[passage(1, "Tickets cost 6 euros.")],
    )
    why = why_markdown(withdrawn)
    assert why is not None and why.startswith("An answer was written from the passages found")
    assert escape("the number 95 is not in passage [1]") in why
    shown = refusal_markdown(withdrawn)
    assert "draft" not in shown and "draft" not in why
    assert escape("the passages found do not clearly state an answer") in shown


def test_an_answer_without_removals_or_notes_has_nothing_to_explain() -> None:
    assert why_markdown(answer("Fine [1].")) is None
    assert "shown as text" in (
        why_markdown(answer("Fine [1].", notes=["a link from the documents was shown as text"])) or ""
    )


def test_a_removed_sentence_is_struck_through_on_red_beside_its_reason_in_the_report() -> None:
    item = Unsupported(sentence="Tickets cost 95 euros [1].", reason="the number 95 is not in the cited passage [1]")
    markdown = removed_markdown(item)
    assert markdown == (
        ":red-background[~~Tickets cost 95 euros \\[1\\]\\.~~] — the number 95 is not in the cited passage \\[1\\]"
    )


def test_markup_in_a_removed_sentence_or_its_reason_is_shown_as_text() -> None:
    item = Unsupported(
        sentence="<img src=x onerror=alert(1)> [a](http://x) ~~no~~ ] **b**", reason="<b>why</b> [r](http://y)"
    )
    rendered = html(removed_markdown(item))
    assert "<img" not in rendered and "<a " not in rendered and "<b>" not in rendered and "<strong>" not in rendered
    why = why_markdown(answer("Fine [1].", [item]))
    assert why is not None
    rendered = html(why)
    assert "<img" not in rendered and "<a " not in rendered and "<b>" not in rendered and "<strong>" not in rendered
    assert "&lt;b&gt;why&lt;/b&gt; [r](http://y)" in rendered


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


def conversation(*answers: Answer) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for index, shown in enumerate(answers):
        messages += [
            {"role": "user", "content": f"Question {index}?"},
            {"role": "assistant", "content": shown.answer, "answer": shown.model_dump()},
        ]
    return messages


def test_the_export_explains_removals_and_refusals_and_lists_the_closest_passages() -> None:
    partial = answer(
        "The ferry leaves every 40 minutes [2].",
        [Unsupported(sentence="Tickets cost 95 euros [2].", reason="the number 95 is not in passage [2]")],
        citations=[cite(2, text="The ferry leaves every 40 minutes.")],
    )
    refused = refusal(passages=[passage(1, "Ferries to Crimea are not covered.")])
    exported = conversation_markdown(conversation(partial, refused))
    assert "The ferry leaves every 40 minutes **[1]**" in exported
    assert (
        "Left out by the citation check:\n- “Tickets cost 95 euros\\.” (the number 95 is not in passage \\[1\\])"
        in exported
    )
    assert "*Why:* they do not mention Crimea" in exported
    assert "Closest passages found:" in exported and "Ferries to Crimea are not covered" in exported
    assert "/srv/qa" not in exported and "handbook\\.md" in exported
    assert "~~" not in exported and "draft" not in exported


def test_quoted_passages_in_the_export_cannot_become_headings_quotes_lists_links_or_html() -> None:
    hostile = [
        "### Holidays\n\nEvery employee gets 25 days.",
        "> quoted by the document",
        "- a list item of the document",
        "1. an ordered item",
        "See [the intranet](http://evil.example) ![x](http://evil.example/x.png) <script>alert(1)</script>",
    ]
    shown = answer(
        " ".join(f"Fact {n} [{n}]." for n in range(1, len(hostile) + 1)),
        citations=[
            cite(n, text=text, highlights=[Highlight(start=0, end=3, text=text[:20])])
            for n, text in enumerate(hostile, 1)
        ],
    )
    exported = conversation_markdown(conversation(shown), "Holiday rules")
    rendered = html(exported)
    assert "<h3>" not in rendered and "<h2>" not in rendered
    assert "<blockquote>\n<blockquote>" not in rendered and "<blockquote>\n<ul>" not in rendered
    assert "<blockquote>\n<ol>" not in rendered
    assert "<a " not in rendered and "<img" not in rendered and "<script" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered and "[the intranet](http://evil.example)" in rendered
    assert "### Holidays Every employee gets 25 days." in rendered  # shown as the words it is


def test_export_file_names_are_safe_slugs_of_the_chat_title() -> None:
    assert export_file_name("Holiday rules", ".md") == "holiday-rules.md"
    assert export_file_name("Holiday rules", "json") == "holiday-rules.json"
    assert export_file_name("  What's the *sick-leave* policy?? ", ".md") == "what-s-the-sick-leave-policy.md"
    assert export_file_name("../../etc/passwd", ".md") == "etc-passwd.md"
    assert export_file_name("Urlaubsübersicht für März", ".md") == "urlaubsübersicht-für-märz.md"
    assert export_file_name("???", ".md") == "conversation.md"
    assert export_file_name("", ".json") == "conversation.json"
    assert export_file_name("CON", ".md") == "con-chat.md"
    assert len(export_file_name("word " * 40, ".md")) <= 63


def test_streamed_pieces_are_escaped_one_by_one() -> None:
    assert "".join(escaped_pieces(["![i](http://y", "/i.png)", " [1]."])) == escape("![i](http://y/i.png) [1].")
