"""On-screen text: caption spans read from each video's key frames."""

import time

import polars as pl
from dagster import AssetExecutionContext

from listening_pipeline.defs.checks import checked, duration_check_spec, within_duration_result
from listening_pipeline.defs.resources import MediaStoreResource, MLModelsResource
from listening_pipeline.defs.stage import seconds_since, stage_asset
from listening_pipeline.lib.captions import caption_rows
from listening_pipeline.lib.media.artifacts import load_frames
from listening_pipeline.partitions import split_partition_key
from listening_pipeline.warehouse.tables import OCR_TEXT


@stage_asset(
    OCR_TEXT, group="captions", kinds={"python", "easyocr"}, on_gpu=True, extra_checks=[duration_check_spec("ocr_text")]
)
def ocr_text(
    context: AssetExecutionContext,
    media: pl.DataFrame,
    frames: pl.DataFrame,
    media_store: MediaStoreResource,
    ml_models: MLModelsResource,
):
    hashtag, day = split_partition_key(context.partition_key)
    store = media_store.get()
    rows, frames_read = [], 0
    started = time.perf_counter()
    with_frames = media.filter(pl.col("frames_kept") > 0)
    if with_frames.height:  # no model load for a metadata-only day
        reader = ml_models.text_reader()
        for item in with_frames.iter_rows(named=True):
            kept = load_frames(store, frames.filter(pl.col("video_id") == item["video_id"]))
            frames_read += len(kept)
            spans = reader.read(kept)
            rows.extend(caption_rows(spans, reader.name, hashtag=hashtag, day=day, video_id=item["video_id"]))
    context.add_output_metadata(
        output_name="result", metadata={"frames_read": frames_read, "seconds": seconds_since(started)}
    )
    spans = OCR_TEXT.frame(rows)
    yield from checked(OCR_TEXT, spans)
    yield within_duration_result("ocr_text", spans, media, "first_seen_s", "last_seen_s")
