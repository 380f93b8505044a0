"""Each video decoded once into 16 kHz audio and deduplicated key frames; broken files quarantined."""

import time

import polars as pl
from dagster import AssetCheckSpec, AssetExecutionContext, AssetOut, Config, Output, multi_asset

from listening_pipeline.defs.checks import QUARANTINE_CHECK, check_result, check_spec, quarantine_rate_result
from listening_pipeline.defs.resources import MediaStoreResource
from listening_pipeline.defs.stage import DAILY_FRESHNESS, quarantine, seconds_since
from listening_pipeline.lib.media.artifacts import store_decoded
from listening_pipeline.lib.media.decode import DecodeLimits, MediaError, decode_video
from listening_pipeline.lib.sources.base import Problem
from listening_pipeline.partitions import hashtag_day_partitions, split_partition_key
from listening_pipeline.warehouse.io_manager import WarehouseResource
from listening_pipeline.warehouse.tables import FRAMES, MEDIA


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
        "media": AssetOut(
            io_manager_key="warehouse_io",
            freshness_policy=DAILY_FRESHNESS,
            description=MEDIA.description,
            kinds={"python", "pyav"},
        ),
        "frames": AssetOut(
            io_manager_key="warehouse_io",
            freshness_policy=DAILY_FRESHNESS,
            description=FRAMES.description,
            kinds={"python", "pyav"},
        ),
    },
    partitions_def=hashtag_day_partitions,
    group_name="media",
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
    media_rows: list[dict] = []
    frame_rows: list[dict] = []
    problems: list[Problem] = []
    started = time.perf_counter()
    for video in videos.filter(pl.col("media_uri").is_not_null()).iter_rows(named=True):
        try:
            with store.local_path(video["media_uri"]) as path:
                decoded = decode_video(path, limits=limits)
        except MediaError as exc:
            problems.append(Problem(item=f"video {video['video_id']} ({video['media_uri']})", reason=exc.reason))
            continue
        media_row, video_frames = store_decoded(
            decoded, video_id=video["video_id"], store=store, hashtag=hashtag, day=day
        )
        media_rows.append(media_row)
        frame_rows.extend(video_frames)
    quarantined = quarantine(context, warehouse, "media", problems)
    media, frames = MEDIA.frame(media_rows), FRAMES.frame(frame_rows)
    context.add_output_metadata(
        {"quarantined_videos": quarantined, "decode_seconds": seconds_since(started), "decoder": limits.describe()},
        output_name="media",
    )
    context.add_output_metadata({"frames_sampled": int(media["frames_sampled"].sum() or 0)}, output_name="frames")
    yield Output(media, output_name="media")
    yield Output(frames, output_name="frames")
    yield check_result(MEDIA, media)
    yield check_result(FRAMES, frames)
    yield quarantine_rate_result("media", quarantined, quarantined + media.height)
