"""Transcripts: what is said in each video, in the catalog's languages."""

import time

import polars as pl
from dagster import AssetExecutionContext, MetadataValue

from listening_pipeline.defs.checks import (
    agreement_check_spec,
    agreement_result,
    checked,
    duration_check_spec,
    within_duration_result,
)
from listening_pipeline.defs.resources import CatalogResource, MediaStoreResource, MLModelsResource
from listening_pipeline.defs.stage import ledger, stage_asset, work_metadata
from listening_pipeline.defs.work import speech_work
from listening_pipeline.lib.ledger import payload_of, video_contents, with_partition
from listening_pipeline.lib.media.artifacts import load_audio
from listening_pipeline.lib.speech import transcript_rows
from listening_pipeline.lib.speech_hints import SpeechHints
from listening_pipeline.lib.transcript_agreement import AGREEMENT_FLOOR, transcript_agreement
from listening_pipeline.partitions import split_partition_key
from listening_pipeline.warehouse.io_manager import WarehouseResource
from listening_pipeline.warehouse.tables import TRANSCRIPTS


@stage_asset(
    TRANSCRIPTS,
    group="speech",
    kinds={"python", "whisperx"},
    on_gpu=True,
    extra_checks=[duration_check_spec("transcripts"), agreement_check_spec("transcripts")],
)
def transcripts(
    context: AssetExecutionContext,
    media: pl.DataFrame,
    videos: pl.DataFrame,
    media_store: MediaStoreResource,
    ml_models: MLModelsResource,
    catalog: CatalogResource,
    warehouse: WarehouseResource,
):
    """Transcribed once per video, speech model and prompt: a video done before is reused from the ledger."""
    hashtag, day = split_partition_key(context.partition_key)
    store = media_store.get()
    brands = catalog.load()
    languages = brands.languages
    hints = SpeechHints.from_brands(brands.brands)  # the names Whisper should expect to hear
    audio_s, started = 0.0, time.perf_counter()
    with_audio = media.filter(pl.col("audio_uri").is_not_null())
    work = speech_work(ml_models, languages, hints)
    contents = video_contents(with_audio)

    def transcribe(todo: list[str]) -> dict[str, list[dict]]:
        nonlocal audio_s
        speech, done = ml_models.speech(), {}  # loaded only when a video is left to transcribe
        for item in with_audio.filter(pl.col("video_id").is_in(todo)).iter_rows(named=True):
            audio = load_audio(store, item["audio_uri"])
            audio_s += len(audio) / 16_000
            transcript = speech.transcribe(audio, languages, hints)
            rows = transcript_rows(transcript, hashtag=hashtag, day=day, video_id=item["video_id"])
            done[item["video_id"]] = payload_of(TRANSCRIPTS.frame(rows))
        return done

    outcome = ledger(context, warehouse).run_once(work, contents, transcribe)
    elapsed = time.perf_counter() - started
    context.add_output_metadata(
        output_name="result",
        metadata={
            **work_metadata(outcome, work.version),
            "audio_seconds": MetadataValue.float(round(audio_s, 2)),
            "seconds": MetadataValue.float(round(elapsed, 3)),
            "realtime_factor": MetadataValue.float(round(elapsed / audio_s, 3) if audio_s else 0.0),
            "prompted_names": MetadataValue.text(", ".join(hints.names)),
        },
    )
    rows = [row for video_id in contents for row in outcome.payloads.get(video_id, [])]
    segments = TRANSCRIPTS.frame(with_partition(rows, hashtag=hashtag, day=day))
    yield from checked(TRANSCRIPTS, segments)
    yield within_duration_result("transcripts", segments, media, "start_s", "end_s")
    yield agreement_result("transcripts", transcript_agreement(videos, media, segments), AGREEMENT_FLOOR)
