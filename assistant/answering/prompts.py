"""Prompt templates kept as plain text files in the `prompts` package (prompts/), loaded by name."""

from __future__ import annotations

import string
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from assistant.errors import ConfigError

# Package data, so the installed wheel finds them as well as a checkout or an editable install does.
PROMPTS_DIR = Path(str(resources.files("prompts")))


class PromptTemplate(BaseModel):
    """A system part (kept identical between calls so the model can reuse its cache) and a user part."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    system: str
    user: str

    def placeholders(self) -> set[str]:
        """Names used as {placeholders} in either part."""
        return {
            field for part in (self.system, self.user) for _, field, _, _ in string.Formatter().parse(part) if field
        }

    def render(self, **values: str) -> list[dict[str, str]]:
        """Chat messages with every placeholder filled; a missing or unexpected value is an error."""
        missing = self.placeholders() - set(values)
        unexpected = set(values) - self.placeholders()
        if missing or unexpected:
            raise ConfigError(
                f"prompt {self.name!r}: missing values {sorted(missing)}, unexpected values {sorted(unexpected)}"
            )
        return [
            {"role": "system", "content": self.system.format(**values).strip()},
            {"role": "user", "content": self.user.format(**values).strip()},
        ]


@cache
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> PromptTemplate:
    """Read ``<name>.system.txt`` and ``<name>.user.txt`` from the prompts directory."""
    parts = {}
    for part in ("system", "user"):
        path = directory / f"{name}.{part}.txt"
        if not path.is_file():
            available = sorted({p.name.split(".")[0] for p in directory.glob("*.txt")})
            raise ConfigError(f"prompt file {path} is missing; available prompts: {', '.join(available)}")
        parts[part] = path.read_text(encoding="utf-8")
    return PromptTemplate(name=name, **parts)
