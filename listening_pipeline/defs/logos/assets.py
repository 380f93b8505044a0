"""The logo detector trained from the catalog's logos, and the logos it finds in key frames.

The detector follows the catalog by itself: weights are kept per fingerprint of the catalog's
logos (:mod:`listening_pipeline.lib.logos.registry`), ``logo_detector`` trains the missing ones
(``models_job``: the backfill CLI, the UI, :mod:`.automation`'s sensor) and ``logo_hits`` trains
them itself, once, if a run reaches it first (the daily schedule after a catalog edit).
"""

import time
from pathlib import Path
from typing import Any

import polars as pl
from dagster import AssetExecutionContext, DataVersion, MaterializeResult, MetadataValue, asset

from listening_pipeline.defs.checks import checked
from listening_pipeline.defs.resources import CatalogResource, MediaStoreResource, MLModelsResource
from listening_pipeline.defs.stage import ON_GPU, ledger, seconds_since, stage_asset, work_metadata
from listening_pipeline.defs.work import logo_weights, logos_work
from listening_pipeline.lib.ledger import payload_of, video_contents, with_partition
from listening_pipeline.lib.logos import hit_rows
from listening_pipeline.lib.logos.registry import NO_LOGOS, TRAINING_FORMAT
from listening_pipeline.lib.logos.see_through import text_boxes_at
from listening_pipeline.lib.media.artifacts import load_frames
from listening_pipeline.partitions import split_partition_key
from listening_pipeline.warehouse.io_manager import WarehouseResource
from listening_pipeline.warehouse.tables import LOGO_HITS


@asset(
    group_name="logos",
    **ON_GPU,
    kinds={"python", "ultralytics"},
    code_version=TRAINING_FORMAT,
    description=(
        "A YOLO logo detector trained on synthetic frames made from the catalog's logos; trained again only "
        "when the logos (names, image bytes) or the training settings change. Data version: their fingerprint."
    ),
)
def logo_detector(
    context: AssetExecutionContext, catalog: CatalogResource, ml_models: MLModelsResource
) -> MaterializeResult:
    if ml_models.logo_weights:
        return MaterializeResult(
            metadata={"weights": ml_models.logo_weights, "trained": False, "why": "LISTENING_PIPELINE_LOGO_WEIGHTS"},
            data_version=DataVersion(f"explicit:{Path(ml_models.logo_weights).name}"),
        )
    loaded = catalog.load()
    without = [b.name for b in loaded.brands if not b.logos]
    record = ml_models.ensure_logo_detector(loaded, notify=context.log.info)
    if record is None:
        context.log.info("no brand in the catalog has a logo: nothing to train; logo_hits will find no logos")
        return MaterializeResult(
            metadata={"trained": False, "why": "no brand in the catalog has a logo: nothing to train"},
            data_version=DataVersion(NO_LOGOS),
        )
    return MaterializeResult(
        metadata={
            "fingerprint": record.fingerprint,
            "weights": MetadataValue.path(str(record.weights)),
            "trained": record.trained_now,
            "classes": ", ".join(record.classes),
            "brands_without_logo": ", ".join(without) or "none",
            "val_precision": MetadataValue.float(record.precision),
            "val_recall": MetadataValue.float(record.recall),
            "val_map50": MetadataValue.float(record.map50),
            "training_seconds": MetadataValue.float(record.training_seconds),
        },
        data_version=DataVersion(record.fingerprint),
    )


@stage_asset(LOGO_HITS, group="logos", kinds={"python", "ultralytics"}, on_gpu=True, deps=[logo_detector])
def logo_hits(
    context: AssetExecutionContext,
    media: pl.DataFrame,
    frames: pl.DataFrame,
    ocr_text: pl.DataFrame,
    catalog: CatalogResource,
    media_store: MediaStoreResource,
    ml_models: MLModelsResource,
    warehouse: WarehouseResource,
):
    """Logos found once per video and detector weights: a video searched before is reused from the ledger.

    Reads the captions found on the same frames: a logo behind a caption is looked for with the caption taken off.
    """
    hashtag, day = split_partition_key(context.partition_key)
    store = media_store.get()
    started = time.perf_counter()
    with_frames = media.filter(pl.col("frames_kept") > 0)
    weights_file, loaded = None, catalog.load()
    if with_frames.height:  # nothing to train or load for a metadata-only day
        # The detector for the catalog's logos as they are now: trained here first if nothing trained it yet.
        weights_file = logo_weights(ml_models, loaded, notify=context.log.warning)
        if weights_file is None:
            context.log.info("no brand in the catalog has a logo: no logos to look for")
    names: list[str] = []

    def detect(todo: list[str]) -> dict[str, list[dict]]:
        detector, done = ml_models.logo_detector(loaded, notify=context.log.warning), {}
        names.append(detector.model_name)
        for video_id in todo:
            kept = load_frames(store, frames.filter(pl.col("video_id") == video_id))
            captions = ocr_text.filter(pl.col("video_id") == video_id).to_dicts()
            found = detector.detect([f.image for f in kept], [text_boxes_at(captions, f.t_s) for f in kept])
            rows = hit_rows(kept, found, detector.model_name, hashtag=hashtag, day=day, video_id=video_id)
            done[video_id] = payload_of(LOGO_HITS.frame(rows))
        return done

    metadata: dict[str, Any] = {"frames": frames.height, "detector": "none"}
    rows: list[dict] = []
    if weights_file is not None:
        work = logos_work(ml_models, weights_file, loaded)
        outcome = ledger(context, warehouse).run_once(work, video_contents(with_frames), detect)
        rows = [row for payload in outcome.payloads.values() for row in payload]
        # The detector's name as its rows record it, also when every video was reused and none was loaded.
        recorded = [row["model"] for row in rows[:1]] or [weights_file.name]
        metadata |= {**work_metadata(outcome, work.version), "detector": (names or recorded)[0]}
    hits = LOGO_HITS.frame(with_partition(rows, hashtag=hashtag, day=day)).sort("video_id", "t_s", "brand")
    context.add_output_metadata(output_name="result", metadata={**metadata, "seconds": seconds_since(started)})
    yield from checked(LOGO_HITS, hits)
