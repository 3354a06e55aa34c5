"""Gold Q&A sets (format v1): one JSON object per line, validated with messages naming line and field."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import InputError


class Turn(BaseModel):
    """A prior turn of the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: str
    content: str


class GoldItem(BaseModel):
    """One gold question."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answers: list[str] = Field(default_factory=list, description="Acceptable short answers; [] when unanswerable.")
    answerable: bool = True
    sources: list[str] = Field(default_factory=list, description="Corpus-relative paths that hold the answer.")
    evidence: list[str] = Field(default_factory=list)
    history: list[Turn] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _answers_match_answerability(self) -> GoldItem:
        if self.answerable and not self.answers:
            raise ValueError("an answerable item needs at least one entry in 'answers'")
        if not self.answerable and self.answers:
            raise ValueError("an unanswerable item must have 'answers': []")
        return self


def load_gold(path: Path) -> list[GoldItem]:
    """Read and validate a gold file; InputError names the file, line and field of the first problem."""
    if not path.is_file():
        raise InputError(f"{path}: gold file not found")
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path.name} line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(raw, dict):
            raise InputError(f"{path.name} line {number}: expected a JSON object, got {type(raw).__name__}")
        try:
            item = GoldItem.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or "item"
            message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
            raise InputError(f"{path.name} line {number}: field '{field}': {message}") from None
        if item.id in seen:
            raise InputError(f"{path.name} line {number}: field 'id': {item.id!r} already used on line {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise InputError(f"{path.name}: the gold set is empty; add one JSON object per line")
    return items


def check_sources(items: list[GoldItem], corpus: Path, gold_name: str = "gold") -> None:
    """Every gold source must exist in the corpus directory."""
    for item in items:
        for source in item.sources:
            if not (corpus / source).is_file():
                raise InputError(
                    f"{gold_name}: item {item.id!r} field 'sources': {source!r} is not a file in the corpus {corpus}"
                )
