"""Which device models run on, and how many CPU threads they use: the one home of that choice.

Why one module: speech, sentiment, OCR and logo detection all load torch models, and each
picking its device its own way let them disagree. CUDA when a GPU is usable, the CPU
otherwise; the callers then choose their CPU-friendly settings (int8, smaller batches) from it.
"""

from __future__ import annotations

import os


def best_device() -> str:
    """ "cuda" when a CUDA GPU is usable, else "cpu" (also when torch is not installed)."""
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


def cpu_has_bf16_matrix_units() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (Intel AMX tiles).

    Why it matters: EasyOCR's text detector (a VGG16 U-Net) in bfloat16 with channels-last
    tensors took 1.4 CPU-s per 544x960 canvas on a Sapphire Rapids core pair against 4.6 s in
    float32 (score maps within 0.002). Without AMX, bfloat16 is emulated and slower, so only
    AMX counts here (AVX512-BF16 alone was not measured).
    """
    try:
        import torch
    except ImportError:
        return False
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:
        return False


def set_torch_threads(threads: int) -> None:
    """Set torch's intra-op threads, for the whole process.

    Why callers do it: processes that share a machine should split its cores; OpenMP threads
    waiting on a core another process holds slowed a small model tenfold or more here.
    """
    import torch

    torch.set_num_threads(threads)
