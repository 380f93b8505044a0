"""Training the logo detector: a small YOLO from its architecture yaml, on a :mod:`.synthetic` dataset, offline.

Why it exists: the detector is the project's own (no brand-logo weights are published), so
training is part of the pipeline: it must download nothing, finish in minutes on a laptop's
CPU and leave the long-lived process it runs in (a code server, a test session) as it found it.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from listening_pipeline.lib.devices import torch_threads_kept, ultralytics_device
from listening_pipeline.lib.logos.yolo import DEFAULT_CONFIG_DIR, offline_ultralytics
from listening_pipeline.lib.weights import LOGO_IMAGE_SIZE, LOGO_TRAINING_BATCH, LOGO_TRAINING_EPOCHS
from listening_pipeline.settings import environment_kept


@dataclass(frozen=True)
class TrainedDetector:
    """Weights written by :func:`train_detector` and how they scored on the validation split."""

    weights: Path
    precision: float
    recall: float
    map50: float
    classes: tuple[str, ...]
    seconds: float


def train_detector(
    data_yaml: Path,
    out_dir: Path,
    *,
    model_yaml: str = "yolo11n.yaml",
    epochs: int = LOGO_TRAINING_EPOCHS,
    imgsz: int = LOGO_IMAGE_SIZE,
    batch: int = LOGO_TRAINING_BATCH,
    device: str | None = None,
    seed: int = 0,
    config_dir: Path = DEFAULT_CONFIG_DIR,
    init_weights: Path | None = None,
    freeze: int = 0,
) -> TrainedDetector:
    """Train a YOLO from its architecture yaml and score it on the val split.

    ``init_weights``: a local YOLO detector of the same architecture (the bundled one) to start
    from: its layers that fit are copied (the class head of a different brand count is not), so
    a new catalog's logos are learned in a fraction of the steps training from scratch needs.
    ``freeze``: how many of the first layers (the backbone) keep those weights untouched.

    Why these fixed arguments: a yaml model and ``pretrained`` False or a local file mean nothing is
    downloaded; ``amp=False`` skips the AMP check, which loads a hub model; ``plots=False``
    draws nothing; ``workers=0`` keeps data loading in this process (no forked workers
    fighting for a few cores). The weights are copied to ``out_dir/logos-<model>.pt`` so
    their file name says what they are.
    """
    offline_ultralytics(config_dir)
    from ultralytics import YOLO

    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model = YOLO(model_yaml)
    if init_weights is not None:
        model.load(str(init_weights))  # a local file: transfers the layers whose names and shapes match
    with _process_state_kept():
        model.train(
            data=str(Path(data_yaml).resolve()),
            epochs=epochs,
            imgsz=imgsz,
            batch=batch,
            device=device or ultralytics_device(),
            seed=seed,
            deterministic=True,
            pretrained=str(init_weights) if init_weights is not None else False,
            amp=False,
            plots=False,
            val=True,
            workers=0,
            freeze=freeze or None,
            project=str(out_dir),
            name="run",
            exist_ok=True,
            verbose=False,
            nbs=batch,  # one optimizer step per batch: the default (64) leaves a short run too few steps to learn
            warmup_epochs=min(3.0, max(0.0, epochs / 10)),
            close_mosaic=min(10, epochs // 4),
        )
    seconds = time.perf_counter() - started
    trainer = model.trainer
    if trainer is None:
        raise RuntimeError(f"ultralytics trained nothing for {data_yaml}")
    best = trainer.best if trainer.best.exists() else trainer.last
    weights = out_dir / f"logos-{Path(model_yaml).stem}.pt"
    shutil.copyfile(best, weights)
    metrics = trainer.metrics or {}
    return TrainedDetector(
        weights=weights,
        precision=float(metrics.get("metrics/precision(B)", 0.0)),
        recall=float(metrics.get("metrics/recall(B)", 0.0)),
        map50=float(metrics.get("metrics/mAP50(B)", 0.0)),
        classes=tuple(trainer.data["names"].values()),
        seconds=seconds,
    )


@contextlib.contextmanager
def _process_state_kept() -> Iterator[None]:
    """Undo what training does to the whole process: reseeded global RNGs, deterministic torch, its threads.

    Why: training runs inside long-lived processes (a code server, a test session) whose
    other work should not become deterministic-only or replay the same random numbers.
    """
    import torch

    python_state, numpy_state, torch_state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn_deterministic = torch.backends.cudnn.deterministic
    try:
        with environment_kept(("CUBLAS_WORKSPACE_CONFIG", "PYTHONHASHSEED")), torch_threads_kept():
            yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        torch.set_rng_state(torch_state)
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.deterministic = cudnn_deterministic
