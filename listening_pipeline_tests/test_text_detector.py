"""The int8 text detector: built once from the installed EasyOCR weights, kept, and reading what float32 reads.

Measured where it was written (2 cores of an AMD EPYC with VNNI): a 384x640 canvas in 0.11 s against 0.23 s in
bfloat16 and 0.53 s in float32; the speed is bench/RESULTS.md's subject, not this test's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

INFOGRAPHIC = Path(__file__).parent / "media" / "who_infographic.jpg"


@pytest.fixture(scope="module")
def float32_reader():
    from listening_pipeline.lib.captions import TextReader

    return TextReader(precision="fp32")


def test_the_int8_detector_is_built_once_and_kept_under_a_name_of_what_it_was_made_from(
    float32_reader, tmp_path, monkeypatch
):
    from listening_pipeline.lib import text_detector
    from listening_pipeline.lib.text_detector import int8_detector_file

    exports = []
    real_export = text_detector._export
    monkeypatch.setattr(text_detector, "_export", lambda net, path: exports.append(path) or real_export(net, path))
    net = float32_reader._reader.detector.net
    # Two OCR steps starting together on a fresh machine: one builds, the other waits and reads the same file.
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: int8_detector_file(net, "craft:some-checksum", tmp_path), range(2))
    built = first
    stamp = built.stat().st_mtime_ns
    assert second == first and len(exports) == 1

    again = int8_detector_file(net, "craft:some-checksum", tmp_path)

    assert again == built and built.stat().st_mtime_ns == stamp and len(exports) == 1  # kept, not rebuilt
    # Other weights (or calibration, or library versions) name another network.
    assert text_detector._build_key("craft:another-checksum") != text_detector._build_key("craft:some-checksum")
    assert built.name == f"craft-int8-{text_detector._build_key('craft:some-checksum')}.onnx"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != built.name and not p.name.endswith(".lock")]
    assert leftovers == []  # nothing half-built stays behind
    assert built.stat().st_size < 30e6  # int8: a quarter of the 83 MB float weights


def test_int8_score_maps_agree_with_float32_on_a_real_picture(float32_reader):
    """The heat maps the boxes are cut from: thresholds are 0.4 (text) and 0.7 (a line's peak)."""
    import torch
    from easyocr.imgproc import normalizeMeanVariance, resize_aspect_ratio

    from listening_pipeline.lib import devices
    from listening_pipeline.lib.captions import TextReader

    if not devices.cpu_computes_int8():
        pytest.skip("this CPU has no 8-bit dot products (VNNI): the detector does not run in int8 here")
    int8 = TextReader(precision="int8")
    picture = np.asarray(Image.open(INFOGRAPHIC).convert("RGB"))
    resized, _, _ = resize_aspect_ratio(picture, 640, interpolation=1, mag_ratio=1.0)
    x = torch.from_numpy(np.transpose(normalizeMeanVariance(resized), (2, 0, 1))[None].astype(np.float32))

    with torch.no_grad():
        reference = float32_reader._reader.detector(x)[0].numpy()
    scores = int8._reader.detector(x)[0].numpy()

    assert scores.shape == reference.shape
    assert np.abs(scores - reference).max() < 0.15
    assert np.corrcoef(scores.ravel(), reference.ravel())[0, 1] > 0.99
    # The same pixels are text in both (score over 0.4), to within a few percent.
    text_int8, text_fp32 = scores[..., 0] > 0.4, reference[..., 0] > 0.4
    assert (text_int8 ^ text_fp32).sum() <= 0.05 * text_fp32.sum()
    assert int8.detector_file is not None and int8.detector_file.parent == _cache_dir()


def _cache_dir() -> Path:
    from listening_pipeline.lib.weights import model_cache_dir

    return model_cache_dir()


def test_calibration_frames_are_the_same_on_every_call_and_machine():
    from listening_pipeline.lib.text_detector import calibration_frames

    frames = calibration_frames()
    shapes = {frame.shape for frame in frames}

    assert shapes == {(640, 360, 3), (360, 640, 3)}  # portrait uploads and landscape ones
    assert len(frames) >= 12
    # Deterministic: a fixed seed and pictures shipped inside scikit-image, so the same weights quantize the same.
    drawn_again = calibration_frames.__wrapped__()
    assert all(np.array_equal(a, b) for a, b in zip(frames, drawn_again, strict=True))


def test_a_failed_int8_build_falls_back_to_the_float_detector_and_says_so(monkeypatch, caplog):
    """One broken build (a disk full, an exporter bug) must not stop OCR; asking for int8 explicitly still fails."""
    from listening_pipeline.lib import captions, devices

    def broken(*args, **kwargs):
        raise RuntimeError("exporter failed")

    monkeypatch.setattr(devices, "cpu_computes_int8", lambda: True)  # as on a CPU with VNNI
    monkeypatch.setattr(captions, "int8_detector_file", broken)

    reader = captions.TextReader()

    assert reader.precision in {"bf16", "fp32"} and ":int8" not in reader.name
    assert reader.detector_file is None
    assert "int8 text detector could not be built" in caplog.text
    texts = [r.text for r in reader.read_image(Image.open(INFOGRAPHIC).convert("RGB"))]
    assert any("hands" in t.lower() for t in texts)  # it reads
    with pytest.raises(RuntimeError, match="exporter failed"):
        captions.TextReader(precision="int8")
