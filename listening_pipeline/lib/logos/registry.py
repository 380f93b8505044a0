"""Trained logo detectors kept per catalog fingerprint, and trained once when missing.

Why it exists: a catalog's logos are its own, so the detector must follow them without anyone
training it by hand, on every path a run can take (a schedule, a sensor, the UI, the CLI). A
fingerprint of what training reads (the brands with logos, their logo files' bytes and the
training parameters) names a folder under the detector folder; weights there are the detector
for exactly that catalog. :func:`ensure_detector` returns them, or trains them first under a
file lock, so parallel runs wait for one training instead of each starting their own.
Nothing here imports Dagster.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from listening_pipeline.lib.weights import LOGO_IMAGE_SIZE, LOGO_TRAINING_BATCH, LOGO_TRAINING_EPOCHS

if TYPE_CHECKING:
    from listening_pipeline.catalog import Brand

log = logging.getLogger(__name__)

# Bump when training changes in a way that makes earlier weights wrong for the same inputs.
TRAINING_FORMAT = "1"
MODEL_YAML = "yolo11n.yaml"
MANIFEST = "detector.json"
NO_LOGOS = "no-logos"
_BACKBONE_LAYERS = 10  # yolo11n's backbone: layers 0-9


@dataclass(frozen=True)
class TrainingPlan:
    """What training reads: the brands with logos, the logo files and the parameters."""

    brands: tuple[Brand, ...]
    images: int
    epochs: int
    size: int = LOGO_IMAGE_SIZE
    batch: int = LOGO_TRAINING_BATCH
    model_yaml: str = MODEL_YAML
    init_weights: Path | None = None  # a detector to start from (the bundled one); None: from scratch
    freeze: int = 0  # first layers kept as init_weights has them

    @classmethod
    def of(
        cls,
        brands: Sequence[Brand],
        *,
        images: int,
        epochs: int = LOGO_TRAINING_EPOCHS,
        size: int = LOGO_IMAGE_SIZE,
        init_weights: Path | None = None,
    ) -> TrainingPlan:
        """Only brands with logos count: a logo-less brand cannot be learned and changes nothing.

        Started from a detector, its backbone is frozen: measured on two real logos (96 frames,
        10 epochs, 2 CPU cores), steps cost about a third less and the logos were found (0.81-0.89
        confidence) where training every layer for longer missed them.
        """
        brands_with_logos = tuple(b for b in brands if b.logos)
        freeze = _BACKBONE_LAYERS if init_weights is not None else 0
        return cls(brands_with_logos, images=images, epochs=epochs, size=size, init_weights=init_weights, freeze=freeze)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.brands)

    def fingerprint(self) -> str:
        """16 hex digits that change when a logo's name, file content, order or any training parameter does.

        Logo files are hashed by content, not path or time: copying the catalog elsewhere keeps
        its detector, and replacing a PNG with another of the same name retrains.
        """
        if not self.brands:
            return NO_LOGOS
        digest = hashlib.sha256()
        header = [TRAINING_FORMAT, self.model_yaml, self.images, self.epochs, self.size, self.batch, self.freeze]
        digest.update(json.dumps(header).encode())
        if self.init_weights is not None:
            digest.update(b"\0init\0" + _file_digest(self.init_weights))
        for brand in self.brands:
            digest.update(b"\0brand\0" + brand.name.encode("utf-8"))
            for logo in brand.logos:
                digest.update(b"\0logo\0" + _file_digest(Path(logo)))
        return digest.hexdigest()[:16]


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


@dataclass(frozen=True)
class DetectorRecord:
    """A trained detector on disk and how it scored; written beside the weights as ``detector.json``."""

    fingerprint: str
    weights: Path
    classes: tuple[str, ...]
    precision: float
    recall: float
    map50: float
    training_seconds: float
    images: int
    epochs: int
    trained_now: bool = False  # True only for the call that trained it

    def manifest(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("trained_now")
        data["weights"] = self.weights.name
        data["classes"] = list(self.classes)
        return data


def detector_folder(logo_dir: Path, fingerprint: str) -> Path:
    return Path(logo_dir) / fingerprint


def find_detector(logo_dir: Path, fingerprint: str) -> DetectorRecord | None:
    """The detector trained for ``fingerprint``, or None; a folder is only ever complete (it is moved in whole)."""
    folder = detector_folder(logo_dir, fingerprint)
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    weights = folder / str(data.get("weights", ""))
    if not weights.is_file():
        return None
    return DetectorRecord(
        fingerprint=fingerprint,
        weights=weights,
        classes=tuple(data.get("classes", ())),
        precision=float(data.get("precision", 0.0)),
        recall=float(data.get("recall", 0.0)),
        map50=float(data.get("map50", 0.0)),
        training_seconds=float(data.get("training_seconds", 0.0)),
        images=int(data.get("images", 0)),
        epochs=int(data.get("epochs", 0)),
    )


def ensure_detector(
    plan: TrainingPlan, logo_dir: Path, *, notify: Callable[[str], None] | None = None, wait_log_s: float = 30.0
) -> DetectorRecord | None:
    """The detector for ``plan``'s fingerprint, found or trained now (once, under a lock); None: no brand has a logo.

    Why a lock and a second look: runs of several partitions start together; the first takes
    the lock and trains, the others wait on it, then find the weights it moved into place.
    ``notify`` receives what the user should see (a run's log); the module logger otherwise.
    """
    say = notify or log.warning
    fingerprint = plan.fingerprint()
    if fingerprint == NO_LOGOS:
        return None
    found = find_detector(logo_dir, fingerprint)
    if found is not None:
        return found
    with _locked(Path(logo_dir) / f".{fingerprint}.lock", fingerprint, say, wait_log_s):
        found = find_detector(logo_dir, fingerprint)
        if found is not None:
            say(f"logo detector {fingerprint} was trained by another run while this one waited")
            return found
        return _train(plan, Path(logo_dir), fingerprint, say)


def _train(plan: TrainingPlan, logo_dir: Path, fingerprint: str, say: Callable[[str], None]) -> DetectorRecord:
    from listening_pipeline.lib.logos.synthetic import build_training_set
    from listening_pipeline.lib.logos.training import train_detector

    say(
        f"no logo detector for the catalog's logos yet (fingerprint {fingerprint}: {', '.join(plan.classes)}): "
        f"training one now ({plan.images} images, {plan.epochs} epochs); runs that need it wait for this one"
    )
    work = logo_dir / f".training-{fingerprint}"
    shutil.rmtree(work, ignore_errors=True)  # what a killed training left behind
    data_yaml = build_training_set(plan.brands, work / "dataset", images=plan.images, size=plan.size)
    trained = train_detector(
        data_yaml,
        work / "out",
        model_yaml=plan.model_yaml,
        epochs=plan.epochs,
        imgsz=plan.size,
        batch=plan.batch,
        init_weights=plan.init_weights,
        freeze=plan.freeze,
    )
    staged = work / "detector"
    staged.mkdir()
    weights = staged / trained.weights.name
    shutil.copyfile(trained.weights, weights)
    record = DetectorRecord(
        fingerprint=fingerprint,
        weights=weights,
        classes=trained.classes,
        precision=trained.precision,
        recall=trained.recall,
        map50=trained.map50,
        training_seconds=round(trained.seconds, 1),
        images=plan.images,
        epochs=plan.epochs,
    )
    (staged / MANIFEST).write_text(json.dumps(record.manifest(), indent=2), encoding="utf-8")
    final = detector_folder(logo_dir, fingerprint)
    shutil.rmtree(final, ignore_errors=True)  # an incomplete folder (no manifest or weights) from elsewhere
    os.replace(staged, final)  # atomic: readers see no folder or a complete one
    shutil.rmtree(work, ignore_errors=True)
    say(f"logo detector {fingerprint} trained in {trained.seconds:.0f} s: {final / weights.name}")
    found = find_detector(logo_dir, fingerprint)
    assert found is not None
    return replace(found, trained_now=True)


@contextlib.contextmanager
def _locked(path: Path, fingerprint: str, say: Callable[[str], None], wait_log_s: float) -> Iterator[None]:
    """An exclusive lock on ``path`` (POSIX ``flock``: released by the OS if the holder dies), saying when it waits."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        started = time.monotonic()
        logged = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not logged:
                    say(f"waiting for another run to finish training logo detector {fingerprint}")
                    logged = True
                elif time.monotonic() - started > wait_log_s:
                    say(f"still waiting for logo detector {fingerprint}")
                    started = time.monotonic()
                time.sleep(1.0)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
