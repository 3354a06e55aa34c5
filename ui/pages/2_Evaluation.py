"""Evaluation page: run the harness on a gold set, or open reports; metrics, plots, worst questions, compare."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from assistant import AssistantError, build_assistant
from assistant.answerers import ANSWERERS
from eval.samples import GOLD_DIR, SAMPLE_CORPUS
from ui.render import escape
from ui.report_view import (
    delta_table,
    headline_rows,
    metric_help,
    metric_table,
    metric_value,
    refusal_reason_markdown,
    removed_list_markdown,
    score_caption,
    tag_table,
)
from ui.state import catalog, feedback_store, page_setup, sidebar_settings

# A checkout: where `make eval` writes its reports (.eval-out) and where ../shared/seed-corpus sits.
ROOT = Path(__file__).resolve().parents[2]
page_setup("Evaluation", "📊")
settings = sidebar_settings()
st.title("Evaluation")
reports_dir = settings.data_dir / "reports"
gold_from_feedback = settings.data_dir / "gold" / f"{settings.collection}-feedback.jsonl"


def find_reports() -> dict[str, Path]:
    """Reports of this data directory by name, then those of `make eval` as '.eval-out/NAME' (names may repeat)."""
    found = {}
    for base, prefix in ((reports_dir, ""), (ROOT / ".eval-out", ".eval-out/")):
        for path in sorted(base.glob("**/report.json")) if base.is_dir() else []:
            found[prefix + str(path.parent.relative_to(base))] = path
    return found


with st.expander("Run the harness", expanded=not find_reports()):
    gold_files = sorted(GOLD_DIR.glob("*.jsonl"))
    gold = st.selectbox("Gold set", gold_files, format_func=lambda p: p.name)
    default_corpus = SAMPLE_CORPUS if gold and gold.name == "sample.jsonl" else ROOT.parent / "shared" / "seed-corpus"
    corpus = Path(st.text_input("Corpus folder", str(default_corpus)))
    answerer = st.selectbox("Answerer ", list(ANSWERERS), index=list(ANSWERERS).index("extractive"))
    if st.button("Run evaluation", type="primary") and gold:
        from eval.report import write_report
        from eval.runner import eval_settings, run_eval

        bar = st.progress(0.0, text="Ingesting the corpus...")
        try:
            records, info = run_eval(
                corpus,
                gold,
                build_assistant(eval_settings(settings, corpus, answerer=answerer)),
                progress=lambda done, total, name: bar.progress(
                    done / max(total, 1), text=f"{done}/{total} {escape(name)}"
                ),
            )
            write_report(records, info, reports_dir / f"{gold.stem}-{answerer}")
            st.success(f"Report written to {escape(str(reports_dir / f'{gold.stem}-{answerer}'))}")
        except AssistantError as exc:
            st.error(escape(str(exc)))


def corrections_tab() -> None:
    """Export users' corrections (Chat page) as a gold set that `qa eval` runs."""
    from eval.feedback_gold import corpus_root, write_gold

    corrected = [
        item
        for item in feedback_store(str(settings.data_dir)).corrected()
        if item.settings.get("collection") == settings.collection
    ]
    root = corpus_root([record.source for record in catalog(str(settings.data_dir)).sources(settings.collection)])
    st.caption(
        f"{len(corrected)} corrected answer{'s' if len(corrected) != 1 else ''} in the collection "
        f'{escape(settings.collection)} ("Correct this answer" under an answer on the Chat page).'
    )
    if st.button("Export corrections as a gold set", disabled=not corrected or root is None, width="stretch"):
        count = write_gold(corrected, root, gold_from_feedback)  # type: ignore[arg-type]
        st.success(f"Wrote {count} gold item{'s' if count != 1 else ''} to {escape(str(gold_from_feedback))}")
    if gold_from_feedback.is_file() and root is not None:
        st.markdown("Run it (the corpus is the folder that holds the collection's documents):")
        st.code(
            f"qa eval --corpus {root} --gold {gold_from_feedback} --out {reports_dir / 'feedback'}", language="bash"
        )
        st.download_button(
            "Download the gold file",
            gold_from_feedback.read_bytes(),
            file_name=gold_from_feedback.name,
            mime="application/jsonl",
            width="stretch",
        )


def load(name: str) -> dict:
    return json.loads(reports[name].read_text(encoding="utf-8"))


def report_tab() -> None:
    """One report: headline metrics, tables, plots, worst questions."""
    chosen = st.selectbox("Report", list(reports))
    report = load(chosen)
    st.caption(
        " · ".join(
            escape(str(part))
            for part in (
                Path(report["gold"]).name,
                f"answerer {report['settings']['answerer']}",
                report["created"],
            )
        )
    )
    metrics = report["metrics"]
    rows = headline_rows(metrics)
    width = max(len(row) for row in rows)
    for row in rows:
        # A metric the set cannot score (None) reads n/a, never 0; the tooltip says why.
        for column, name in zip(st.columns(width), row, strict=False):
            column.metric(name, metric_value(metrics.get(name)), help=metric_help(name, metrics.get(name)))
    st.dataframe(metric_table(metrics), hide_index=True)
    if report.get("per_tag"):
        st.caption("By tag")
        st.dataframe(tag_table(report["per_tag"]), hide_index=True)
    plots = sorted(reports[chosen].parent.glob("*.png"))
    for column, plot in zip(st.columns(max(1, len(plots))), plots, strict=False):
        column.image(str(plot), caption=escape(plot.stem))

    st.subheader("Worst questions")
    from eval.report import badness

    for record in sorted(report["per_question"], key=badness)[:10]:
        with st.expander(escape(f"{record['id']}: {record['question']}")):
            st.text(f"Gold: {record['gold_answers'] or '(unanswerable)'}\nAnswer: {record['answer']}")
            st.caption(score_caption(record))
            for details in (refusal_reason_markdown(record), removed_list_markdown(record)):
                if details:
                    st.markdown(details)
            for passage in record["retrieved"]:
                st.text(
                    f"{passage['source']} [{passage['start']}-{passage['end']}]: "
                    f"{' '.join(passage['text'].split())[:200]}"
                )


def compare_tab() -> None:
    """Two reports: metric deltas in colour, questions that got worse or better, overlaid plots."""
    if len(reports) < 2:
        st.info("Comparing needs two reports: run the harness again with other settings.")
        return
    left_name, right_name = st.columns(2)
    first = left_name.selectbox("Old", list(reports), key="old")
    second = right_name.selectbox("New", list(reports), index=min(1, len(reports) - 1), key="new")
    from eval.compare import compare, question_changes
    from eval.plots import overlay_figures
    from eval.report import LOWER_IS_BETTER

    old_report, new_report = load(first), load(second)
    rows, regressed = compare(old_report, new_report)
    if regressed:
        st.warning("At least one metric regressed beyond the tolerance (red below).")
    by_name = {row["metric"]: row for row in rows}
    tiles = [
        name
        for name in ("hit@5", "answer_contains", "citation_validity", "unsupported_rate", "latency_p50_s")
        if name in by_name
    ]
    for column, name in zip(st.columns(max(1, len(tiles))), tiles, strict=False):
        row = by_name[name]
        column.metric(
            name,
            row["new"],
            delta=row["delta"],
            delta_color="inverse" if name in LOWER_IS_BETTER else "normal",
            help=f"old {row['old']} → new {row['new']}",
        )
    st.dataframe(delta_table(rows), hide_index=True, width="stretch")
    for column, figure in zip(st.columns(2), overlay_figures(old_report, new_report, (first, second)), strict=False):
        column.pyplot(figure)
    worse, better = question_changes(old_report, new_report)
    for title, changes in ((f"Got worse ({len(worse)})", worse), (f"Got better ({len(better)})", better)):
        st.markdown(f"**{title}**")
        if not changes:
            st.caption("none")
        for index, change in enumerate(changes):
            with st.expander(escape(f"{change['id']}: {change['question']}"), expanded=index < 3):
                old_column, new_column = st.columns(2)
                for column, side, label in ((old_column, "old", first), (new_column, "new", second)):
                    column.caption(escape(label))
                    column.text(change[side]["answer"])
                    column.caption(score_caption(change[side]))


reports = find_reports()
report, comparison, corrections = st.tabs(["Report", "Compare two reports", "Corrections as gold"])
with corrections:
    corrections_tab()
with report:
    if reports:
        report_tab()
    else:
        st.info("No reports yet: run the harness above, or `make eval` / `qa eval --out .eval-out/NAME`.")
with comparison:
    compare_tab()
