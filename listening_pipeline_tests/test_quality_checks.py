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
