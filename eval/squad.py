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
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    lines = []
    contexts = 0
    for article in articles:
        title = str(article.get("title", "article"))
        for index, paragraph in enumerate(article.get("paragraphs", [])):
            name = _file_name(title, index)
            (corpus / name).write_text(paragraph["context"], encoding="utf-8")
            contexts += 1
            for qa in paragraph.get("qas", []):
                answers = list(dict.fromkeys(a["text"].strip() for a in qa.get("answers", []) if a["text"].strip()))
                impossible = bool(qa.get("is_impossible")) or not answers
                lines.append({
                    "id": str(qa["id"]),
                    "question": qa["question"].strip(),
                    "answers": [] if impossible else answers,
                    "answerable": not impossible,
                    "sources": [] if impossible else [name],
                    "evidence": [] if impossible else answers[:1],
                    "tags": ["squad", "unanswerable" if impossible else "single"],
                })
    if not lines:
        raise InputError(f"{squad_file}: holds no questions")
    (out / "gold.jsonl").write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    return contexts, len(lines)
