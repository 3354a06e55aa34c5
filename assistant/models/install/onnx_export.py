"""The embedding model as ONNX: exported once from its local weights (with torch, at `make install`),
checked against torch, then run by onnxruntime without torch (`OnnxEmbedder` in assistant/models/embedder.py).

`python -m assistant.models.install.onnx_export` writes, under the models directory (`~/.cache/cited-qa/models`):
``all-MiniLM-L6-v2-onnx/model.onnx`` (fp32), ``model-int8.onnx`` (dynamically quantised: int8 weights per
output channel, activations quantised on the fly; the attention products stay fp32) and ``verified.json``,
the marker written last: the files it lists (size and mtime) are the ones that passed the check. Nothing
is downloaded; only this module imports torch, and only while exporting.

Install-time tooling: it imports the run-time modules (the file names, the model's configuration and the
marker check in assistant/models/onnx_files.py; ``OnnxEmbedder`` to check the export), never the reverse.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.errors import ModelError
from assistant.models.embedder import OnnxEmbedder
from assistant.models.onnx_files import (
    EXPORT_COMMAND,
    EXPORT_MODULE,
    FAILED_LINE,
    FP32_FILE,
    INT8_FILE,
    MARKER_FILE,
    READY_LINE,
    ModelConfig,
    export_dir,
    export_identity,
    exported,
    packaged_model_dir,
    read_config,
)

OPSET = 17
# The export is checked on these against torch (same weights, same mean pooling): the least cosine allowed.
CHECK_TEXTS = (
    "What does Russia demand?",
    "The virus binds to the ACE2 receptor on the surface of epithelial cells in the lung.",
    "",
    "Kyiv said on Tuesday that talks would resume in Geneva, while Moscow repeated its demand that NATO "
    "rule out membership for Ukraine. " * 12,  # longer than the 256-token limit: truncation
    "Ünïcödé, numbers like 2,000 and 3.5%, and (parentheses).",
)
MIN_COSINE = {FP32_FILE: 0.9999, INT8_FILE: 0.95}


def ensure_exported(
    models_dir: Path, source: Path | None = None, progress: Callable[[str], None] | None = None
) -> Path:
    """The verified export directory of ``source`` (default: the packaged model), exporting it first if needed.

    One export at a time per directory (a file lock); files appear under their names only after they were
    checked, and the marker that vouches for them is written last."""
    source = source or packaged_model_dir()
    ready = exported(models_dir, source)
    if ready is not None:
        return ready
    target = export_dir(models_dir, source)
    with _locked(target.with_name(f".{target.name}.lock")):
        ready = exported(models_dir, source)  # another process may have finished it while we waited
        if ready is not None:
            return ready
        say = progress or (lambda message: None)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=models_dir))
        try:
            try:
                report = export(source, work, say)
            except ModelError:
                raise
            except Exception as exc:  # the exporter and the quantiser raise many types; one message for people
                raise ModelError(
                    f"exporting the embedding model to ONNX failed ({type(exc).__name__}: {exc}); retry with "
                    f"`{EXPORT_COMMAND}`, or set QA_EMBEDDER=sentence-transformers"
                ) from exc
            target.mkdir(parents=True, exist_ok=True)
            (target / MARKER_FILE).unlink(missing_ok=True)
            for name in (FP32_FILE, INT8_FILE):
                os.replace(work / name, target / name)
            marker = work / MARKER_FILE
            marker.write_text(json.dumps({"identity": export_identity(source, target), "check": report}, indent=2))
            os.replace(marker, target / MARKER_FILE)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        say(f"embedding model exported to ONNX and checked: {target}")
    return target


def export(source: Path, out: Path, progress: Callable[[str], None]) -> dict[str, Any]:
    """Write ``out/model.onnx`` and ``out/model-int8.onnx`` from the weights in ``source`` and check both
    against torch; returns the check's figures. Raises ModelError when a tool is missing or a check fails."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    config = read_config(source)
    try:
        import onnx
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:
        raise ModelError(
            f"exporting the embedding model to ONNX needs torch, transformers and onnx ({exc}); run `make install`, "
            "or set QA_EMBEDDER=sentence-transformers"
        ) from exc
    started = time.perf_counter()
    progress(f"exporting the embedding model {source} to ONNX (once; `{EXPORT_COMMAND}`)")
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()
    wrapper = _hidden_states(model, torch).eval()  # a new module trains by default: no dropout, here or after export
    names = ["input_ids", "attention_mask", *(["token_type_ids"] if wrapper.takes_token_types else [])]
    example = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    with torch.no_grad(), _quiet_warnings():
        # The TorchScript exporter (dynamo=False): the dynamo one needs onnxscript, and this graph is plain.
        torch.onnx.export(
            wrapper,
            example,
            str(out / FP32_FILE),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
            opset_version=OPSET,
            dynamo=False,
        )
    progress("quantising the ONNX model to int8 (dynamic, per channel)")
    graph = onnx.load(str(out / FP32_FILE))
    weights = {tensor.name for tensor in graph.graph.initializer}
    # Products of two activations (attention scores and their use) stay fp32: quantising them costs the most.
    activations_only = [
        node.name
        for node in graph.graph.node
        if node.op_type == "MatMul" and not any(name in weights for name in node.input)
    ]
    del graph
    with _quiet_warnings():
        quantize_dynamic(
            str(out / FP32_FILE),
            str(out / INT8_FILE),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=activations_only,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    report: dict[str, Any] = {"source": str(source), "torch": torch.__version__, "onnx": onnx.__version__}
    reference = _torch_vectors(model.eval(), wrapper.takes_token_types, config, torch)
    for name in (FP32_FILE, INT8_FILE):
        vectors = OnnxEmbedder(out / name, config).embed_batch(list(CHECK_TEXTS))
        cosines = [
            sum(a * b for a, b in zip(ours, theirs, strict=True))
            for ours, theirs in zip(vectors, reference, strict=True)
        ]
        report[name] = {"min_cosine": round(min(cosines), 5), "bytes": (out / name).stat().st_size}
        if min(cosines) < MIN_COSINE[name]:
            raise ModelError(
                f"the ONNX export {name} disagrees with torch (cosine {min(cosines):.4f} < {MIN_COSINE[name]}); "
                "set QA_EMBEDDER=sentence-transformers and report the versions of torch and onnxruntime"
            )
        report[name]["sha256"] = _sha256(out / name)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _hidden_states(model: Any, torch: Any) -> Any:
    """A torch module returning the transformer's last hidden states from positional tensors (export needs
    that); its ``takes_token_types`` says whether the model has a token-type input (BERT does)."""
    import inspect

    takes = (
        "token_type_ids" in inspect.signature(model.forward).parameters
        and getattr(model.config, "type_vocab_size", 0) > 0
    )

    class HiddenStates(torch.nn.Module):  # type: ignore[misc]  # torch is passed in: imported only to export
        takes_token_types = takes

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            extra = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
            return self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state

    return HiddenStates()


def _torch_vectors(model: Any, token_types: bool, config: ModelConfig, torch: Any) -> list[list[float]]:
    """The reference: the same weights in torch, the same tokenizer, pooling and normalisation."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(config.tokenizer_file))
    tokenizer.enable_truncation(config.max_seq_length)
    tokenizer.no_padding()
    vectors = []
    with torch.no_grad():
        for text in CHECK_TEXTS:
            encoding = tokenizer.encode(text)
            ids = torch.tensor([encoding.ids])
            mask = torch.ones_like(ids)
            extra = {"token_type_ids": torch.zeros_like(ids)} if token_types else {}
            hidden = model(input_ids=ids, attention_mask=mask, **extra).last_hidden_state[0]
            pooled = hidden.mean(0) if config.pooling == "mean" else hidden[0]
            vectors.append(torch.nn.functional.normalize(pooled, dim=0).tolist())
    return vectors


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _quiet_warnings() -> Iterator[None]:
    """The exporter's tracer warnings and the quantiser's pre-processing hint are expected here, not news."""
    import logging
    import warnings

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    """`python -m assistant.models.install.onnx_export [--models-dir DIR] [--model DIR]`: export once; a no-op
    when verified."""
    from assistant.settings import load_settings

    parser = argparse.ArgumentParser(prog=f"python -m {EXPORT_MODULE}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path, help="default: the models_dir setting (~/.cache/cited-qa/models)")
    parser.add_argument(
        "--model", type=Path, help="a sentence-transformers model directory (default: the packaged one)"
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        models_dir = args.models_dir or settings.models.resolved_dir
        source = args.model or (Path(settings.models.embedding_model) if settings.models.embedding_model else None)
        target = ensure_exported(models_dir, source, lambda message: print(message, file=sys.stderr, flush=True))
    except Exception as exc:  # noqa: BLE001 - one line for `make install`, not a traceback
        print(f"{FAILED_LINE}{exc}", file=sys.stderr)
        return 1
    print(f"{READY_LINE}{target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
