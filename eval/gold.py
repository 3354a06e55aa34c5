"""Gold Q&A sets (format v1): one JSON object per line, validated with messages naming line and field."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import InputError


class GoldWarning(UserWarning):
    """Something in a gold file was kept as is but will not be used (e.g. fields format v1 does not know)."""


class Turn(BaseModel):
    """A prior turn of the conversation."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str


class GoldItem(BaseModel):
    """One gold question; fields format v1 does not define are kept in ``model_extra`` and ignored."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answers: list[str] = Field(default_factory=list, description="Acceptable short answers; [] when unanswerable.")
    answerable: bool = True
    sources: list[str] = Field(
        default_factory=list,
        description="Paths that hold the answer: corpus-relative, or relative to the gold file's folder.",
    )
    evidence: list[str] = Field(default_factory=list)
    required: list[str] | None = Field(
        default=None, description="Items a complete answer must all mention (scored as answer_recall)."
    )
    history: list[Turn] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    note: str | None = Field(
        default=None, description="A person's note on a correction (sets made from feedback); not scored."
    )

    @model_validator(mode="after")
    def _answers_match_answerability(self) -> GoldItem:
        if self.answerable and not self.answers:
            raise ValueError("an answerable item needs at least one entry in 'answers'")
        if not self.answerable and self.answers:
            raise ValueError("an unanswerable item must have 'answers': []")
        if self.required is not None and not [item for item in self.required if item.strip()]:
            raise ValueError("'required' must list at least one item (or be left out)")
        return self

    def unknown_fields(self) -> list[str]:
        """Names of the fields format v1 does not define (history turns' as 'history[].name')."""
        names = list(self.model_extra or {})
        names += [f"history[].{name}" for turn in self.history for name in (turn.model_extra or {})]
        return names


def load_gold(path: Path) -> list[GoldItem]:
    """Read and validate a gold file; InputError names the file, line and field of the first problem.

    Unknown fields are kept on the items and reported once, as a GoldWarning listing their names.
    """
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
            message = error["msg"].removeprefix("Value error, ")
            raise InputError(f"{path.name} line {number}: field '{field}': {message}") from None
        if item.id in seen:
            raise InputError(f"{path.name} line {number}: field 'id': {item.id!r} already used on line {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise InputError(f"{path.name}: the gold set is empty; add one JSON object per line")
    unknown = sorted({name for item in items for name in item.unknown_fields()})
    if unknown:
        warnings.warn(GoldWarning(f"{path.name}: unknown fields kept and ignored: {', '.join(unknown)}"), stacklevel=2)
    return items


def check_sources(items: list[GoldItem], corpus: Path, gold: Path | None = None) -> list[GoldItem]:
    """The items with every source made corpus-relative; InputError names the item whose source is missing.

    A source may be given relative to the corpus or to the folder of the ``gold`` file (corpus first).
    """
    root = corpus.resolve()
    where = gold.name if gold is not None else "gold"
    resolved = []
    for item in items:
        sources = []
        for source in item.sources:
            if (corpus / source).is_file():
                sources.append(source)
                continue
            beside = (gold.parent / source).resolve() if gold is not None else None
            if beside is None or not beside.is_file():
                folder = f" nor relative to the gold file's folder {gold.parent}" if gold is not None else ""
                raise InputError(
                    f"{where}: item {item.id!r} field 'sources': {source!r} is not a file in the corpus "
                    f"{corpus}{folder}; "
                    "fix the path or add the file"
                )
            if not beside.is_relative_to(root):
                raise InputError(
                    f"{where}: item {item.id!r} field 'sources': {source!r} is the file {beside}, which is outside "
                    f"the corpus {corpus}, so it is never searched; move it into the corpus or fix the path"
                )
            sources.append(beside.relative_to(root).as_posix())
        resolved.append(item if sources == item.sources else item.model_copy(update={"sources": sources}))
    return resolved
