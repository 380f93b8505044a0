"""Each video decoded once into 16 kHz audio and deduplicated key frames; broken files quarantined."""

import time

import polars as pl
from dagster import AssetCheckSpec, AssetExecutionContext, AssetOut, Config, Output, multi_asset
from pydantic import Field

from listening_pipeline.defs.checks import QUARANTINE_CHECK, check_result, check_spec, quarantine_rate_result
from listening_pipeline.defs.resources import MediaStoreResource
from listening_pipeline.defs.stage import (
    DAILY_FRESHNESS,
    WAREHOUSE_RETRY,
    ledger,
    quarantine,
    seconds_since,
    work_metadata,
)
from listening_pipeline.defs.work import media_work
from listening_pipeline.lib.ledger import payload_of, with_partition
from listening_pipeline.lib.media.artifacts import (
    DecodedPartition,
    artifacts_present,
    decode_partition,
    media_file_sha256,
)
from listening_pipeline.lib.media.decode import DecodeLimits
from listening_pipeline.lib.media.worker import DecodeWorker
from listening_pipeline.partitions import hashtag_day_partitions, split_partition_key
from listening_pipeline.warehouse.io_manager import WarehouseResource
from listening_pipeline.warehouse.ledger import Outcome
from listening_pipeline.warehouse.tables import FRAMES, MEDIA


class DecodeConfig(Config):
    """Limits a decode may not pass (a video over them is quarantined) and how densely frames are sampled."""

    max_file_mb: int = Field(default=512, description="Larger media files are quarantined unread.")
    max_duration_s: float = Field(default=900.0, description="Longer videos are quarantined.")
    max_pixels: int = Field(
        default=4096 * 4096, description="Pixels per frame; checked on the declared size before any frame is decoded."
    )
    max_decode_s: float = Field(
        default=300.0, gt=0, description="Wall-clock limit per video: the decoding process is killed past it."
    )
    isolated: bool = Field(
        default=True, description="Decode in a child process (off: in the run's process, no time limit; debugging)."
    )
    max_frames_kept: int = 200
    frame_interval_s: float = 1.0

    def limits(self) -> DecodeLimits:
        return DecodeLimits(
            max_file_bytes=self.max_file_mb * 1024 * 1024,
            max_duration_s=self.max_duration_s,
            max_pixels=self.max_pixels,
            max_frames_kept=self.max_frames_kept,
            frame_interval_s=self.frame_interval_s,
        )

    def worker(self) -> DecodeWorker:
        return DecodeWorker(self.limits(), timeout_s=self.max_decode_s, isolated=self.isolated)


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
    retry_policy=WAREHOUSE_RETRY,
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
    """Each video decoded once into 16 kHz audio and deduplicated key frames; broken files quarantined.

    A video already decoded with the same settings (under another hashtag, or an earlier run) is not
    decoded again: its rows come from the ledger, keyed by the media file's SHA-256."""
    hashtag, day = split_partition_key(context.partition_key)
    started = time.perf_counter()
    store = media_store.get()
    uris: dict[str, str] = dict(videos.filter(pl.col("media_uri").is_not_null()).select("video_id", "media_uri").rows())
    hashes = {video_id: media_file_sha256(store, uri) for video_id, uri in uris.items()}
    known = {video_id: sha for video_id, sha in hashes.items() if sha}  # unreadable: the decode quarantines it
    work, work_ledger = media_work(config.limits()), ledger(context, warehouse)
    reused = {
        video_id: payload
        for video_id, payload in work_ledger.lookup(work, known).items()
        if artifacts_present(store, [payload["media"]["audio_uri"], *(f["image_uri"] for f in payload["frames"])])
    }
    todo = [{"video_id": v, "media_uri": u, "media_sha256": hashes[v]} for v, u in uris.items() if v not in reused]
    done = DecodedPartition()  # nothing to decode: no decoder process either
    if todo:
        with config.worker() as worker:
            done = decode_partition(todo, store=store, worker=worker, hashtag=hashtag, day=day)
    decoded = {
        row["video_id"]: {
            "media": payload_of(MEDIA.frame([row]))[0],
            "frames": payload_of(FRAMES.frame([f for f in done.frame_rows if f["video_id"] == row["video_id"]])),
        }
        for row in done.media_rows
    }
    work_ledger.record(work, {v: (known[v], payload) for v, payload in decoded.items() if v in known})
    payloads = {**reused, **decoded}
    ordered = [payloads[v] for v in uris if v in payloads]
    media = MEDIA.frame(with_partition([p["media"] for p in ordered], hashtag=hashtag, day=day))
    frames = FRAMES.frame(with_partition([f for p in ordered for f in p["frames"]], hashtag=hashtag, day=day))
    quarantined = quarantine(context, warehouse, "media", done.problems)
    outcome = Outcome(payloads, done=list(decoded), reused=list(reused))
    context.add_output_metadata(
        {
            **work_metadata(outcome, work.version),
            "quarantined_videos": quarantined,
            "decode_seconds": seconds_since(started),
            "decoder": config.limits().describe(),
            "decoder_processes": done.worker_starts,
        },
        output_name="media",
    )
    context.add_output_metadata({"frames_sampled": int(media["frames_sampled"].sum() or 0)}, output_name="frames")
    yield Output(media, output_name="media")
    yield Output(frames, output_name="frames")
    yield check_result(MEDIA, media)
    yield check_result(FRAMES, frames)
    yield quarantine_rate_result("media", quarantined, quarantined + media.height)
