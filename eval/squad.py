"""Convert SQuAD-format JSON (v1 and v2) into gold format v1 plus a corpus of one file per context."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from assistant.errors import InputError


def _file_name(title: str, index: int) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_")[:60] or "article"
    return f"{slug}__p{index:03d}.txt"


def convert_squad(squad_file: Path, out: Path) -> tuple[int, int]:
    """Write ``out/gold.jsonl`` and ``out/corpus/``; returns (contexts, questions)."""
    try:
        data: dict[str, Any] = json.loads(squad_file.read_text(encoding="utf-8"))
        articles = data["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{squad_file}: not SQuAD-format JSON (expected a top-level 'data' list): {exc}") from None
    files: dict[str, str] = {}
    lines = []
    contexts = 0
    for article_index, article in enumerate(articles):
        title = str(article.get("title", "article")) if isinstance(article, dict) else "article"
        where = f"{squad_file}: article {article_index} ({title!r})"
        if not isinstance(article, dict):
            raise InputError(f"{where}: expected an object with 'title' and 'paragraphs'; fix or remove the article")
        for index, paragraph in enumerate(article.get("paragraphs", [])):
            name = _file_name(title, index)
            if name in files:  # two articles share a title: keep both paragraphs apart
                name = _file_name(f"{title} {article_index}", index)
            context = _field(paragraph, "context", f"{where} paragraph {index}", "paragraph")
            files[name] = str(context)
            contexts += 1
            for qa_index, qa in enumerate(paragraph.get("qas", [])):
                here = f"{where} paragraph {index} question {qa_index}"
                qa_id = _field(qa, "id", here, "question")
                question = _field(qa, "question", f"{here} (id {qa_id!r})", "question")
                texts = [
                    str(_field(answer, "text", f"{here} (id {qa_id!r}) answer {n}", "answer")).strip()
                    for n, answer in enumerate(qa.get("answers", []))
                ]
                answers = list(dict.fromkeys(text for text in texts if text))
                impossible = bool(qa.get("is_impossible")) or not answers
                lines.append({
                    "id": str(qa_id),
                    "question": str(question).strip(),
                    "answers": [] if impossible else answers,
                    "answerable": not impossible,
                    "sources": [] if impossible else [name],
                    "evidence": [] if impossible else answers[:1],
                    "tags": ["squad", "unanswerable" if impossible else "single"],
                })
    if not lines:
        raise InputError(f"{squad_file}: holds no questions")
    # Written only once the whole file has been read: a bad entry leaves no half-converted output.
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (out / "gold.jsonl").write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
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
