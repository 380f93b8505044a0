"""On-screen text: caption spans read from each video's key frames."""

import time

import polars as pl
from dagster import AssetExecutionContext

from listening_pipeline.defs.checks import checked, duration_check_spec, within_duration_result
from listening_pipeline.defs.resources import MediaStoreResource, MLModelsResource
from listening_pipeline.defs.stage import ledger, seconds_since, stage_asset, work_metadata
from listening_pipeline.defs.work import captions_work
from listening_pipeline.lib.caption_spans import caption_rows
from listening_pipeline.lib.ledger import payload_of, video_contents, with_partition
from listening_pipeline.lib.media.artifacts import load_frames
from listening_pipeline.partitions import split_partition_key
from listening_pipeline.warehouse.io_manager import WarehouseResource
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
    warehouse: WarehouseResource,
):
    """Read once per video and OCR model: a video read before is reused from the ledger."""
    hashtag, day = split_partition_key(context.partition_key)
    store = media_store.get()
    frames_read, started = 0, time.perf_counter()
    with_frames = media.filter(pl.col("frames_kept") > 0)
    work = captions_work(ml_models)
    contents = video_contents(with_frames)

    def read(todo: list[str]) -> dict[str, list[dict]]:
        nonlocal frames_read
        reader, done = ml_models.text_reader(), {}  # loaded only when a video is left to read
        for video_id in todo:
            kept = load_frames(store, frames.filter(pl.col("video_id") == video_id))
            frames_read += len(kept)
            spans = reader.read(kept)
            rows = caption_rows(spans, reader.name, hashtag=hashtag, day=day, video_id=video_id)
            done[video_id] = payload_of(OCR_TEXT.frame(rows))
        return done

    outcome = ledger(context, warehouse).run_once(work, contents, read)
    context.add_output_metadata(
        output_name="result",
        metadata={
            **work_metadata(outcome, work.version),
            "frames_read": frames_read,
            "seconds": seconds_since(started),
        },
    )
    rows = [row for video_id in contents for row in outcome.payloads.get(video_id, [])]
    spans = OCR_TEXT.frame(with_partition(rows, hashtag=hashtag, day=day))
    yield from checked(OCR_TEXT, spans)
    yield within_duration_result("ocr_text", spans, media, "first_seen_s", "last_seen_s")
