"""Scaling out, measured where one machine can: concurrent searches through one `qa serve` worker against
two workers sharing one Chroma server (`chroma run`) and one data directory, in one run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from eval.bench.startup import qa_command, running


def _throughput(bases: Sequence[str], queries: Sequence[str], clients: int) -> float:
    """Searches per second with ``clients`` concurrent callers spread over the workers at ``bases``."""

    def call(number: int) -> None:
        base = bases[number % len(bases)]
        response = httpx.post(base + "/v1/search", json={"query": queries[number % len(queries)], "k": 5}, timeout=120)
        response.raise_for_status()

    for number in range(len(bases) * 2):  # each worker loads its embedder before the clock starts
        call(number)
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(call, range(len(queries))))
    return len(queries) / (time.perf_counter() - started)


def bench_scaleout(
    corpus: Path, queries: Sequence[str], work: Path, progress: Callable[[str], None], clients: int = 8
) -> dict[str, Any]:
    """Ingest ``corpus`` into a Chroma server, then time the same searches through one and two workers."""
    chroma = str(Path(sys.executable).with_name("chroma"))
    env = {
        **os.environ,
        "QA_DATA_DIR": str(work / "data"),
        "QA_COLLECTION": "bench-scaleout",
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "QA_ANSWERER": "extractive",
    }
    env.pop("QA_CONFIG", None)
    with ExitStack() as stack:
        chroma_url, _ = stack.enter_context(
            running([chroma, "run", "--path", str(work / "chroma"), "--host", "127.0.0.1"], "/api/v2/heartbeat", env)
        )
        env["QA_CHROMA_URL"] = chroma_url
        progress(f"scale-out: ingesting {corpus} into the Chroma server at {chroma_url}")
        subprocess.run(
            [qa_command(), "ingest", str(corpus)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        first, _ = stack.enter_context(running([qa_command(), "serve"], "/healthz", env))
        second, _ = stack.enter_context(running([qa_command(), "serve"], "/healthz", env))
        progress(f"scale-out: {len(queries)} searches, {clients} clients, one worker then two")
        one = _throughput([first], queries, clients)
        two = _throughput([first, second], queries, clients)
        one_again = _throughput([first], queries, clients)  # machine load drifts: bracket the two-worker run
    single = (one + one_again) / 2
    return {
        "searches": len(queries),
        "clients": clients,
        "one_worker_per_s": round(single, 1),
        "two_workers_per_s": round(two, 1),
        "ratio": round(two / single, 2),
        "cores": os.cpu_count(),
    }


def scaleout_lines(result: dict[str, Any]) -> list[str]:
    """The scale-out section of the report."""
    r = result
    return [
        (
            f"{r['searches']} `/v1/search` calls from {r['clients']} concurrent clients against one Chroma server "
            f"(`chroma run`) on this {r['cores']}-core machine: one `qa serve` worker {r['one_worker_per_s']} "
            "searches/s "
            f"(mean of before and after), two workers {r['two_workers_per_s']}/s, ratio {r['ratio']}."
        ),
        "",
    ]
