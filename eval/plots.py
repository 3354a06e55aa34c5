"""PNG plots of a report: hit@k curve, latency histogram, per-tag scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.settings import read_settings_dump


def write_plots(report: dict[str, Any], folder: Path) -> list[Path]:
    """Write the three plots into ``folder`` and return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    title = f"{Path(report['gold']).name} · {read_settings_dump(report['settings'])['answerer']}"
    paths = []

    figure, axis = plt.subplots(figsize=(5, 3.2))
    ks = [1, 3, 5, 10]
    axis.plot(ks, [report["metrics"][f"hit@{k}"] for k in ks], marker="o")
    axis.set(xlabel="k", ylabel="hit@k", ylim=(0, 1.05), title=f"Retrieval: {title}", xticks=ks)
    axis.grid(alpha=0.3)
    paths.append(_save(figure, folder / "hit_at_k.png"))

    figure, axis = plt.subplots(figsize=(5, 3.2))
    axis.hist([r["latency_s"] for r in report["per_question"]], bins=15, color="#4c72b0")
    axis.set(xlabel="seconds per question", ylabel="questions", title=f"Latency: {title}")
    paths.append(_save(figure, folder / "latency.png"))

    tags = report["per_tag"]
    figure, axis = plt.subplots(figsize=(6, 0.35 * max(len(tags), 3) + 1.2))
    names = list(tags)
    axis.barh(names, [tags[name]["answer_contains"] for name in names], color="#55a868")
    axis.set(xlim=(0, 1.05), xlabel="answer contains a gold answer", title=f"By tag: {title}")
    paths.append(_save(figure, folder / "per_tag.png"))
    return paths


def _save(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def overlay_figures(old: dict[str, Any], new: dict[str, Any], labels: tuple[str, str]) -> list[Any]:
    """Two reports in the same axes: hit@k curves, and latency histograms (matplotlib figures, not saved)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = ("#8c8c8c", "#dd8452")
    ks = [1, 3, 5, 10]
    hit_figure, axis = plt.subplots(figsize=(5, 3.2))
    for report, label, colour in zip((old, new), labels, colours, strict=True):
        points = [(k, report["metrics"].get(f"hit@{k}")) for k in ks]
        points = [(k, value) for k, value in points if value is not None]
        axis.plot([k for k, _ in points], [value for _, value in points], marker="o", label=label, color=colour)
    axis.set(xlabel="k", ylabel="hit@k", ylim=(0, 1.05), title="Retrieval", xticks=ks)
    axis.grid(alpha=0.3)
    axis.legend()
    hit_figure.tight_layout()

    latency_figure, axis = plt.subplots(figsize=(5, 3.2))
    latencies = [[r.get("latency_s") or 0.0 for r in report.get("per_question", [])] for report in (old, new)]
    top = max([value for values in latencies for value in values] or [1.0])
    bins = [top * step / 15 for step in range(16)] if top > 0 else 15
    for values, label, colour in zip(latencies, labels, colours, strict=True):
        axis.hist(values, bins=bins, alpha=0.55, label=label, color=colour)
    axis.set(xlabel="seconds per question", ylabel="questions", title="Latency")
    axis.legend()
    latency_figure.tight_layout()
    return [hit_figure, latency_figure]
