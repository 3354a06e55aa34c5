"""Convert SQuAD-format JSON (v1 and v2) into gold format v1 plus a corpus of one file per context."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import InputError


@dataclass
class SquadQuestion:
    """One question with its answer texts and where each starts in the context."""

    id: str
    question: str
    answers: list[str]
    starts: list[int]
    impossible: bool


@dataclass
class SquadParagraph:
    """One context, stored as one corpus file."""

    file: str
    context: str
    questions: list[SquadQuestion] = field(default_factory=list)


@dataclass
class SquadArticle:
    """A titled group of paragraphs."""

    title: str
    paragraphs: list[SquadParagraph] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All of the article's contexts, one after the other."""
        return _PARAGRAPH_SEPARATOR.join(paragraph.context for paragraph in self.paragraphs)

    @property
    def paragraph_starts(self) -> list[int]:
        """Where each paragraph's context begins in ``text``."""
        starts, position = [], 0
        for paragraph in self.paragraphs:
            starts.append(position)
            position += len(paragraph.context) + len(_PARAGRAPH_SEPARATOR)
        return starts


_PARAGRAPH_SEPARATOR = "\n\n"


def slug(title: str) -> str:
    """A file-name stem for a title: letters and digits, the rest as '_'."""
    return re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_")[:60] or "article"


def _file_name(title: str, index: int) -> str:
    return f"{slug(title)}__p{index:03d}.txt"


def _title(article: dict[str, Any]) -> str:
    """The article's title; untitled sets (COVID-QA) fall back to the first paragraph's document id."""
    if article.get("title"):
        return str(article["title"])
    paragraphs = article.get("paragraphs") or [{}]
    document = paragraphs[0].get("document_id") if isinstance(paragraphs[0], dict) else None
    return f"document {document}" if document is not None else "article"


def read_squad(squad_file: Path) -> list[SquadArticle]:
    """Parse and check a SQuAD file; InputError names the article, paragraph, question and missing field."""
    try:
        data: dict[str, Any] = json.loads(squad_file.read_text(encoding="utf-8"))
        raw_articles = data["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{squad_file}: not SQuAD-format JSON (expected a top-level 'data' list): {exc}") from None
    files: set[str] = set()
    articles = []
    for article_index, raw in enumerate(raw_articles):
        title = _title(raw) if isinstance(raw, dict) else "article"
        where = f"{squad_file}: article {article_index} ({title!r})"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: expected an object with 'title' and 'paragraphs'; fix or remove the article")
        article = SquadArticle(title)
        for index, paragraph in enumerate(raw.get("paragraphs", [])):
            name = _file_name(title, index)
            if name in files:  # two articles share a title: keep both paragraphs apart
                name = _file_name(f"{title} {article_index}", index)
            files.add(name)
            context = str(_field(paragraph, "context", f"{where} paragraph {index}", "paragraph"))
            article.paragraphs.append(
                SquadParagraph(name, context, _questions(paragraph, f"{where} paragraph {index}"))
            )
        articles.append(article)
    return articles


def _questions(paragraph: dict[str, Any], where: str) -> list[SquadQuestion]:
    questions = []
    for qa_index, qa in enumerate(paragraph.get("qas", [])):
        here = f"{where} question {qa_index}"
        qa_id = _field(qa, "id", here, "question")
        question = _field(qa, "question", f"{here} (id {qa_id!r})", "question")
        found: dict[str, int] = {}
        for n, answer in enumerate(qa.get("answers", [])):
            text = str(_field(answer, "text", f"{here} (id {qa_id!r}) answer {n}", "answer"))
            start = answer.get("answer_start", -1)
            # Offsets point at the unstripped text: move them past the whitespace the strip removes.
            offset = len(text) - len(text.lstrip())
            if text.strip() and text.strip() not in found:
                found[text.strip()] = start + offset if isinstance(start, int) and start >= 0 else -1
        impossible = bool(qa.get("is_impossible")) or not found
        questions.append(
            SquadQuestion(
                id=str(qa_id),
                question=str(question).strip(),
                answers=[] if impossible else list(found),
                starts=[] if impossible else list(found.values()),
                impossible=impossible,
            )
        )
    return questions


def gold_line(question: SquadQuestion, source: str, tags: list[str]) -> dict[str, Any]:
    """A gold format v1 object for one SQuAD question."""
    answerable = not question.impossible
    return {
        "id": question.id,
        "question": question.question,
        "answers": question.answers if answerable else [],
        "answerable": answerable,
        "sources": [source] if answerable else [],
        "evidence": question.answers[:1] if answerable else [],
        "tags": tags,
    }


def write_corpus(articles: list[SquadArticle], corpus: Path) -> int:
    """One .txt file per paragraph under ``corpus``; returns the number of files."""
    corpus.mkdir(parents=True, exist_ok=True)
    count = 0
    for article in articles:
        for paragraph in article.paragraphs:
            (corpus / paragraph.file).write_text(paragraph.context, encoding="utf-8")
            count += 1
    return count


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> None:
    """One JSON object per line, UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


def convert_squad(squad_file: Path, out: Path) -> tuple[int, int]:
    """Write ``out/gold.jsonl`` and ``out/corpus/``; returns (contexts, questions)."""
    articles = read_squad(squad_file)
    lines = [
        gold_line(question, paragraph.file, ["squad", "unanswerable" if question.impossible else "single"])
        for article in articles
        for paragraph in article.paragraphs
        for question in paragraph.questions
    ]
    if not lines:
        raise InputError(f"{squad_file}: holds no questions")
    # Written only once the whole file has been read: a bad entry leaves no half-converted output.
    contexts = write_corpus(articles, out / "corpus")
    write_jsonl(out / "gold.jsonl", lines)
    return contexts, len(lines)


def _field(entry: Any, name: str, where: str, kind: str) -> Any:
    """``entry[name]``, or an InputError saying where the field is missing and what to do."""
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(entry).__name__}; fix or remove this {kind}")
    if name not in entry:
        raise InputError(
            f"{where}: missing field {name!r}; every SQuAD {kind} needs one. Add it, or remove the {kind} from the file"
        )
    return entry[name]
