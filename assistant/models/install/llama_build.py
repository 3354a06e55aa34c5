"""llama-cpp-python built for this machine's CPU by `make install`, once, and cached outside the venv.

The xllamacpp wheel is a generic AVX2 build; llama.cpp compiled with ``-DGGML_NATIVE=ON`` uses what this
CPU has (AVX-512, VNNI, BF16, AMX) and reads prompts faster. `python -m assistant.models.install.llama_build` (run by
`make install`) installs the wheel cached for this CPU, or builds it from the PyPI source distribution
(a few minutes, once per CPU type and version), or says in one line why not and leaves the xllamacpp
wheel in charge. The wheel is cached under ``~/.cache/cited-qa/wheels/`` keyed by version and CPU
flags, and the installed copy carries a marker naming the CPU it was built for: code compiled for one
CPU can crash on another, so the local model uses it only where it was built (``built_for_other_cpu`` in
assistant/models/native_build.py, the run-time side, which this install-time module imports).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.models.native_build import (
    CMAKE_ARGS,
    MARKER_NAME,
    PACKAGE,
    VERSION,
    cpu_key,
    installed_build,
    package_dir,
)

WHEELS_DIR = Path.home() / ".cache" / "cited-qa" / "wheels"


def wheel_cache(root: Path = WHEELS_DIR) -> Path:
    """The folder holding the wheel built for this CPU and version."""
    return root / f"{PACKAGE}-{VERSION}-{cpu_key()}"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _pip(*args: str) -> list[str]:
    return [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]


def _install(wheel: Path, log: Path) -> None:
    """Install the wheel (its dependencies are small: numpy, jinja2, typing-extensions, diskcache) and mark it."""
    with log.open("a") as out:
        for args in (("--force-reinstall", "--no-deps", str(wheel)), (str(wheel),)):
            # The second pass adds what is missing of its dependencies (diskcache) and never pulls more.
            subprocess.run(_pip("install", *args), check=True, stdout=out, stderr=subprocess.STDOUT)
    package = package_dir()
    if package is None:
        raise RuntimeError("llama_cpp is not importable after installing its wheel")
    marker = {
        "version": VERSION,
        "cpu_key": cpu_key(),
        "cpu": _cpu_name(),
        "cmake_args": CMAKE_ARGS,
        "wheel": wheel.name,
    }
    (package / MARKER_NAME).write_text(json.dumps(marker, indent=2), encoding="utf-8")


def _build(cache: Path, log: Path) -> Path:
    """Build the wheel from the PyPI sdist with native CPU flags into ``cache``; its output goes to ``log``."""
    cache.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CMAKE_ARGS=CMAKE_ARGS, FORCE_CMAKE="1")
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))
    with tempfile.TemporaryDirectory(prefix="llama-build-", dir=cache.parent) as temp, log.open("w") as out:
        command = _pip(
            "wheel", "--no-deps", "--no-cache-dir", "--no-binary", PACKAGE, f"{PACKAGE}=={VERSION}", "-w", temp
        )
        subprocess.run(command, check=True, stdout=out, stderr=subprocess.STDOUT, env=env)
        wheels = list(Path(temp).glob("*.whl"))
        if len(wheels) != 1:
            raise RuntimeError(f"expected one wheel, found {[w.name for w in wheels]}")
        target = cache / wheels[0].name
        shutil.move(str(wheels[0]), target)  # the wheel appears in the cache only once it is whole
    return target


def ensure_native_build(root: Path = WHEELS_DIR) -> str:
    """Install llama-cpp-python built for this CPU: already there, from the cache, or built now. One line back."""
    marker = installed_build()
    if marker and marker.get("cpu_key") == cpu_key() and package_dir() is not None:
        return f"llama.cpp for this CPU: installed ({marker.get('cpu')})"
    cache = wheel_cache(root)
    log = root / f"build-{cpu_key()}.log"
    cached = sorted(cache.glob("*.whl")) if cache.is_dir() else []
    if cached:
        _install(cached[-1], log)
        return f"llama.cpp for this CPU: installed from {cached[-1]}"
    print("building llama.cpp for this CPU (~4 min, once)...", flush=True)
    started = time.monotonic()
    root.mkdir(parents=True, exist_ok=True)
    wheel = _build(cache, log)
    _install(wheel, log)
    return f"llama.cpp for this CPU: built in {time.monotonic() - started:.0f} s, cached in {cache}"


def main(argv: list[str] | None = None) -> int:
    """`make install`'s step: never fails the install; the generic xllamacpp wheel stays the fallback."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=WHEELS_DIR, help="where built wheels are kept")
    args = parser.parse_args(argv)
    log = args.cache / f"build-{cpu_key()}.log"
    try:
        print(ensure_native_build(args.cache), flush=True)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        detail = f"see {log}" if log.is_file() else str(exc)
        print(
            f"llama.cpp could not be built for this CPU ({detail}); the local model uses the generic xllamacpp wheel",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
