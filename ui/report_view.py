"""Pieces of the Evaluation page: which metrics to show, how a missing score reads, a question's details.

Everything in a report.json is untrusted data (questions, answers, reasons come from documents and gold
files): text that reaches markdown goes through ``ui.render.escape`` / ``removed_markdown``.
"""

from __future__ import annotations

from typing import Any

from assistant.types import Unsupported
from ui.render import REMOVED_HEADING, escape, removed_markdown

NA = "n/a"

# The headline tiles, one list per row: how well it answers, then how grounded and how fast.
HEADLINE_ROWS = [
    [
        "hit@5",
        "answer_contains",
        "answer_contains_answerable",
        "answer_recall",
        "refusal_accuracy",
        "false_premise_refusal",
    ],
    ["citation_validity", "number_precision", "unsupported_rate", "first_token_p50_s"],
]
JUDGE_METRICS = ["judge_faithfulness", "judge_correctness"]
HELP = {
    "hit@5": "Share of answerable questions with a relevant passage among the first 5 retrieved.",
    "answer_contains": "Share of questions answered with a gold answer, or rightly refused when unanswerable.",
    "answer_contains_answerable": "answer_contains over the answerable questions only.",
    "answer_recall": "Share of the required items the answers state (only sets with 'required' items).",
    "refusal_accuracy": "Share of questions refused exactly when they are unanswerable.",
    "false_premise_refusal": "Share of the false-premise questions that were refused.",
    "citation_validity": "Share of answers whose markers name shown passages and whose citations quote their "
    "documents exactly.",
    "number_precision": "Share of the numbers in the answers found in the passages they cite.",
    "unsupported_rate": "Share of the sentences of shown answers that the citation check removed; lower is better.",
    "first_token_p50_s": "Median seconds until the first answer token; lower is better.",
    "judge_faithfulness": "Judge's score of how well the answers rest on their citations.",
    "judge_correctness": "Judge's score of the answers against the gold answers.",
}
NA_HELP = "n/a: this report has no score for it (the gold set cannot score it, or the report predates the metric)."
# Per-question scores shown under each worst question, when the record has them.
QUESTION_SCORES = [
    ("contains answer", "answer_contains"),
    ("hit@5", "hit@5"),
    ("citation precision", "citation_precision"),
    ("answer recall", "answer_recall"),
    ("unsupported rate", "unsupported_rate"),
    ("number precision", "number_precision"),
    ("judge_faithfulness", "judge_faithfulness"),
    ("judge_correctness", "judge_correctness"),
]
ALWAYS_SHOWN = {"answer_contains", "hit@5", "citation_precision"}


def shown(value: object) -> str:
    """A score as text; None (nothing to score, e.g. hit@5 of an unanswerable question) is 'n/a', never 0."""
    if value is None:
        return NA
    return str(round(value, 3)) if isinstance(value, float) else str(value)


def metric_value(value: object) -> int | float | str:
    """The value for ``st.metric``: the number itself, 'n/a' for None (st.metric would show a dash), anything
    else as escaped text (st.metric renders a text value as markdown)."""
    if value is None:
        return NA
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return escape(str(value))


def headline_rows(metrics: dict[str, Any]) -> list[list[str]]:
    """The headline metric names by row; the judge metrics only for runs made with a judge."""
    judged = [name for name in JUDGE_METRICS if name in metrics]
    return [row for row in (*HEADLINE_ROWS, judged) if row]


def metric_help(name: str, value: object) -> str | None:
    """Tooltip of a headline tile: what the metric means, and why it reads n/a when it does."""
    text = HELP.get(name)
    if value is None:
        return f"{text} {NA_HELP}" if text else NA_HELP
    return text


def metric_table(metrics: dict[str, Any]) -> list[dict[str, str]]:
    """Every metric of the report as text rows, None as 'n/a'."""
    return [{"metric": str(name), "value": shown(value)} for name, value in metrics.items()]


def tag_table(per_tag: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """The per-tag table as text rows (tags and columns as the report has them), None as 'n/a'."""
    return [
        {"tag": str(tag), **{str(name): shown(value) for name, value in (scores or {}).items()}}
        for tag, scores in per_tag.items()
    ]


def score_caption(record: dict[str, Any]) -> str:
    """'contains answer 1\\.0 · hit@5 n/a · ...' (values escaped): the first three always, the others when the
    record has them."""
    present = [(label, key) for label, key in QUESTION_SCORES if key in ALWAYS_SHOWN or key in record]
    return " · ".join(f"{label} {escape(shown(record.get(key)))}" for label, key in present)


def refusal_reason_markdown(record: dict[str, Any]) -> str | None:
    """'**Refusal reason:** ...' escaped, or None when the record has no reason."""
    reason = record.get("refusal_reason")
    if reason is None or not str(reason).strip():
        return None
    return f"**Refusal reason:** {escape(str(reason))}"


def removed_list_markdown(record: dict[str, Any]) -> str | None:
    """The sentences the citation check removed, each struck through with its reason (escaped), or None."""
    items = [item for item in record.get("unsupported") or [] if isinstance(item, dict)]
    if not items:
        return None
    lines = [f"**{REMOVED_HEADING}:**", ""]
    removed = [
        Unsupported(sentence=str(item.get("sentence", "")), reason=str(item.get("reason", ""))) for item in items
    ]
    lines += ["- " + removed_markdown(item) for item in removed]
    return "\n".join(lines)


def summary_line(report: dict[str, Any]) -> str:
    """'**3 of 4 questions** answered as expected (a gold answer given, or rightly declined).' for a report."""
    records = [record for record in report.get("per_question") or [] if isinstance(record, dict)]
    right = sum(record.get("answer_contains") == 1.0 for record in records)
    noun = "question" if len(records) == 1 else "questions"
    return f"**{right} of {len(records)} {noun}** answered as expected (the right answer given, or rightly declined)."


def delta_table(rows: list[dict[str, Any]]) -> Any:
    """The compare rows as a styled table: a regression on red, an improvement beyond noise on green."""
    import pandas as pd

    from eval.report import LOWER_IS_BETTER

    frame = pd.DataFrame(rows, columns=["metric", "old", "new", "delta", "regressed"])

    def colour(row: Any) -> list[str]:
        better = row["delta"] < 0 if row["metric"] in LOWER_IS_BETTER else row["delta"] > 0
        shade = (
            "background-color: #f8d0d0"
            if row["regressed"]
            else ("background-color: #d3f0d3" if better and abs(row["delta"]) > 1e-9 else "")
        )
        return [shade] * len(row)

    return frame.style.apply(colour, axis=1).format({"old": "{:.3f}", "new": "{:.3f}", "delta": "{:+.3f}"})
