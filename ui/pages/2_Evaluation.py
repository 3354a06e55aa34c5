"""Evaluation page: run the harness on a gold set, or open reports; metrics, plots, worst questions, compare."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from assistant import AssistantError
from assistant.answerers import ANSWERERS
from ui.render import escape
from ui.report_view import (
    headline_rows, metric_help, metric_table, metric_value, refusal_reason_markdown, removed_list_markdown,
    score_caption, tag_table,
)
from ui.state import sidebar_settings

ROOT = Path(__file__).resolve().parents[2]
st.set_page_config(page_title="Evaluation", page_icon="📊", layout="wide")
settings = sidebar_settings()
st.title("Evaluation")
reports_dir = settings.data_dir / "reports"


def find_reports() -> dict[str, Path]:
    """Reports of this data directory by name, then those of `make eval` as '.eval-out/NAME' (names may repeat)."""
    found = {}
    for base, prefix in ((reports_dir, ""), (ROOT / ".eval-out", ".eval-out/")):
        for path in sorted(base.glob("**/report.json")) if base.is_dir() else []:
            found[prefix + str(path.parent.relative_to(base))] = path
    return found


with st.expander("Run the harness", expanded=not find_reports()):
    gold_files = sorted((ROOT / "eval" / "gold").glob("*.jsonl"))
    gold = st.selectbox("Gold set", gold_files, format_func=lambda p: p.name)
    default_corpus = ROOT / "eval" / "corpus" if gold and gold.name == "sample.jsonl" else ROOT.parent / "shared" / "seed-corpus"
    corpus = Path(st.text_input("Corpus folder", str(default_corpus)))
    answerer = st.selectbox("Answerer ", list(ANSWERERS), index=list(ANSWERERS).index("extractive"))
    if st.button("Run evaluation", type="primary") and gold:
        from eval.report import write_report
        from eval.runner import run_eval

        bar = st.progress(0.0, text="Ingesting the corpus...")
        try:
            records, info = run_eval(
                corpus, gold, answerer=answerer, k=settings.k,
                progress=lambda done, total, name: bar.progress(done / max(total, 1), text=f"{done}/{total} {escape(name)}"),
            )
            write_report(records, info, reports_dir / f"{gold.stem}-{answerer}")
            st.success(f"Report written to {escape(str(reports_dir / f'{gold.stem}-{answerer}'))}")
        except AssistantError as exc:
            st.error(escape(str(exc)))

reports = find_reports()
if not reports:
    st.info("No reports yet: run the harness above, or `make eval` / `qa eval --out .eval-out/NAME`.")
    st.stop()


def load(name: str) -> dict:
    return json.loads(reports[name].read_text(encoding="utf-8"))


chosen = st.selectbox("Report", list(reports))
report = load(chosen)
st.caption(" · ".join(escape(str(part)) for part in (
    Path(report["gold"]).name, f"answerer {report['settings']['answerer']}", report["created"],
)))
metrics = report["metrics"]
rows = headline_rows(metrics)
width = max(len(row) for row in rows)
for row in rows:
    # A metric the set cannot score (None) reads n/a, never 0; the tooltip says why.
    for column, name in zip(st.columns(width), row):
        column.metric(name, metric_value(metrics.get(name)), help=metric_help(name, metrics.get(name)))
st.dataframe(metric_table(metrics), hide_index=True)
if report.get("per_tag"):
    st.caption("By tag")
    st.dataframe(tag_table(report["per_tag"]), hide_index=True)
plots = sorted(reports[chosen].parent.glob("*.png"))
for column, plot in zip(st.columns(max(1, len(plots))), plots):
    column.image(str(plot), caption=escape(plot.stem))

st.subheader("Worst questions")
from eval.report import badness  # noqa: E402 - only needed once a report exists


for record in sorted(report["per_question"], key=badness)[:10]:
    with st.expander(escape(f"{record['id']}: {record['question']}")):
        st.text(f"Gold: {record['gold_answers'] or '(unanswerable)'}\nAnswer: {record['answer']}")
        st.caption(score_caption(record))
        for details in (refusal_reason_markdown(record), removed_list_markdown(record)):
            if details:
                st.markdown(details)
        for passage in record["retrieved"]:
            st.text(f"{passage['source']} [{passage['start']}-{passage['end']}]: {' '.join(passage['text'].split())[:200]}")

st.subheader("Compare two reports")
left_name, right_name = st.columns(2)
first = left_name.selectbox("Old", list(reports), key="old")
second = right_name.selectbox("New", list(reports), index=min(1, len(reports) - 1), key="new")
from eval.compare import compare  # noqa: E402

rows, regressed = compare(load(first), load(second))
st.dataframe(rows, hide_index=True)
if regressed:
    st.warning("At least one metric regressed beyond the tolerance.")
