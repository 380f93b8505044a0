"""Which device models run on, and how many CPU threads they use: the one home of that choice.

Why one module: speech, sentiment, OCR and logo detection all load torch models, and each
picking its device its own way let them disagree. CUDA when a GPU is usable, the CPU
otherwise; the callers then choose their CPU-friendly settings (int8, smaller batches) from it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

# Present on Linux whenever an NVIDIA driver is loaded (also inside a container given a GPU): without it,
# CUDA cannot be usable, and the answer needs no torch import (1.2 s here, paid by every step process
# that only has to key its work, e.g. a re-run that finds every video done).
NVIDIA_DRIVER = Path("/proc/driver/nvidia/version")


def best_device() -> str:
    """ "cuda" when a CUDA GPU is usable, else "cpu" (also when torch is not installed)."""
    if sys.platform.startswith("linux") and not NVIDIA_DRIVER.exists():
        return "cpu"
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def ultralytics_device() -> str:
    """:func:`best_device` as ultralytics spells it: "0" for the first GPU, "cpu" otherwise."""
    return "0" if best_device() == "cuda" else "cpu"


def available_threads() -> int:
    """CPU cores this process may use (respects CPU affinity and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def cpu_computes_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware: Intel AMX tiles, or AVX512-BF16 dot products (AMD Zen 4,
    Intel Cooper Lake and later).

    Why it matters: EasyOCR's text detector (a VGG16 U-Net) in bfloat16 with channels-last tensors took 1.4
    CPU-s per 544x960 canvas on a Sapphire Rapids core pair (AMX) against 4.6 s in float32 (score maps within
    0.002); on 2 cores of an AMD EPYC with AVX512-BF16 and no AMX, reading a 1080x1920 street-sign frame took
    0.67 s against 1.26 s, the same eight lines read. Without either, bfloat16 is emulated and slower.
    """
    try:
        import torch
    except ImportError:
        return False
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        if probe is not None and probe():
            return True
    except RuntimeError:
        pass
    return "avx512_bf16" in _cpu_flags()


def cpu_computes_int8() -> bool:
    """Whether this CPU has 8-bit integer dot-product instructions (AVX-512 VNNI, AVX-VNNI or AMX).

    Why it matters: EasyOCR's text detector quantized to int8 ran twice as fast as in bfloat16 on 2 cores of an
    AMD EPYC with VNNI (:mod:`.text_detector`). Without them, x86 computes u8 x s8 products with an
    intermediate that can saturate (ONNX Runtime's quantization notes), so int8 is not chosen there.
    """
    return bool({"avx512_vnni", "avx_vnni", "amx_int8"} & _cpu_flags())


def _cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux lists them; empty elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def keep_openmp_runtimes_apart() -> bool:
    """Load CTranslate2 (and its own OpenMP runtime) before torch; False when torch came first.

    Why: both ship a copy of libgomp, and torch loads its copy into the process's global symbol scope. A
    CTranslate2 loaded after it runs its parallel regions in torch's copy, whose thread count then exceeds
    the cores, and libgomp stops spinning between parallel regions for good: every torch op after the first
    transcription slept and woke its threads (125,000 context switches where 3,000 did before), and
    EasyOCR's recogniser took 58 ms a crop instead of 15, VAD and YOLO slowed too. Loaded first,
    CTranslate2 binds to its own copy and the two thread pools never meet.
    """
    if "torch" in sys.modules:
        loaded = list(sys.modules)  # in import order
        return "ctranslate2" in sys.modules and loaded.index("ctranslate2") < loaded.index("torch")
    with contextlib.suppress(ImportError):  # no CTranslate2, nothing to keep apart
        import ctranslate2  # noqa: F401
    return True


def set_torch_threads(threads: int) -> None:
    """Set torch's intra-op threads, for the whole process.

    Why callers do it: processes that share a machine should split its cores; OpenMP threads
    waiting on a core another process holds slowed a small model tenfold or more here.
    """
    import torch

    torch.set_num_threads(threads)


@contextlib.contextmanager
def torch_threads_kept() -> Iterator[None]:
    """Run a block that may change torch's intra-op threads, and put them back after it.

    Why: ultralytics sets ``torch.set_num_threads(min(8, cores - 1))`` whenever it picks a device (each
    model's first prediction, each training): 1 thread on a 2-core machine, for the whole process. In a
    process that read text after detecting logos, OCR then ran on one core (clips 2-4 of
    ``bench/profile_partition.py stages``: 1.0 CPU-s per wall-s, against 1.8 on clip 1).
    """
    import torch

    threads = torch.get_num_threads()
    try:
        yield
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
