"""Which llama.cpp build may run on this CPU: the run-time side of the native build.

`make install` builds llama-cpp-python for this machine's CPU (assistant/models/install/llama_build.py) and
leaves a marker beside the installed package naming the CPU it was built for (its instruction-set flags,
the version and the build options, as ``cpu_key``). Code compiled for one CPU can crash on another, so the
local model asks ``built_for_other_cpu`` before importing llama_cpp.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import platform
import re
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


def package_dir() -> Path | None:
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
    package = package_dir()
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
