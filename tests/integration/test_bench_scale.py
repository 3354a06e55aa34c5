"""The search-at-scale benchmark on a tiny size, so that it never rots (no timed assertions)."""

import json
import random
import sqlite3
from pathlib import Path

import pytest

from assistant import Settings, build_assistant
from assistant.index.folder import catalog_file
from assistant.index.schema import fts_table
from assistant.models.embedder import FakeEmbedder
from eval.bench.scale import PARTS, markdown, run, section

WORDS = (
    "virus cell protein infection patients receptor antibody vaccine sample genome host lung fever "
    "transmission replication strain outbreak mortality clinical treatment"
).split()


@pytest.fixture
def squad(tmp_path: Path) -> Path:
    """Four articles of made-up scientific sentences, with a question per paragraph."""
    rng = random.Random(7)
    data = []
    for article in range(4):
        paragraphs = []
        for number in range(4):
            sentences = [
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 14))).capitalize() + "." for _ in range(6)
            ]
            context = " ".join(sentences)
            answer = sentences[2].split()[1]
            paragraphs.append(
                {
                    "context": context,
                    "qas": [
                        {
                            "id": f"{article}-{number}",
                            "question": f"Which {rng.choice(WORDS)} affects the {answer}?",
                            "answers": [{"text": answer, "answer_start": context.index(answer)}],
                        }
                    ],
                }
            )
        data.append({"title": f"Article {article}", "paragraphs": paragraphs})
    path = tmp_path / "squad.json"
    path.write_text(json.dumps({"data": data}))
    return path


def test_the_scale_part_builds_a_collection_times_ours_and_the_baseline_and_reuses_the_build(
    squad: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    result = run(squad, cache, FakeEmbedder(), lambda message: None, sizes=(300,), queries=12, baseline_queries=2)
    assert result["pool_sentences"] > 50 and result["questions"] == 12
    (built,) = result["collections"]
    assert built["chunks"] >= 300 and built["vectors"] > 3 * built["chunks"] and not built["reused"]
    assert built["embedded_outside_pool"] == 0
    ours, baseline = built["ours"], built["baseline_rebuild_bm25"]
    assert ours["queries"] == 12 and 0 < ours["p50_ms"] <= ours["p95_ms"]
    assert set(ours["split"]) == set(PARTS)
    assert all(ours["split"][part]["p50_ms"] >= 0 for part in ("embed", "chroma", "fts", "fetch"))
    assert baseline["queries"] == 2 and baseline["p50_ms"] > 0 and baseline["bm25_rebuild"]["p50_ms"] > 0
    assert built["baseline_over_ours_p50"] > 0 and isinstance(built["p95_target_met"], bool)
    table = "\n".join(markdown(result))
    assert f"| {built['chunks']:,} | {built['vectors']:,} |" in table

    again = run(squad, cache, FakeEmbedder(), lambda message: None, sizes=(300,), queries=3, baseline_queries=1)
    assert again["collections"][0]["reused"] and again["collections"][0]["chunks"] == built["chunks"]


def test_the_built_collection_is_what_an_ingest_of_its_documents_makes(squad: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run(squad, cache, FakeEmbedder(), lambda message: None, sizes=(300,), queries=2, baseline_queries=1)
    data = cache / "chunks-300" / "data"
    ingested = build_assistant(
        Settings(data_dir=data, collection="ingested", answerer="extractive"), embedder=FakeEmbedder()
    )
    assert ingested.ingest([cache / "chunks-300" / "corpus"]).ok
    built = build_assistant(
        Settings(data_dir=data, collection="scale-300", answerer="extractive"), embedder=FakeEmbedder()
    )
    db = sqlite3.connect(str(catalog_file(data)))

    def catalog_rows(collection: str) -> tuple[list[tuple[object, ...]], ...]:
        chunks = db.execute(
            'SELECT chunk_id, source, start, "end", page, text FROM chunks WHERE collection=? ORDER BY chunk_id',
            (collection,),
        )
        documents = db.execute(
            "SELECT source, sha256, text, page_starts, chunk_count FROM documents WHERE collection=? ORDER BY source",
            (collection,),
        )
        keyword = db.execute(
            f"SELECT c.chunk_id, f.text FROM {fts_table(collection)} f JOIN chunks c ON c.rowid = f.rowid "
            "ORDER BY c.chunk_id"
        )
        return chunks.fetchall(), documents.fetchall(), keyword.fetchall()

    assert catalog_rows("scale-300") == catalog_rows("ingested")
    sources = [record.source for record in built.sources()]
    assert sources == [record.source for record in ingested.sources()]
    assert [sorted(built.store.ids_for_source(s)) for s in sources[:3]] == [
        sorted(ingested.store.ids_for_source(s)) for s in sources[:3]
    ]
    assert built.store.count() == ingested.store.count()


def test_the_scale_section_says_when_its_public_set_is_missing(tmp_path: Path) -> None:
    result, lines = section(tmp_path / "absent.json", tmp_path, FakeEmbedder())
    assert "skipped" in result and "skipped" in lines[0]
