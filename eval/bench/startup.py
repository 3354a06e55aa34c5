"""Cold start and memory as a user meets them: `qa` commands timed from process start to the last line,
servers from start to healthy, each with its peak resident memory (the kernel's VmHWM / ru_maxrss)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

QUESTION = "What does Russia demand?"
OFF_TOPIC = "What is the boiling point of liquid nitrogen on Mars?"
TARGETS = {
    "ask_extractive_s": 4.0,
    "ask_local_s": 8.0,
    "reingest_unchanged_s": 2.0,
    "refusal_after_load_s": 1.0,
    "answering_rss_gb": 2.5,
}


def qa_command() -> str:
    return str(Path(sys.executable).with_name("qa"))


def run_cli(args: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in GB, stdout) of one `qa` command from process start to exit."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen([qa_command(), *args], env=env, stdout=out, stderr=err, text=True)
        # wait4 reports this child's own peak memory (RUSAGE_CHILDREN would give the largest child so far).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(f"qa {' '.join(args)} failed ({process.returncode}): {err.read().strip()[-500:]}")
        return seconds, usage.ru_maxrss / 1024 / 1024, out.read()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_gb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


@contextmanager
def running(command: Sequence[str], health: str, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start a server on a free loopback port (``--port`` is appended), wait for a 200 from ``health``,
    yield (base URL, process), and stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                error = process.stderr.read()[-500:] if process.poll() is not None and process.stderr else "timed out"
                raise RuntimeError(f"{' '.join(command)} did not become healthy: {error}")
            try:
                if httpx.get(base + health, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def time_server(
    args: Sequence[str], health: str, env: dict[str, str], then: Callable[[str], None] | None = None
) -> dict[str, float]:
    """A `qa` server's start to a 200 from ``health``, and its peak memory after ``then`` exercised it."""
    started = time.perf_counter()
    with running([qa_command(), *args], health, env) as (base, process):
        result = {"start_to_healthy_s": round(time.perf_counter() - started, 2)}
        if then:
            then(base)
        result["peak_rss_gb"] = round(_peak_gb(process.pid), 2)
    return result


def bench_startup(corpus: Path, work: Path, progress: Callable[[str], None], local: bool = True) -> dict[str, Any]:
    """Every start-up figure on a small collection (``corpus``: a folder of a few files)."""
    env = {
        **os.environ,
        "QA_DATA_DIR": str(work / "data"),
        "QA_COLLECTION": "bench-startup",
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    env.pop("QA_CONFIG", None)
    result: dict[str, Any] = {"files": len([p for p in corpus.iterdir() if p.is_file()])}
    progress("startup: first ingest of the small folder")
    result["ingest_s"] = round(run_cli(["ingest", str(corpus)], env)[0], 2)
    seconds, _, _ = run_cli(["ingest", str(corpus)], env)
    result["reingest_unchanged_s"] = round(seconds, 2)
    progress("startup: qa ask, extractive, cold")
    seconds, peak, _ = run_cli(["ask", QUESTION, "--answerer", "extractive"], env)
    result["ask_extractive_s"], result["ask_extractive_rss_gb"] = round(seconds, 2), round(peak, 2)
    seconds, _, _ = run_cli(["ask", OFF_TOPIC, "--answerer", "extractive"], env)
    result["refusal_cold_s"] = round(seconds, 2)
    result["refusal_after_load_s"] = round(_refusal_after_load(work / "data"), 3)
    if local:
        progress("startup: qa ask, local model, cold")
        seconds, peak, _ = run_cli(["ask", QUESTION, "--answerer", "local"], env)
        result["ask_local_s"], result["answering_rss_gb"] = round(seconds, 2), round(peak, 2)
    progress("startup: qa serve to healthy, then one question")

    def one_question(base: str) -> None:
        httpx.post(
            base + "/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]}, timeout=300
        ).raise_for_status()

    result["serve"] = time_server(["serve"], "/healthz", env, one_question if local else None)
    progress("startup: the Streamlit app to healthy")
    result["ui"] = time_server(["ui"], "/_stcore/health", env)
    return result


def _refusal_after_load(data: Path) -> float:
    """Seconds for an off-topic question once the parts are loaded: retrieval finds nothing close, so
    no language model is loaded or asked."""
    from assistant import Settings, build_assistant

    assistant = build_assistant(Settings(data_dir=data, collection="bench-startup", answerer="local"))
    assistant.search("warm up")
    started = time.perf_counter()
    answer = assistant.ask(OFF_TOPIC)
    seconds = time.perf_counter() - started
    if not answer.refused:
        raise RuntimeError(f"the off-topic question was answered: {answer.answer[:200]}")
    return seconds


def startup_lines(result: dict[str, Any]) -> list[str]:
    """The start-up section of the report."""
    rows = [
        ("`qa ingest` of the folder, first time", result["ingest_s"], None),
        ("`qa ingest` again, nothing changed", result["reingest_unchanged_s"], TARGETS["reingest_unchanged_s"]),
        (
            "`qa ask` extractive, cold (process start to sources printed)",
            result["ask_extractive_s"],
            TARGETS["ask_extractive_s"],
        ),
        ("off-topic `qa ask` (a refusal), cold", result["refusal_cold_s"], None),
        ("off-topic refusal once loaded (in process)", result["refusal_after_load_s"], TARGETS["refusal_after_load_s"]),
    ]
    if "ask_local_s" in result:
        rows.append(("`qa ask` with the local model, cold", result["ask_local_s"], TARGETS["ask_local_s"]))
    rows += [
        ("`qa serve` start to healthy", result["serve"]["start_to_healthy_s"], None),
        ("Streamlit app start to healthy", result["ui"]["start_to_healthy_s"], None),
    ]
    lines = [
        f"A folder of {result['files']} files (the project's sample corpus).",
        "",
        "| | seconds | target | met |",
        "|---|---|---|---|",
    ]
    for label, value, target in rows:
        met = "" if target is None else ("yes" if value <= target else f"no (+{value - target:.1f} s)")
        lines.append(f"| {label} | {value} | {'' if target is None else f'<= {target:g}'} | {met} |")
    memory = [f"`qa ask` extractive {result['ask_extractive_rss_gb']} GB"]
    if "answering_rss_gb" in result:
        memory.append(f"`qa ask` local {result['answering_rss_gb']} GB (target <= {TARGETS['answering_rss_gb']:g})")
    memory.append(
        f"`qa serve` {result['serve']['peak_rss_gb']} GB" + (" after one answer" if "ask_local_s" in result else "")
    )
    memory.append(f"Streamlit app {result['ui']['peak_rss_gb']} GB at start")
    return [*lines, "", "Peak memory: " + "; ".join(memory) + ".", ""]
