"""The logo detector trained from the catalog's logos, and the logos it finds in key frames."""

import time
from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from listening_pipeline.defs.checks import checked
from listening_pipeline.defs.resources import CatalogResource, MediaStoreResource, MLModelsResource
from listening_pipeline.defs.stage import ON_GPU, seconds_since, stage_asset
from listening_pipeline.lib.logos import hit_rows
from listening_pipeline.lib.media.artifacts import load_frames
from listening_pipeline.partitions import split_partition_key
from listening_pipeline.warehouse.tables import LOGO_HITS


@asset(
    group_name="logos",
    **ON_GPU,
    kinds={"python", "ultralytics"},
    description="A YOLO logo detector trained on synthetic frames made from the catalog's logos.",
)
def logo_detector(
    context: AssetExecutionContext, catalog: CatalogResource, ml_models: MLModelsResource
) -> MaterializeResult:
    from listening_pipeline.lib.logos import build_training_set, train_detector

    if ml_models.logo_weights:
        return MaterializeResult(metadata={"weights": ml_models.logo_weights, "trained": False})
    out = Path(ml_models.logo_dir)
    size = ml_models.logo_image_size
    data_yaml = build_training_set(
        catalog.load().brands, out / "dataset", images=ml_models.logo_training_images, size=size
    )
    trained = train_detector(data_yaml, out, epochs=ml_models.logo_training_epochs, imgsz=size)
    return MaterializeResult(
        metadata={
            "weights": str(trained.weights),
            "classes": ", ".join(trained.classes),
            "val_precision": MetadataValue.float(trained.precision),
            "val_recall": MetadataValue.float(trained.recall),
            "val_map50": MetadataValue.float(trained.map50),
            "training_seconds": MetadataValue.float(round(trained.seconds, 1)),
        }
    )


@stage_asset(LOGO_HITS, group="logos", kinds={"python", "ultralytics"}, on_gpu=True, deps=[logo_detector])
def logo_hits(
    context: AssetExecutionContext,
    frames: pl.DataFrame,
    media_store: MediaStoreResource,
    ml_models: MLModelsResource,
):
    hashtag, day = split_partition_key(context.partition_key)
    store = media_store.get()
    rows: list[dict] = []
    started = time.perf_counter()
    if frames.height:  # no model load for a metadata-only day
        detector = ml_models.logo_detector()
        for (video_id,), video_frames in frames.group_by("video_id", maintain_order=True):
            kept = load_frames(store, video_frames)
            found = detector.detect([f.image for f in kept])
            rows.extend(hit_rows(kept, found, detector.model_name, hashtag=hashtag, day=day, video_id=video_id))
    hits = LOGO_HITS.frame(rows).sort("video_id", "t_s", "brand")
    context.add_output_metadata(
        output_name="result", metadata={"frames": frames.height, "seconds": seconds_since(started)}
    )
    yield from checked(LOGO_HITS, hits)
