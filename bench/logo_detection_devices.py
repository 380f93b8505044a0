"""Logo detection throughput per device: the bundled YOLO detector on CPU and, where there is one, CUDA.

Frames are 360x640 gradients with one to three catalog logos pasted at random (seeded), like
the sample corpus; every device gets the same frames. The CPU is the baseline measured in the
same run and each device prints its ratio to it. Not a test: a benchmark.

    .venv/bin/python bench/logo_detection_devices.py [--frames 256] [--batch 32]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

import numpy as np
from PIL import Image

from listening_pipeline.lib.offline import use_offline_environment

use_offline_environment()

DATA = Path(__file__).resolve().parent.parent / "listening_pipeline" / "data"


def frames(count: int, seed: int = 7) -> list[np.ndarray]:
    rng = random.Random(seed)
    logos = [Image.open(p).convert("RGBA") for p in sorted((DATA / "logos").glob("*.png"))]
    out = []
    for _ in range(count):
        top = np.array([rng.randint(120, 255) for _ in range(3)], dtype=np.float32)
        bottom = np.array([rng.randint(0, 110) for _ in range(3)], dtype=np.float32)
        ramp = np.linspace(0, 1, 640, dtype=np.float32)[:, None, None]
        image = Image.fromarray(
            np.broadcast_to((top * (1 - ramp) + bottom * ramp).astype(np.uint8), (640, 360, 3)).copy()
        )
        for logo in rng.sample(logos, rng.randint(1, 3)):
            size = rng.randint(80, 150)
            image.paste(
                logo.resize((size, size)),
                (rng.randint(0, 360 - size), rng.randint(150, 640 - size)),
                logo.resize((size, size)),
            )
        out.append(np.asarray(image))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=256)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    from listening_pipeline.lib.logos import LogoDetector

    weights = DATA / "models" / "logo_detector.pt"
    images = frames(args.frames)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"{len(images)} frames 360x640, batch {args.batch}, torch threads {torch.get_num_threads()}")
    baseline = None
    for device in devices:
        detector = LogoDetector(weights, device=device, batch_size=args.batch)
        detector.detect(images[: args.batch])  # warm-up: kernels, allocator
        best = float("inf")
        found = 0
        for _ in range(args.repeats):
            if device == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
            result = detector.detect(images)
            if device == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - started)
            found = sum(len(r) for r in result)
        rate = len(images) / best
        baseline = baseline or rate
        name = torch.cuda.get_device_name(0) if device == "cuda" else f"cpu ({os.cpu_count()} cores)"
        print(
            f"{name}: {rate:.0f} frames/s ({1000 * best / len(images):.1f} ms/frame), "
            f"logos found {found}, x{rate / baseline:.1f} vs cpu"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
