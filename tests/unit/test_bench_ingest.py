"""The ingest benchmark's corpus generator and a tiny run of its three systems, so the benchmark never rots."""

import json
from pathlib import Path

from assistant.models.embedder import FakeEmbedder
from assistant.text import sentence_spans
from eval.bench.ingest import bench_ingest, ingest_lines, news_folder

CONTEXTS = [
    (
        "The harbour of Tallinn freezes in hard winters. Icebreakers keep a channel open for the ferries to Helsinki. "
        "Most cargo arrives in containers from Rotterdam."
    ),
    (
        "Beekeepers in Slovenia keep the Carniolan bee. It is calm and winters well in small colonies. "
        "Painted hive fronts were common in the nineteenth century."
    ),
    (
        "The observatory on the hill was built in 1913. Its telescope has a lens of sixty centimetres. "
        "Students still use it on clear autumn nights."
    ),
]


def squad_file(tmp_path: Path) -> Path:
    data = {
        "data": [{"title": f"T{n}", "paragraphs": [{"context": text, "qas": []}]} for n, text in enumerate(CONTEXTS)]
    }
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_generated_folder_has_the_asked_size_and_is_the_same_every_time(tmp_path: Path) -> None:
    source = squad_file(tmp_path)
    first = news_folder(tmp_path / "a", 0.05, [source])
    second = news_folder(tmp_path / "b", 0.05, [source])
    files = sorted(first.glob("*.txt"))
    assert sum(path.stat().st_size for path in files) >= 50_000
    assert [path.read_text() for path in files] == [path.read_text() for path in sorted(second.glob("*.txt"))]
    text = files[0].read_text()
    assert len(sentence_spans(text)) > 20 and text.startswith("Article 0\n\n")


def test_a_tiny_run_reports_every_figure_with_its_baseline(tmp_path: Path) -> None:
    folder = news_folder(tmp_path / "news", 0.03, [squad_file(tmp_path)])
    messages: list[str] = []
    result = bench_ingest(folder, tmp_path / "work", FakeEmbedder(), FakeEmbedder(), messages.append)
    assert result["files"] == len(list(folder.glob("*.txt"))) and result["chunks"] >= result["files"]
    assert result["naive_chunks"] > 0 and result["sentences_embedded"] > 0
    for key in ("ours_s", "naive_s", "speedup_over_naive", "reingest_speedup"):
        assert result[key] > 0, key
    # The hashing double "encodes" in microseconds, so its share of the limit rounds towards zero.
    assert 0 <= result["share_of_limit"] < 1 and result["limit_s"] >= 0
    # Nothing changed between the two ingests: the second must not embed anything.
    assert result["reingest_unchanged_s"] < result["ours_s"]
    table = "\n".join(ingest_lines(result, "fake"))
    assert "of the limit" in table and "naive LangChain recipe" in table and "re-ingest" in table
