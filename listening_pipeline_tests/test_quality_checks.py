"""The Great Expectations suite of a table names each broken rule and how many values broke it."""

from __future__ import annotations

import datetime as dt

import polars as pl

from listening_pipeline.defs.checks import validate
from listening_pipeline.warehouse.tables import OCR_TEXT


def _ocr_rows(confidences: list[float], span_numbers: list[int]) -> pl.DataFrame:
    n = len(confidences)
    return pl.DataFrame(
        {
            "hashtag": ["summerdrinks"] * n,
            "day": [dt.date(2026, 11, 1)] * n,
            "video_id": ["7300000000000000001"] * n,
            "span_no": span_numbers,
            "text": [f"caption {i}" for i in range(n)],
            "confidence": confidences,
            "first_seen_s": [float(i) for i in range(n)],
            "last_seen_s": [float(i) + 1 for i in range(n)],
            "box_x0": [0.1] * n,
            "box_y0": [0.1] * n,
            "box_x1": [0.5] * n,
            "box_y1": [0.2] * n,
            "model": ["easyocr"] * n,
        },
        schema=OCR_TEXT.schema,
    )


def test_good_rows_pass_every_rule():
    outcome = validate(OCR_TEXT, _ocr_rows([0.9, 0.8, 0.7], [0, 1, 2]))

    assert outcome.passed and outcome.failures == [] and outcome.evaluated > 5


def test_a_duplicate_key_and_an_out_of_range_confidence_are_named_with_their_counts():
    outcome = validate(OCR_TEXT, _ocr_rows([0.9, 1.5, 1.7, 0.4], [0, 1, 1, 2]))

    assert not outcome.passed
    assert "expect_column_values_to_be_between(confidence): 2" in outcome.failures
    assert any(f.startswith("expect_compound_columns_to_be_unique") and f.endswith(": 2") for f in outcome.failures)


def test_rows_that_passed_pass_again_without_running_the_suite_and_failures_are_never_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("LISTENING_PIPELINE_DATA_DIR", str(tmp_path))  # no mark from another test
    good = _ocr_rows([0.9, 0.8], [0, 1])
    first, again = validate(OCR_TEXT, good), validate(OCR_TEXT, good)
    assert first.passed and not first.reused
    assert again.passed and again.reused and again.evaluated == first.evaluated

    changed = validate(OCR_TEXT, good.with_columns(pl.Series("text", ["caption 0", "another caption"])))
    assert changed.passed and not changed.reused  # one value differs: the suite runs

    broken = _ocr_rows([0.9, 1.5], [0, 1])
    for _ in range(2):
        outcome = validate(OCR_TEXT, broken)
        assert not outcome.passed and not outcome.reused
        assert "expect_column_values_to_be_between(confidence): 1" in outcome.failures
