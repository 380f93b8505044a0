"""Enrichment per hashtag x day: decode once, then speech, on-screen text, logos, text units,
sentiment and brand mentions. Each asset hands one partition's rows to the warehouse."""

import time

import polars as pl
from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetOut,
    Config,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
    multi_asset,
)

from listening_pipeline.assets.collect import quarantine
from listening_pipeline.checks.expectations import (
    QUARANTINE_CHECK,
    check_result,
    check_spec,
    checked,
    duration_check_spec,
    quarantine_rate_result,
    within_duration_result,
)
from listening_pipeline.enrich.asr import transcript_rows
from listening_pipeline.enrich.logos import hit_rows
from listening_pipeline.enrich.mentions import BrandMatcher, mention_rows
from listening_pipeline.enrich.ocr import caption_rows
from listening_pipeline.enrich.text_units import build_text_units, sentiment_rows
from listening_pipeline.execution import GPU_OP_TAGS, GPU_POOL
from listening_pipeline.media.artifacts import load_audio, load_frames, store_decoded
from listening_pipeline.media.decode import DecodeLimits, MediaError, decode_video
from listening_pipeline.partitions import hashtag_day_partitions, split_partition_key
from listening_pipeline.resources.media_store import MediaStoreResource
from listening_pipeline.resources.models import ModelsResource
from listening_pipeline.resources.sources import CatalogResource
from listening_pipeline.resources.warehouse import WarehouseResource
from listening_pipeline.sources.base import Problem
from listening_pipeline.tables import (
    BRAND_MENTIONS,
    FRAMES,
    LOGO_HITS,
    MEDIA,
    OCR_TEXT,
    SENTIMENT,
    TEXT_UNITS,
    TRANSCRIPTS,
)

GROUP = "enrich"
COMMON = dict(partitions_def=hashtag_day_partitions, group_name=GROUP, io_manager_key="warehouse_io")
# The model-heavy assets: one step at a time per GPU pool slot, and on a GPU node/queue under k8s/celery.
ON_GPU = dict(pool=GPU_POOL, op_tags=GPU_OP_TAGS)


def _seconds(started: float) -> MetadataValue:
    return MetadataValue.float(round(time.perf_counter() - started, 3))


class DecodeConfig(Config):
    """Limits a decode may not pass (a video over them is quarantined) and how densely frames are sampled."""

    max_file_mb: int = 512
    max_duration_s: float = 900.0
    max_frames_kept: int = 200
    frame_interval_s: float = 1.0

    def limits(self) -> DecodeLimits:
        return DecodeLimits(
            max_file_bytes=self.max_file_mb * 1024 * 1024,
            max_duration_s=self.max_duration_s,
            max_frames_kept=self.max_frames_kept,
            frame_interval_s=self.frame_interval_s,
        )


@multi_asset(
    outs={
        "media": AssetOut(io_manager_key="warehouse_io", description=MEDIA.description, kinds={"python", "pyav"}),
        "frames": AssetOut(io_manager_key="warehouse_io", description=FRAMES.description, kinds={"python", "pyav"}),
    },
    partitions_def=hashtag_day_partitions,
    group_name=GROUP,
    check_specs=[
        check_spec(MEDIA),
        check_spec(FRAMES),
        AssetCheckSpec(
            QUARANTINE_CHECK, asset="media", description="Share of videos whose media could not be decoded."
        ),
    ],
)
def decoded_media(
    context: AssetExecutionContext,
    config: DecodeConfig,
    videos: pl.DataFrame,
    media_store: MediaStoreResource,
    warehouse: WarehouseResource,
):
    """Each video decoded once into 16 kHz audio and deduplicated key frames; broken files quarantined."""
    hashtag, day = split_partition_key(context.partition_key)
    store = media_store.get()
    limits = config.limits()
    media_rows, frame_rows, problems = [], [], []
    started = time.perf_counter()
    for video in videos.filter(pl.col("media_uri").is_not_null()).iter_rows(named=True):
        try:
            with store.local_path(video["media_uri"]) as path:
                decoded = decode_video(path, limits=limits)
        except MediaError as exc:
            problems.append(Problem(item=f"video {video['video_id']} ({video['media_uri']})", reason=exc.reason))
            continue
        media_row, frames = store_decoded(decoded, video_id=video["video_id"], store=store, hashtag=hashtag, day=day)
        media_rows.append(media_row)
        frame_rows.extend(frames)
    quarantined = quarantine(context, warehouse, "media", problems)
    media, frames = MEDIA.frame(media_rows), FRAMES.frame(frame_rows)
    context.add_output_metadata(
        {"quarantined_videos": quarantined, "decode_seconds": _seconds(started), "decoder": limits.describe()},
        output_name="media",
    )
    context.add_output_metadata({"frames_sampled": int(media["frames_sampled"].sum() or 0)}, output_name="frames")
    yield Output(media, output_name="media")
    yield Output(frames, output_name="frames")
    yield check_result(MEDIA, media)
    yield check_result(FRAMES, frames)
    yield quarantine_rate_result("media", quarantined, quarantined + media.height)


@asset(
    **COMMON,
    **ON_GPU,
    kinds={"python", "whisperx"},
    description=TRANSCRIPTS.description,
    check_specs=[check_spec(TRANSCRIPTS), duration_check_spec("transcripts")],
)
def transcripts(
    context: AssetExecutionContext,
    media: pl.DataFrame,
    media_store: MediaStoreResource,
    models: ModelsResource,
    catalog: CatalogResource,
):
    hashtag, day = split_partition_key(context.partition_key)
    store = media_store.get()
    languages = catalog.load().languages
    rows, audio_s = [], 0.0
    started = time.perf_counter()
    with_audio = media.filter(pl.col("audio_uri").is_not_null())
    speech = models.speech() if with_audio.height else None  # no model load for a metadata-only day
    for item in with_audio.iter_rows(named=True):
        audio = load_audio(store, item["audio_uri"])
        audio_s += len(audio) / 16_000
        transcript = speech.transcribe(audio, languages)
        rows.extend(transcript_rows(transcript, hashtag=hashtag, day=day, video_id=item["video_id"]))
    elapsed = time.perf_counter() - started
    context.add_output_metadata(
        output_name="result",
        metadata={
            "audio_seconds": MetadataValue.float(round(audio_s, 2)),
            "seconds": MetadataValue.float(round(elapsed, 3)),
            "realtime_factor": MetadataValue.float(round(elapsed / audio_s, 3) if audio_s else 0.0),
        },
    )
    segments = TRANSCRIPTS.frame(rows)
    yield from checked(TRANSCRIPTS, segments)
    yield within_duration_result("transcripts", segments, media, "start_s", "end_s")


@asset(
    **COMMON,
    **ON_GPU,
    kinds={"python", "easyocr"},
    description=OCR_TEXT.description,
    check_specs=[check_spec(OCR_TEXT), duration_check_spec("ocr_text")],
)
def ocr_text(
    context: AssetExecutionContext,
    media: pl.DataFrame,
    frames: pl.DataFrame,
    media_store: MediaStoreResource,
    models: ModelsResource,
):
    hashtag, day = split_partition_key(context.partition_key)
    store = media_store.get()
    rows, frames_read = [], 0
    started = time.perf_counter()
    with_frames = media.filter(pl.col("frames_kept") > 0)
    reader = models.text_reader() if with_frames.height else None
    for item in with_frames.iter_rows(named=True):
        kept = load_frames(store, frames.filter(pl.col("video_id") == item["video_id"]))
        frames_read += len(kept)
        spans = reader.read(kept, item["width"], item["height"])
        rows.extend(caption_rows(spans, reader.name, hashtag=hashtag, day=day, video_id=item["video_id"]))
    context.add_output_metadata(
        output_name="result", metadata={"frames_read": frames_read, "seconds": _seconds(started)}
    )
    spans = OCR_TEXT.frame(rows)
    yield from checked(OCR_TEXT, spans)
    yield within_duration_result("ocr_text", spans, media, "first_seen_s", "last_seen_s")


@asset(
    group_name="models",
    **ON_GPU,
    kinds={"python", "ultralytics"},
    description="A YOLO logo detector trained on synthetic frames made from the catalog's logos.",
)
def logo_detector(
    context: AssetExecutionContext, catalog: CatalogResource, models: ModelsResource
) -> MaterializeResult:
    from pathlib import Path

    from listening_pipeline.enrich.logos import build_training_set, train_detector

    if models.logo_weights:
        return MaterializeResult(metadata={"weights": models.logo_weights, "trained": False})
    out = Path(models.logo_dir)
    size = models.logo_image_size
    data_yaml = build_training_set(
        catalog.load().brands, out / "dataset", images=models.logo_training_images, size=size
    )
    trained = train_detector(data_yaml, out, epochs=models.logo_training_epochs, imgsz=size)
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


@asset(
    **COMMON,
    **ON_GPU,
    deps=[logo_detector],
    kinds={"python", "ultralytics"},
    description=LOGO_HITS.description,
    check_specs=[check_spec(LOGO_HITS)],
)
def logo_hits(
    context: AssetExecutionContext,
    frames: pl.DataFrame,
    media_store: MediaStoreResource,
    models: ModelsResource,
):
    hashtag, day = split_partition_key(context.partition_key)
    store = media_store.get()
    detector = models.logo_detector() if frames.height else None
    rows = []
    started = time.perf_counter()
    for (video_id,), video_frames in frames.group_by("video_id", maintain_order=True):
        kept = load_frames(store, video_frames)
        found = detector.detect([f.image for f in kept])
        rows.extend(hit_rows(kept, found, detector.model_name, hashtag=hashtag, day=day, video_id=video_id))
    hits = LOGO_HITS.frame(rows).sort("video_id", "t_s", "brand")
    context.add_output_metadata(output_name="result", metadata={"frames": frames.height, "seconds": _seconds(started)})
    yield from checked(LOGO_HITS, hits)


@asset(**COMMON, kinds={"python", "polars"}, description=TEXT_UNITS.description, check_specs=[check_spec(TEXT_UNITS)])
def text_units(videos: pl.DataFrame, comments: pl.DataFrame, transcripts: pl.DataFrame, ocr_text: pl.DataFrame):
    yield from checked(
        TEXT_UNITS, build_text_units(videos, comments=comments, transcripts=transcripts, ocr_text=ocr_text)
    )


@asset(
    **COMMON,
    **ON_GPU,
    kinds={"python", "transformers"},
    description=SENTIMENT.description,
    check_specs=[check_spec(SENTIMENT)],
)
def sentiment(context: AssetExecutionContext, text_units: pl.DataFrame, models: ModelsResource):
    scorer = models.sentiment()
    started = time.perf_counter()
    rows = sentiment_rows(text_units, scorer)
    context.add_output_metadata(
        output_name="result",
        metadata={"scorer": scorer.model_name, "units": text_units.height, "seconds": _seconds(started)},
    )
    yield from checked(SENTIMENT, rows)


@asset(
    **COMMON,
    kinds={"python", "polars"},
    description=BRAND_MENTIONS.description,
    check_specs=[check_spec(BRAND_MENTIONS)],
)
def brand_mentions(
    context: AssetExecutionContext,
    text_units: pl.DataFrame,
    sentiment: pl.DataFrame,
    logo_hits: pl.DataFrame,
    ocr_text: pl.DataFrame,
    catalog: CatalogResource,
):
    hashtag, day = split_partition_key(context.partition_key)
    matcher = BrandMatcher(catalog.load().brands)
    rows = mention_rows(text_units, sentiment, logo_hits, matcher, hashtag, day, ocr_text=ocr_text)
    by_brand = rows.group_by("brand").len().sort("brand")
    context.add_output_metadata(
        output_name="result",
        metadata={
            "mentions_by_brand": MetadataValue.md("\n".join(f"- {b}: {n}" for b, n in by_brand.iter_rows()) or "_none_")
        },
    )
    yield from checked(BRAND_MENTIONS, rows)
