"""`listening-pipeline analyze` on a video that is not from the sample corpus."""

import json

import pytest

from listening_pipeline.cli import main as cli
from listening_pipeline_tests.test_media_decode import write_clip

pytestmark = pytest.mark.slow


def test_analyze_prints_captions_and_brand_evidence_of_any_mp4(tmp_path, capsys):
    clip = write_clip(tmp_path / "any.mp4", seconds=4.0, captions=[("Nordpeak is great", 0.0, 4.0)], tone_hz=330.0)
    assert cli(["analyze", str(clip), "--json", "--description", "Loving my new Nordpeak jacket!"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["video"]["frames_kept"] >= 1 and report["video"]["has_audio"]
    assert report["transcript"] == []  # a pure tone is not speech
    # EasyOCR may drop the spaces of this small synthetic font ("Nordpeakisgreat").
    assert any("nordpeakisgreat" in c["text"].lower().replace(" ", "") for c in report["captions"])
    assert ("Nordpeak", "description") in {(m["brand"], m["origin"]) for m in report["brand_mentions"]}
    assert all(s["label"] in {"positive", "neutral", "negative"} for s in report["sentiment"])


def test_analyze_says_what_is_wrong_with_a_broken_file(tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    assert cli(["analyze", str(broken)]) == 2
    assert "broken.mp4" in capsys.readouterr().err
