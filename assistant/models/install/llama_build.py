"""llama-cpp-python built for this machine's CPU by `make install`, once, and cached outside the venv.

The xllamacpp wheel is a generic AVX2 build; llama.cpp compiled with ``-DGGML_NATIVE=ON`` uses what this
CPU has (AVX-512, VNNI, BF16, AMX) and reads prompts faster. `python -m assistant.models.install.llama_build` (run by
`make install`) installs the wheel cached for this CPU, or builds it from the PyPI source distribution
(a few minutes, once per CPU type and version), or says in one line why not and leaves the xllamacpp
wheel in charge. The wheel is cached under ``~/.cache/cited-qa/wheels/`` keyed by version and CPU
flags, and the installed copy carries a marker naming the CPU it was built for: code compiled for one
CPU can crash on another, so the local model uses it only where it was built (``native_build_usable``).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VERSION = "0.3.36"
PACKAGE = "llama-cpp-python"
# mtmd (images and audio) is not needed to answer from text; leaving it out saves build time. AMX stays
# off on x86: llama.cpp's AMX kernels crash on Sapphire Rapids VMs (ggml-org/llama.cpp#20824, seen here).
CMAKE_ARGS = "-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF" + (
    " -DCMAKE_C_FLAGS=-mno-amx-int8 -DCMAKE_CXX_FLAGS=-mno-amx-int8"
    if platform.machine().lower() in {"x86_64", "amd64"}
    else ""
)
MARKER_NAME = "cited-qa-native-build.json"
WHEELS_DIR = Path.home() / ".cache" / "cited-qa" / "wheels"
# CPU flags that name instruction-set extensions the compiler may use under -march=native.
_ISA_FLAG = re.compile(
    r"^(sse\w*|ssse3|avx\w*|amx\w*|fma\w*|f16c|bmi\d|abm|lzcnt|popcnt|movbe|adx|aes|vaes|pclmulqdq|vpclmulqdq|"
    r"gfni|sha_ni|xsave\w*|rdrand|rdseed|clflushopt|clwb|cx16|fsgsbase|rdpid|movdiri|movdir64b|serialize|"
    r"waitpkg|wbnoinvd|pku|ptwrite|prefetchw|3dnowprefetch|sse4a|xop|tbm|lwp|clzero|mwaitx|rdpru)$"
)


def cpu_flags() -> list[str]:
    """The instruction-set flags of this CPU (Linux /proc/cpuinfo), sorted; [] where unknown."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return sorted({flag for flag in line.split(":", 1)[1].split() if _ISA_FLAG.match(flag)})
    return []


def cpu_key() -> str:
    """Names this CPU's instruction set (and the build options): builds are cached and used per key."""
    digest = hashlib.sha256(" ".join([VERSION, CMAKE_ARGS, *cpu_flags()]).encode()).hexdigest()[:12]
    return f"{platform.machine() or 'cpu'}-{digest}"


def wheel_cache(root: Path = WHEELS_DIR) -> Path:
    """The folder holding the wheel built for this CPU and version."""
    return root / f"{PACKAGE}-{VERSION}-{cpu_key()}"


def _package_dir() -> Path | None:
    """Where llama_cpp is installed, found without importing it (importing loads its compiled code)."""
    try:
        spec = importlib.util.find_spec("llama_cpp")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.submodule_search_locations:
        return None  # not installed, or only a folder left behind by an uninstall
    return Path(spec.origin).parent


def installed_build() -> dict[str, str] | None:
    """The marker `make install` left beside the llama_cpp it installed, or None (absent or installed otherwise)."""
    package = _package_dir()
    if package is None:
        return None
    try:
        return dict(json.loads((package / MARKER_NAME).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def built_for_other_cpu() -> str | None:
    """Why the installed llama_cpp must not run here (built by `make install` for another CPU), else None.

    A llama_cpp installed some other way (no marker) is trusted: pip builds it for the CPU it runs on.
    """
    marker = installed_build()
    if marker is None or marker.get("cpu_key") == cpu_key():
        return None
    return (
        f"llama-cpp-python was built by `make install` for another CPU ({marker.get('cpu')}); "
        "run `make install` again to build it for this one"
    )


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
    package = _package_dir()
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
    if marker and marker.get("cpu_key") == cpu_key() and _package_dir() is not None:
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
