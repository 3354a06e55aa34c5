"""Evaluation page: ask a set of questions with known answers (the collection's own corrections, or a packaged
set on its own documents), then read the report; compare two reports; see and download the corrections."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import streamlit as st

from assistant import AssistantError
from assistant.settings import read_settings_dump
from eval.feedback_gold import corrections, gold_items, gold_path, write_items
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
    summary_line,
    tag_table,
)
from ui.state import catalog, feedback_store, get_assistant, page_setup, sidebar_settings

# A checkout: where `make eval` writes its reports (.eval-out) and where ../shared/seed-corpus sits.
ROOT = Path(__file__).resolve().parents[2]
CORRECTIONS = "corrections"
# Packaged question sets in plain words, with the documents each is asked of.
PACKAGED = {
    "sample.jsonl": ("Sample questions (the sample documents)", "the sample documents that come with the app"),
    "seed.jsonl": ("News article questions (the seed article)", "the news article the project started from"),
}
page_setup("Evaluation", "📊")
settings = sidebar_settings()
st.title("Evaluation")
st.caption("Ask a set of questions whose answers are known, and see how many the assistant gets right.")
reports_dir = settings.storage.data_dir / "reports"
corrected = corrections(feedback_store(str(settings.storage.data_dir)).all(), settings.storage.collection)
stored = [
    record.source for record in catalog(str(settings.storage.data_dir)).records.sources(settings.storage.collection)
]
corrections_file = gold_path(settings.storage.data_dir, settings.storage.collection)


def find_reports() -> dict[str, Path]:
    """Reports of this data directory by name, then those of `make eval` as '.eval-out/NAME' (names may repeat)."""
    found = {}
    for base, prefix in ((reports_dir, ""), (ROOT / ".eval-out", ".eval-out/")):
        for path in sorted(base.glob("**/report.json")) if base.is_dir() else []:
            found[prefix + str(path.parent.relative_to(base))] = path
    return found


def set_label(choice: str) -> str:
    """'Corrections from this collection (3)', or a packaged set in plain words."""
    if choice == CORRECTIONS:
        return f"Corrections from this collection ({len(corrected)})"
    return PACKAGED.get(choice, (f"Question set {Path(choice).stem}", ""))[0]


def terminal_command(parts: list[str]) -> str:
    """The same run from a terminal, with this app's data folder."""
    return f"QA_DATA_DIR={shlex.quote(str(settings.storage.data_dir))} {shlex.join(['qa', 'eval', *parts])}"


def progress_text(done: int, total: int) -> str:
    return f"Question {min(done + 1, total)} of {total}" if done < total else f"All {total} questions asked"


def run_section() -> None:
    """Pick a question set and run it; the new report is then chosen in the Report tab."""
    st.subheader("Run an evaluation")
    packaged = sorted(path.name for path in GOLD_DIR.glob("*.jsonl"))
    choices = [CORRECTIONS, *packaged]
    default = 0 if corrected or not packaged else 1
    choice = st.selectbox("Question set", choices, index=default, format_func=set_label, key="question_set")
    corpus: Path | None = None
    if choice == CORRECTIONS:
        if not corrected:
            st.info(
                f"No corrections in the collection {escape(settings.storage.collection)} yet. On the Chat page, use "
                '"Correct this answer" under an answer to give the right one; it is then listed here.'
            )
        else:
            st.caption(
                f"Asks the {len(corrected)} corrected question{'s' if len(corrected) != 1 else ''} of the collection "
                f"{escape(settings.storage.collection)} as it is now; nothing is added to it."
            )
        out = reports_dir / f"{corrections_file.stem}-{settings.llm.answerer}"
        command = ["--collection", settings.storage.collection, "--gold", str(corrections_file), "--out", str(out)]
    else:
        default_corpus = SAMPLE_CORPUS if choice == "sample.jsonl" else ROOT.parent / "shared" / "seed-corpus"
        st.caption(f"Asked of its own documents: {escape(PACKAGED.get(choice, ('', 'the folder below'))[1])}.")
        with st.expander("Advanced"):
            corpus = Path(st.text_input("Folder of documents", str(default_corpus)))
        out = reports_dir / f"{Path(choice).stem}-{settings.llm.answerer}"
        command = ["--corpus", str(corpus), "--gold", str(GOLD_DIR / choice), "--out", str(out)]
    if st.button("Run evaluation", type="primary", disabled=choice == CORRECTIONS and not corrected):
        run(choice, corpus, out)
    with st.expander("Details: the same run from a terminal"):
        if choice == CORRECTIONS and corrected:
            write_items(gold_items(corrected, stored), corrections_file)  # the file the command names
        st.code(terminal_command([*command, "--answerer", settings.llm.answerer]), language="bash")


def run(choice: str, corpus: Path | None, out: Path) -> None:
    """Run the chosen set with a progress bar; on success the Report tab shows the new report."""
    from eval.report import write_report
    from eval.runner import eval_settings, run_eval, run_on_collection

    bar = st.progress(0.0, text="Starting...")

    def progress(done: int, total: int, _name: str) -> None:
        bar.progress(done / max(total, 1), text=progress_text(done, total))

    try:
        if choice == CORRECTIONS:
            write_items(gold_items(corrected, stored), corrections_file)
            records, info = run_on_collection(corrections_file, get_assistant(settings), progress=progress)
        else:
            assert corpus is not None
            bar.progress(0.0, text="Reading the documents of the question set...")
            assistant = get_assistant(eval_settings(settings, corpus))
            records, info = run_eval(corpus, GOLD_DIR / choice, assistant, progress=progress)
        write_report(records, info, out)
    except AssistantError as exc:
        bar.empty()
        st.error(escape(str(exc)))
        return
    st.session_state.report_choice = str(out.relative_to(reports_dir))
    right = sum(record.get("answer_contains") == 1.0 for record in records)
    st.success(f"Done: {right} of {len(records)} questions answered as expected. The report is below.")


run_section()


def load(name: str) -> dict:
    return json.loads(reports[name].read_text(encoding="utf-8"))


def report_tab() -> None:
    """One report: headline metrics, tables, plots, worst questions."""
    chosen = st.selectbox("Report", list(reports), key="report_choice")
    report = load(chosen)
    st.markdown(summary_line(report))
    st.caption(
        " · ".join(
            escape(str(part))
            for part in (
                Path(report["gold"]).name,
                f"answerer {read_settings_dump(report['settings'])['answerer']}",
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
            expected = " / ".join(record["gold_answers"]) or "(the documents do not answer this)"
            st.text(f"Expected: {expected}\nAnswer: {record['answer']}")
            st.caption(score_caption(record))
            if record.get("note"):
                st.caption(f"Your note: {escape(str(record['note']))}")
            for details in (refusal_reason_markdown(record), removed_list_markdown(record)):
                if details:
                    st.markdown(details)
            if record["retrieved"]:
                st.caption("Passages found for it, best first")
            for passage in record["retrieved"]:
                st.text(f"{passage['source']}: {' '.join(passage['text'].split())[:200]}")


def compare_tab() -> None:
    """Two reports: metric deltas in colour, questions that got worse or better, overlaid plots."""
    if len(reports) < 2:
        st.info("Comparing needs two reports: run an evaluation again, for example with another question set.")
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


def corrections_tab() -> None:
    """The collection's corrections (from the Chat page), and the file to download them as a question set."""
    if not corrected:
        st.info('No corrections yet. On the Chat page, "Correct this answer" under an answer saves the right one here.')
        return
    st.caption(
        f"{len(corrected)} corrected answer{'s' if len(corrected) != 1 else ''} in the collection "
        f"{escape(settings.storage.collection)}."
    )
    st.dataframe(
        [
            {
                "Question": item.question,
                "Right answer": "(the documents do not answer this)" if item.unanswerable else item.correction,
                "Note": item.note or "",
            }
            for item in corrected
        ],
        hide_index=True,
        width="stretch",
    )
    items = gold_items(corrected, stored)
    st.download_button(
        "Download the corrections as a question set",
        "".join(json.dumps(item.model_dump(exclude_none=True), ensure_ascii=False) + "\n" for item in items),
        file_name=corrections_file.name,
        mime="application/jsonl",
        width="stretch",
    )


reports = find_reports()
report, comparison, fixes = st.tabs(["Report", "Compare two reports", "Corrections"])
with report:
    if reports:
        report_tab()
    else:
        st.info("No reports yet: run an evaluation above.")
with comparison:
    compare_tab()
with fixes:
    corrections_tab()
