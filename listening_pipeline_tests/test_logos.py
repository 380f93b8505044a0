"""The logo detector's real path, tiny: build a synthetic set, train YOLO a little, detect, all offline.

The run is far too short to learn logos; what it proves is that the pipeline works end to
end with the network unreachable (any attempt to leave the machine fails the test) and
that every output is well formed. Logos are drawn here, so the bundled catalog is not needed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image, ImageDraw

from listening_pipeline.catalog import Brand
from listening_pipeline.lib import logos
from listening_pipeline.lib.logos import registry
from listening_pipeline.settings import BUNDLED_LOGO_WEIGHTS

pytestmark = pytest.mark.slow

TINY = {"images": 24, "size": 128, "epochs": 2, "batch": 8}


def _is_local(host: object) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def network_forbidden() -> Iterator[list[str]]:
    """Make every non-loopback lookup or connection raise, and list the attempts."""
    attempts: list[str] = []
    real_getaddrinfo, real_connect, real_connect_ex = (
        socket.getaddrinfo,
        socket.socket.connect,
        socket.socket.connect_ex,
    )

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            attempts.append(f"getaddrinfo {host}")
            raise OSError(f"network access attempted in a test: lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded(real):
        def connect(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
                attempts.append(f"connect {address}")
                raise OSError(f"network access attempted in a test: connect to {address}")
            return real(sock, address)

        return connect

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        patch.setattr(socket.socket, "connect", guarded(real_connect))
        patch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
        yield attempts


def test_network_guard_catches_attempts():
    with network_forbidden() as attempts:
        with pytest.raises(OSError):
            socket.create_connection(("192.0.2.1", 80), timeout=1)
        with pytest.raises(OSError):
            socket.getaddrinfo("example.com", 443)
    assert len(attempts) == 2


def test_makefile_and_dockerfile_mirror_the_offline_environment():
    """They cannot import lib/offline.py, so they repeat it: the copies must say the same."""
    from listening_pipeline.lib.offline import OFFLINE_ENVIRONMENT

    root = Path(__file__).resolve().parent.parent
    makefile = dict(re.findall(r"^export (\w+) := (\S+)$", (root / "Makefile").read_text(), re.M))
    dockerfile = dict(re.findall(r"^\s+(\w+)=(\S+?) ?\\?$", (root / "docker" / "Dockerfile").read_text(), re.M))
    for name, value in OFFLINE_ENVIRONMENT.items():
        assert makefile.get(name) == value, f"Makefile: export {name} := {value}"
        assert dockerfile.get(name) == value, f"docker/Dockerfile: ENV {name}={value}"


def _draw(path: Path, shape: str, colour: tuple[int, int, int], word: str) -> Path:
    image = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if shape == "circle":
        draw.ellipse((4, 4, 92, 92), fill=colour + (255,))
    elif shape == "square":
        draw.rectangle((8, 8, 88, 88), fill=colour + (255,))
    else:
        draw.polygon([(48, 4), (92, 92), (4, 92)], fill=colour + (255,))
    draw.text((48, 56), word, fill=(255, 255, 255, 255), anchor="mm")
    image.save(path)
    return path


@pytest.fixture(scope="module")
def brands(tmp_path_factory) -> tuple[Brand, ...]:
    folder = tmp_path_factory.mktemp("logos")
    specs = [
        ("Redcircle", "circle", (220, 30, 40)),
        ("Nologo", "", (0, 0, 0)),
        ("Bluesquare", "square", (30, 60, 220)),
        ("Greentri", "triangle", (20, 160, 60)),
    ]
    return tuple(
        Brand(
            name=name,
            competitor_group="test",
            aliases=(name,),
            hashtags=(),
            logos=(_draw(folder / f"{name}.png", shape, colour, name[:3].upper()),) if shape else (),
        )
        for name, shape, colour in specs
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logo-detector")


@pytest.fixture(scope="module")
def trained(brands, workdir) -> logos.TrainedDetector:
    with network_forbidden() as attempts:
        data_yaml = logos.build_training_set(
            brands, workdir / "dataset", images=TINY["images"], size=TINY["size"], seed=0
        )
        result = logos.train_detector(
            data_yaml,
            workdir / "train",
            epochs=TINY["epochs"],
            imgsz=TINY["size"],
            batch=TINY["batch"],
            device="cpu",
            seed=0,
            config_dir=workdir / "yolo",
        )
    assert attempts == [], f"training tried to reach the network: {attempts}"
    return result


def test_training_set_is_a_yolo_dataset_of_the_brands_with_logos(brands, workdir, trained):
    doc = yaml.safe_load((workdir / "dataset" / "data.yaml").read_text(encoding="utf-8"))
    assert list(doc["names"].values()) == ["Redcircle", "Bluesquare", "Greentri"]  # catalog order, logo-less skipped
    train_images = sorted((workdir / "dataset" / "images" / "train").glob("*.jpg"))
    val_images = sorted((workdir / "dataset" / "images" / "val").glob("*.jpg"))
    assert len(train_images) + len(val_images) == TINY["images"] and val_images
    rows = [
        line.split()
        for path in (workdir / "dataset" / "labels").rglob("*.txt")
        for line in path.read_text().splitlines()
    ]
    assert rows, "no logo was placed"
    for cls, *xywh in rows:
        assert int(cls) in (0, 1, 2)
        assert all(0.0 < float(v) <= 1.0 for v in xywh)


def test_training_set_is_deterministic_per_seed(brands, tmp_path):
    def written(seed: int, name: str) -> dict[str, bytes]:
        root = logos.build_training_set(brands, tmp_path / name, images=6, size=96, seed=seed).parent
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "data.yaml"
        }

    assert written(3, "a") == written(3, "b")
    assert written(3, "a") != written(4, "c")


def test_training_writes_weights_and_metrics(brands, trained):
    assert trained.weights.is_file() and trained.weights.stat().st_size > 100_000
    assert trained.classes == ("Redcircle", "Bluesquare", "Greentri")
    for value in (trained.precision, trained.recall, trained.map50):
        assert 0.0 <= value <= 1.0


def test_detector_returns_well_formed_detections(brands, trained, workdir):
    import torch

    frames = logos.synthetic_frames(brands, 3, size=TINY["size"], seed=5)
    inputs: list[np.ndarray | Image.Image] = [frames[0].image, np.asarray(frames[1].image), frames[2].image]
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # ultralytics would leave 1 (cores - 1 on CI's 2 cores) to the OCR read after it
    try:
        with network_forbidden() as attempts:
            # A two-epoch model is unsure of everything: a near-zero threshold still yields boxes to check.
            detector = logos.LogoDetector(trained.weights, device="cpu", conf=1e-4, config_dir=workdir / "yolo")
            found = detector.detect(inputs)
        assert torch.get_num_threads() == 2, "detecting logos changed the process' torch threads"
    finally:
        torch.set_num_threads(threads)
    assert attempts == []
    assert detector.classes == trained.classes
    assert detector.imgsz == TINY["size"], "the detector should run at the size the weights were trained at"
    assert detector.model_name.startswith("logos-yolo11n.pt@") and len(detector.model_name.split("@")[1]) == 12
    assert len(found) == len(inputs)
    assert any(found), "no detection at all, even at a near-zero threshold"
    for detections in found:
        assert [d.confidence for d in detections] == sorted((d.confidence for d in detections), reverse=True)
        for d in detections:
            assert d.brand in trained.classes
            assert 0.0 <= d.confidence <= 1.0
            x0, y0, x1, y1 = d.box
            assert 0.0 <= x0 <= x1 <= 1.0 and 0.0 <= y0 <= y1 <= 1.0
    assert detector.detect([]) == []


class _Fixed:
    """A stand-in detector that returns given detections, to check the scoring alone."""

    def __init__(self, answers: list[list[logos.Detection]]) -> None:
        self.answers = answers

    def detect(self, frames):
        return self.answers[: len(frames)]


def test_evaluate_detector_matches_brand_and_iou():
    frame = np.zeros((20, 20, 3), np.uint8)
    truth = [("A", (0.1, 0.1, 0.5, 0.5)), ("B", (0.6, 0.6, 0.9, 0.9))]
    right = logos.Detection("A", 0.9, (0.12, 0.1, 0.5, 0.52))
    wrong_brand = logos.Detection("B", 0.8, (0.1, 0.1, 0.5, 0.5))
    far = logos.Detection("B", 0.7, (0.0, 0.6, 0.2, 0.9))
    precision, recall = logos.evaluate_detector(_Fixed([[right, wrong_brand, far]]), [(frame, truth)])
    assert precision == pytest.approx(1 / 3) and recall == pytest.approx(1 / 2)
    assert logos.evaluate_detector(_Fixed([[]]), [(frame, [])]) == (1.0, 1.0)
    assert logos.evaluate_detector(_Fixed([[]]), [(frame, truth)]) == (0.0, 0.0)


# --------------------------------------------------------------------------- detectors kept per catalog fingerprint


def _plan(brands, **changes) -> registry.TrainingPlan:
    return registry.TrainingPlan.of(brands, **{"images": TINY["images"], "epochs": 1, "size": TINY["size"], **changes})


def test_the_fingerprint_follows_what_training_reads_and_nothing_else(brands, tmp_path):
    base = _plan(brands).fingerprint()
    assert base == _plan(brands).fingerprint() and len(base) == 16
    # The same logo bytes elsewhere (a copied catalog folder) keep the detector...
    moved = tmp_path / "moved.png"
    moved.write_bytes(brands[0].logos[0].read_bytes())
    relocated = (dataclasses.replace(brands[0], logos=(moved,)), *brands[1:])
    assert _plan(relocated).fingerprint() == base
    # ...and so does a brand without a logo, which the detector cannot learn.
    assert _plan((*brands, dataclasses.replace(brands[1], name="Alsonologo"))).fingerprint() == base
    # A changed image, a new logo, a renamed brand or other training settings train again.
    moved.write_bytes(brands[2].logos[0].read_bytes())
    assert _plan(relocated).fingerprint() != base
    assert (
        _plan((*brands[:1], dataclasses.replace(brands[1], logos=brands[2].logos), *brands[2:])).fingerprint() != base
    )
    assert _plan((dataclasses.replace(brands[0], name="Redcircle Co"), *brands[1:])).fingerprint() != base
    assert _plan(brands, epochs=2).fingerprint() != base
    assert _plan(brands, init_weights=BUNDLED_LOGO_WEIGHTS).fingerprint() != base
    assert _plan(brands[1:2]).fingerprint() == registry.NO_LOGOS


def test_parallel_runs_train_the_missing_detector_once_and_share_it(brands, tmp_path):
    """Two partitions' logo_hits start together on a fresh catalog: one trains, the other waits, both load it."""
    plan = _plan(brands)
    messages: list[str] = []
    results: list[registry.DetectorRecord | None] = []
    with network_forbidden() as attempts:
        runs = [
            threading.Thread(
                target=lambda: results.append(registry.ensure_detector(plan, tmp_path, notify=messages.append))
            )
            for _ in range(2)
        ]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
    assert attempts == []
    first, second = results
    assert first is not None and second is not None and first.weights == second.weights
    assert sorted([first.trained_now, second.trained_now]) == [False, True]
    assert sum("training one now" in m for m in messages) == 1, messages
    assert any("trained by another run while this one waited" in m for m in messages), messages
    assert first.weights.parent == tmp_path / plan.fingerprint() and first.classes == plan.classes
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [plan.fingerprint()]
    # The next run finds it without training; the detector loads its classes from the weights.
    again = registry.ensure_detector(plan, tmp_path, notify=messages.append)
    assert again is not None and not again.trained_now and again.weights == first.weights
    assert logos.LogoDetector(again.weights, device="cpu").classes == ("Redcircle", "Bluesquare", "Greentri")
    assert registry.ensure_detector(_plan(brands[1:2]), tmp_path) is None, "no logos: nothing to train, no error"


def test_the_sensor_asks_for_training_when_the_logos_change_or_the_weights_are_missing(brands, tmp_path):
    from dagster import DagsterInstance, RunRequest, SensorResult, SkipReason, build_sensor_context

    from listening_pipeline.defs.logos.automation import logo_detector_sensor
    from listening_pipeline.defs.resources import CatalogResource, MLModelsResource

    logo = tmp_path / "logos" / "owl.png"
    logo.parent.mkdir()
    logo.write_bytes(brands[0].logos[0].read_bytes())
    catalog = tmp_path / "brands.yaml"
    catalog.write_text("brands:\n  - name: Owl\n    logos: [logos/owl.png]\n", encoding="utf-8")
    models = MLModelsResource(logo_dir=str(tmp_path / "models"), logo_training_images=24, logo_training_epochs=1)
    resources = {"catalog": CatalogResource(path=str(catalog)), "ml_models": models}

    def tick(cursor: str | None):
        with DagsterInstance.ephemeral() as instance:
            context = build_sensor_context(instance=instance, cursor=cursor, resources=resources)
            return logo_detector_sensor(context)

    first = tick(None)
    assert isinstance(first, SensorResult) and [type(r) for r in first.run_requests or []] == [RunRequest]
    # Asked for recently and not trained yet (the run is under way): no second request.
    assert isinstance(tick(first.cursor), SkipReason)
    # Trained: nothing to do until a logo changes.
    fingerprint = json.loads(first.cursor or "{}")["fingerprint"]
    trained = tmp_path / "models" / fingerprint
    trained.mkdir(parents=True)
    (trained / "logos-yolo11n.pt").write_bytes(b"weights")
    (trained / registry.MANIFEST).write_text(json.dumps({"weights": "logos-yolo11n.pt", "classes": ["Owl"]}))
    assert isinstance(tick(first.cursor), SkipReason)
    logo.write_bytes(brands[2].logos[0].read_bytes())
    changed = tick(first.cursor)
    assert isinstance(changed, SensorResult) and changed.run_requests
    assert json.loads(changed.cursor or "{}")["fingerprint"] != fingerprint
    # Explicit weights win: the sensor never trains over them.
    resources["ml_models"] = MLModelsResource(logo_dir=models.logo_dir, logo_weights=str(trained / "logos-yolo11n.pt"))
    assert isinstance(tick(None), SkipReason)
