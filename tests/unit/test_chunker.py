from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.chunker import chunk_document
from ingest.loaders import LoadedDocument

sentence = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120).map(
    lambda body: body.replace("\x00", "") + "."
)
separator = st.sampled_from([" ", "  ", "\n", "\n\n", "\r\n\r\n", "\t", " \n \n"])
documents = st.lists(st.tuples(sentence, separator), max_size=40).map(lambda pairs: "".join(a + b for a, b in pairs))


@settings(max_examples=200, deadline=None)
@given(text=documents, size=st.integers(min_value=100, max_value=900), overlap=st.integers(min_value=0, max_value=300))
def test_chunk_offsets_slice_the_text_and_cover_every_word(text: str, size: int, overlap: int) -> None:
    chunks = chunk_document(LoadedDocument("doc.txt", text), size=size, overlap=overlap)
    covered = [False] * len(text)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= size
        assert chunk.text == chunk.text.strip()
        for index in range(chunk.start, chunk.end):
            covered[index] = True
    assert all(covered[index] for index, char in enumerate(text) if not char.isspace())


@settings(max_examples=50, deadline=None)
@given(text=documents)
def test_chunks_come_in_document_order_and_always_advance(text: str) -> None:
    chunks = chunk_document(LoadedDocument("doc.txt", text), size=200, overlap=80)
    starts = [chunk.start for chunk in chunks]
    assert starts == sorted(set(starts))


def test_chunk_ids_are_stable_and_depend_on_place_and_text() -> None:
    text = "Alpha beta gamma. " * 100
    first = chunk_document(LoadedDocument("a.txt", text), size=300, overlap=50)
    again = chunk_document(LoadedDocument("a.txt", text), size=300, overlap=50)
    elsewhere = chunk_document(LoadedDocument("b.txt", text), size=300, overlap=50)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert {c.chunk_id for c in first}.isdisjoint(c.chunk_id for c in elsewhere)
    assert len({c.chunk_id for c in first}) == len(first)


def test_chunks_prefer_paragraph_breaks_and_overlap_by_whole_sentences() -> None:
    paragraphs = [f"Sentence number {s} of paragraph {p} is here." for p in range(4) for s in range(5)]
    text = "\n\n".join(" ".join(paragraphs[p * 5 : p * 5 + 5]) for p in range(4))
    chunks = chunk_document(LoadedDocument("d.txt", text), size=500, overlap=60)
    assert all(chunk.text.endswith(".") for chunk in chunks)
    assert chunks[1].text.startswith(chunks[0].text.rsplit(". ", 1)[-1].rstrip("."))


def test_pages_follow_the_page_map() -> None:
    text = "Page one text. " * 30 + "\n\n" + "Page two text. " * 30
    document = LoadedDocument("d.pdf", text, page_starts=(0, text.index("Page two")))
    chunks = chunk_document(document, size=200, overlap=0)
    assert chunks[0].page == 1
    assert chunks[-1].page == 2


def test_a_chunk_never_spans_two_pages() -> None:
    text = "Short page one.\n\nShort page two."
    document = LoadedDocument("d.pdf", text, page_starts=(0, text.index("Short page two")))
    assert [(c.text, c.page) for c in chunk_document(document, size=500, overlap=100)] == [
        ("Short page one.", 1),
        ("Short page two.", 2),
    ]
