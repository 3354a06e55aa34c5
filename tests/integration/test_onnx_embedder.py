"""The ONNX Runtime embedder against the sentence-transformers model it was exported from (real models)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import Settings
from assistant.errors import ModelError
from assistant.models.embedder import Embedder, OnnxEmbedder, build_embedder
from assistant.models.onnx_files import packaged_model_dir, read_config

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = [
    "What does Russia demand?",
    "Russia demands that NATO rule out membership for Ukraine and pull back its forces from Eastern Europe.",
    "The virus binds to the ACE2 receptor on the surface of epithelial cells.",
    "Tea grows in Assam.",
    "Prices rose 3.5% in 2021, the fastest pace since 1990.",
    "Zelensky described NATO membership as a guarantee of security.",
    "It is picked by hand in spring.",
    "The committee will meet again on Tuesday in Geneva.",
]
LONG = " ".join(["Kyiv said talks would resume in Geneva while Moscow repeated its demands."] * 60)  # ~800 tokens


@pytest.fixture(scope="session")
def onnx_fp32() -> Embedder:
    """The fp32 export, from the models directory `make install` wrote (exported here when it is missing)."""
    return build_embedder(Settings(embedder="onnx"))


@pytest.fixture(scope="session")
def onnx_int8() -> Embedder:
    return build_embedder(Settings(embedder="onnx-int8"))


def _cosines(ours: list[list[float]], theirs: list[list[float]]) -> np.ndarray:
    return (np.asarray(ours) * np.asarray(theirs)).sum(axis=1)


def test_fp32_vectors_are_the_sentence_transformers_vectors(onnx_fp32: Embedder, real_embedder: Embedder) -> None:
    cosines = _cosines(onnx_fp32.embed_batch([*SENTENCES, LONG]), real_embedder.embed_batch([*SENTENCES, LONG]))
    assert cosines.min() > 0.999


def test_int8_vectors_stay_close_to_the_sentence_transformers_vectors(
    onnx_int8: Embedder, real_embedder: Embedder
) -> None:
    # Measured on 3,000 COVID-QA sentences: mean 0.993, least 0.945 (`qa bench --part embedder`); these are closer.
    cosines = _cosines(onnx_int8.embed_batch([*SENTENCES, LONG]), real_embedder.embed_batch([*SENTENCES, LONG]))
    assert cosines.mean() > 0.98 and cosines.min() > 0.95


def test_vectors_are_unit_length_in_input_order_whatever_the_batching(onnx_fp32: Embedder) -> None:
    texts = [LONG, "", *SENTENCES, "   "]
    together = np.asarray(onnx_fp32.embed_batch(texts))
    assert together.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    one_by_one = np.asarray([onnx_fp32.embed(text) for text in texts])  # no padding at all
    assert np.allclose(together, one_by_one, atol=1e-4)
    assert onnx_fp32.embed_batch([]) == []


def test_empty_text_embeds_like_sentence_transformers(onnx_fp32: Embedder, real_embedder: Embedder) -> None:
    assert _cosines([onnx_fp32.embed("")], [real_embedder.embed("")])[0] > 0.999


def test_long_text_is_truncated_at_the_models_256_tokens(onnx_fp32: Embedder) -> None:
    assert read_config(packaged_model_dir()).max_seq_length == 256
    longer = LONG + " " + " ".join(["Something entirely different about tea in Assam."] * 40)
    # Both are cut at 256 tokens, so the words added after the cut change nothing.
    assert np.allclose(onnx_fp32.embed(LONG), onnx_fp32.embed(longer), atol=1e-5)
    assert not np.allclose(onnx_fp32.embed(LONG[:200]), onnx_fp32.embed(LONG), atol=1e-3)


def test_loading_and_embedding_imports_neither_torch_nor_sentence_transformers(onnx_fp32: Embedder) -> None:
    code = (
        "import json, sys\n"
        "from assistant import Settings\n"
        "from assistant.models.embedder import build_embedder\n"
        "for name in ('onnx', 'onnx-int8'):\n"
        "    build_embedder(Settings(embedder=name)).embed_batch(['What does Russia demand?'])\n"
        "print(json.dumps(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'sklearn') if m "
        "in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True, timeout=300
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_missing_model_file_names_the_export_command(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"python -m assistant.models.install.onnx_export"):
        OnnxEmbedder(tmp_path / "model.onnx", read_config(packaged_model_dir()))
