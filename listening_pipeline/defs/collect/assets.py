"""The videos, comments and creator profiles of each hashtag x day, media copied once into the media store."""

import datetime as dt
import time

import polars as pl
from dagster import AssetCheckSpec, AssetExecutionContext, AssetSpec, Config, Failure, MetadataValue

from listening_pipeline.defs.checks import QUARANTINE_CHECK, checked, quarantine_rate_result
from listening_pipeline.defs.execution import SOURCE_POOL
from listening_pipeline.defs.resources import MediaStoreResource, SourceResource
from listening_pipeline.defs.stage import quarantine, stage_asset
from listening_pipeline.lib.media.store import attach_media
from listening_pipeline.lib.retention import hash_handles
from listening_pipeline.lib.sources.base import stats_snapshots
from listening_pipeline.lib.sources.creators import collect_creators, partition_creators
from listening_pipeline.lib.sources.recollection import shrinking_recollection
from listening_pipeline.partitions import split_partition_key
from listening_pipeline.warehouse.io_manager import WarehouseResource
from listening_pipeline.warehouse.tables import COMMENTS, CREATORS, VIDEO_STATS_SNAPSHOTS, VIDEOS

# At most N collecting steps at once across the deployment (the Research API limits each client).
COLLECT_POOL = SOURCE_POOL


class CollectConfig(Config):
    """``allow_shrink``: replace a stored day even when the source now returns far fewer videos."""

    allow_shrink: bool = False


@stage_asset(
    VIDEOS,
    group="collect",
    kinds={"python", "polars"},
    extra_checks=[
        AssetCheckSpec(QUARANTINE_CHECK, asset="videos", description="Share of manifest records quarantined.")
    ],
    pool=COLLECT_POOL,
    description="Videos created that day carrying the hashtag, with their media copied to the media store.",
)
def videos(
    context: AssetExecutionContext,
    config: CollectConfig,
    source: SourceResource,
    media_store: MediaStoreResource,
    warehouse: WarehouseResource,
):
    hashtag, day = split_partition_key(context.partition_key)
    started = time.perf_counter()
    video_source = source.get()
    collected = video_source.videos(hashtag, day)
    if not config.allow_shrink:
        stored = warehouse.get().count_partition(VIDEOS, hashtag=hashtag, day=day)
        refused = shrinking_recollection(stored, len(collected.rows), source.recollect_min_share)
        if refused is not None:
            raise Failure(description=refused.message(f"#{hashtag} {day}"), allow_retries=False)
    rows = attach_media(video_source, collected.rows, media_store.get())  # a media URL template may use the handle
    if source.handle_hash_key:  # LISTENING_PIPELINE_HASH_CREATOR_HANDLES: no handle is stored in clear
        rows = hash_handles(rows, source.handle_hash_key.encode("utf-8"))
    snapshots = stats_snapshots(rows, collected.as_of or dt.datetime.now(dt.UTC))
    warehouse.get(log=context.log.warning).upsert_rows(VIDEO_STATS_SNAPSHOTS, snapshots)
    quarantined = quarantine(context, warehouse, "videos", collected.problems)
    missing_media = rows.filter(pl.col("media_error").is_not_null())
    if missing_media.height:
        # One line per partition: a metadata-only backfill would otherwise print a line per video.
        examples = "; ".join(
            f"{r['video_id']}: {r['media_error']}" for r in missing_media.head(3).iter_rows(named=True)
        )
        more = f" (and {missing_media.height - 3} more)" if missing_media.height > 3 else ""
        context.log.warning(
            f"videos [{hashtag} {day}] {missing_media.height} of {rows.height} video(s) kept without media: "
            f"{examples}{more}"
        )
    context.add_output_metadata(
        output_name="result",
        metadata={
            "quarantined_records": quarantined,
            "videos_without_media": missing_media.height,
            "source": video_source.name,
            "stats_snapshots": snapshots.height,
            "seconds": MetadataValue.float(round(time.perf_counter() - started, 3)),
        },
    )
    yield from checked(VIDEOS, rows)
    yield quarantine_rate_result("videos", quarantined, quarantined + rows.height)


# raw.video_stats_snapshots: written by `videos` beside its partition (each collection is one more
# observation of the counts, kept, where the partition's rows are replaced). Declared so the graph shows it.
video_stats_snapshots = AssetSpec(
    VIDEO_STATS_SNAPSHOTS.name,
    group_name="collect",
    kinds={"python", "polars"},
    deps=["videos"],
    description=VIDEO_STATS_SNAPSHOTS.description,
    metadata={"dagster/table_name": f"raw.{VIDEO_STATS_SNAPSHOTS.name}"},
)


@stage_asset(
    COMMENTS,
    group="collect",
    kinds={"python", "polars"},
    pool=COLLECT_POOL,
    description="Comments on the partition's videos.",
)
def comments(
    context: AssetExecutionContext, videos: pl.DataFrame, source: SourceResource, warehouse: WarehouseResource
):
    hashtag, day = split_partition_key(context.partition_key)
    collected = source.get().comments(videos, hashtag, day)
    quarantined = quarantine(context, warehouse, "comments", collected.problems)
    if collected.capped_videos:
        context.log.warning(
            f"comments of {len(collected.capped_videos)} video(s) stopped at the per-video cap "
            f"(max_comments_per_video): {', '.join(collected.capped_videos[:20])}"
        )
    context.add_output_metadata(
        output_name="result",
        metadata={
            "quarantined_records": quarantined,
            "videos": videos.height,
            "comments": collected.rows.height,
            "videos_at_comment_cap": len(collected.capped_videos),
            "capped_video_ids": ", ".join(collected.capped_videos[:50]),
        },
    )
    yield from checked(COMMENTS, collected.rows)


@stage_asset(
    CREATORS,
    group="collect",
    kinds={"python", "polars"},
    pool=COLLECT_POOL,
    description=(
        "Profiles of the partition's creators (followers, verified...), read at most once per creator per day: "
        "a profile stored for the day under any hashtag is copied, not fetched again."
    ),
)
def creators(
    context: AssetExecutionContext, videos: pl.DataFrame, source: SourceResource, warehouse: WarehouseResource
):
    hashtag, day = split_partition_key(context.partition_key)
    if source.handle_hash_key:
        # Handles are stored keyed-hashed: there is no handle to look up, and a profile would name the person.
        context.log.info(f"creators [{hashtag} {day}]: creator handles are hashed; no profiles are read")
        yield from checked(CREATORS, CREATORS.empty())
        return
    store = warehouse.get(log=context.log.warning)
    stored = store.query(f"SELECT * FROM raw.{CREATORS.name} WHERE day = {store.param}", [day], missing_ok=True)
    stored = CREATORS.frame(stored) if stored.height else CREATORS.empty()
    collected = collect_creators(source.get(), partition_creators(videos), stored, hashtag, day)
    quarantined = quarantine(context, warehouse, "creators", collected.problems)
    context.add_output_metadata(
        output_name="result",
        metadata={
            "quarantined_records": quarantined,
            "profiles_fetched": collected.fetched,
            "profiles_reused": collected.reused,
        },
    )
    yield from checked(CREATORS, collected.rows)
