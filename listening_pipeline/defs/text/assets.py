"""Text units (every piece of text with its origin) and their sentiment."""

import time

import polars as pl
from dagster import AssetExecutionContext

from listening_pipeline.defs.checks import checked
from listening_pipeline.defs.resources import MLModelsResource
from listening_pipeline.defs.stage import seconds_since, stage_asset
from listening_pipeline.lib.text.units import build_text_units, sentiment_rows
from listening_pipeline.warehouse.tables import SENTIMENT, TEXT_UNITS


@stage_asset(TEXT_UNITS, group="text", kinds={"python", "polars"})
def text_units(videos: pl.DataFrame, comments: pl.DataFrame, transcripts: pl.DataFrame, ocr_text: pl.DataFrame):
    yield from checked(
        TEXT_UNITS, build_text_units(videos, comments=comments, transcripts=transcripts, ocr_text=ocr_text)
    )


@stage_asset(SENTIMENT, group="text", kinds={"python", "transformers"}, on_gpu=True)
def sentiment(context: AssetExecutionContext, text_units: pl.DataFrame, ml_models: MLModelsResource):
    scorer = ml_models.sentiment()
    started = time.perf_counter()
    rows = sentiment_rows(text_units, scorer)
    context.add_output_metadata(
        output_name="result",
        metadata={"scorer": scorer.model_name, "units": text_units.height, "seconds": seconds_since(started)},
    )
    yield from checked(SENTIMENT, rows)
