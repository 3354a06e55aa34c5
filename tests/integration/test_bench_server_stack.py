"""The server-stack benchmark on a tiny size, so that it never rots (no timed assertions): it starts a real Chroma
server and PostgreSQL cluster, compares them with the embedded default, and stops them."""

import tempfile
from pathlib import Path

import pytest

from assistant.models.embedder import FakeEmbedder
from eval.bench.scale import PARTS
from eval.bench.server_stack import INGEST_PARTS, TIMED, markdown, run, section
from tests.integration.test_bench_scale import squad  # noqa: F401 - the fixture of made-up articles


def _cluster_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("qa-bench-postgres-*"))


def test_the_server_part_times_both_stacks_on_the_same_collection_and_stops_its_servers(
    squad: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    before = _cluster_folders()
    result = run(
        squad,
        tmp_path / "cache",
        tmp_path / "work",
        FakeEmbedder(),
        lambda message: None,
        sizes=(300,),
        queries=12,
        ingest_mb=0.05,
    )
    assert _cluster_folders() == before  # the PostgreSQL cluster is stopped and removed

    (built,) = result["collections"]
    assert built["chunks"] >= 300 and built["vectors"] > 3 * built["chunks"] and not built["embedded_reused"]
    for timed in TIMED:
        assert built[timed]["queries"] == 12 and 0 < built[timed]["p50_ms"] <= built[timed]["p95_ms"]
        assert set(built[timed]["split"]) == set(PARTS)
    # Keyword and dense search rank alike on both stores, so the comparison is of the same search.
    agreement = built["agreement"]
    assert agreement["questions"] == 12 and agreement["same_top5"] >= 0.9
    assert agreement["keyword_overlap"] >= 0.9 and agreement["dense_overlap"] >= 0.9
    assert built["vacuum_analyze_s"] >= 0 and isinstance(built["p95_target_met"], bool)

    for label in ("default_embedder", "fake_embedder"):
        server, embedded = result["ingest"][label]["server"], result["ingest"][label]["embedded"]
        assert server["chunks"] == embedded["chunks"] > 0 and server["files"] == embedded["files"] > 0
        assert server["ingests"] == embedded["ingests"] == 2
        for found in (server, embedded):
            assert found["chunks_per_s"] > 0 and set(found["split_s"]) == set(INGEST_PARTS)
            assert sum(found["split_s"].values()) == pytest.approx(found["seconds"], abs=0.05)
        assert result["ingest"][label]["server_over_embedded"] > 0

    table = "\n".join(markdown(result))
    server, embedded = built["server"], built["embedded"]
    assert f"| {built['chunks']:,} | {server['p50_ms']} / {server['p95_ms']} | {embedded['p50_ms']} / " in table
    assert "| server, second pass after VACUUM ANALYZE |" in table and "| fake (the stores alone) | server |" in table


def test_the_server_section_says_when_its_public_set_is_missing(tmp_path: Path) -> None:
    result, lines = section(tmp_path / "absent.json", tmp_path, FakeEmbedder())
    assert "skipped" in result and any("Skipped" in line for line in lines)
