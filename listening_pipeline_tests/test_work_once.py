"""Work once: a video enriched under one hashtag is not enriched again under another, nor when its day is
collected again; the rows are the same either way, and each stage says what it did and what it reused.

The story runs the real pipeline (hashtag_day_job: collection, decode, whisperx, easyocr, YOLO, sentiment)
on one sample partition, then again, then on a second hashtag whose videos the first already holds. That
no model ran the second time is read from each stage's own counts (``videos_done`` is the number of
videos the model was handed), not from a mock. The ledger's own rules run on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path

import polars as pl
import pytest

from listening_pipeline.lib.ledger import Work, code_digest, video_content, weights_fingerprint
from listening_pipeline.warehouse import DuckDBWarehouse, PostgresWarehouse
from listening_pipeline.warehouse.ledger import LEDGER, Ledger
from listening_pipeline.warehouse.tables import LOADED_AT, TEXT_UNITS

SPEECH = Work("transcripts", "weights=tiny device=cpu")


@pytest.fixture(params=["duckdb", "postgres"])
def ledger(request, tmp_path) -> Ledger:
    if request.param == "duckdb":
        return Ledger(DuckDBWarehouse(tmp_path / "w.duckdb"))
    return Ledger(PostgresWarehouse(request.getfixturevalue("postgres_db")))


def test_an_empty_warehouse_has_done_nothing(ledger):
    assert ledger.lookup(SPEECH, {"v1": "c1"}) == {}


def test_work_is_reused_only_for_the_same_content_and_version(ledger):
    rows = [{"segment_no": 0, "text": "Fizzly Soda!", "start_s": 0.1 + 0.2, "end_s": 1 / 3}]
    ledger.record(SPEECH, {"v1": ("c1", rows), "v2": ("c2", [])})
    assert ledger.lookup(SPEECH, {"v1": "c1", "v2": "c2", "v3": "c3"}) == {"v1": rows, "v2": []}  # floats exact
    assert ledger.lookup(SPEECH, {"v1": "another file"}) == {}  # the media changed: done again
    assert ledger.lookup(Work("transcripts", "weights=base device=cpu"), {"v1": "c1"}) == {}  # another model
    assert ledger.lookup(Work("ocr_text", SPEECH.described), {"v1": "c1"}) == {}  # another stage


def test_recording_again_replaces_and_the_newest_wins(ledger):
    ledger.record(SPEECH, {"v1": ("c1", [{"text": "first"}])})
    ledger.record(SPEECH, {"v1": ("c1", [{"text": "second"}])})
    assert ledger.lookup(SPEECH, {"v1": "c1"}) == {"v1": [{"text": "second"}]}
    stored = ledger.warehouse.query(f"select * from raw.{LEDGER.name}")
    assert stored.height == 1 and stored[LOADED_AT].null_count() == 0


def test_run_once_computes_only_what_is_left_and_never_records_what_failed(ledger):
    asked: list[list[str]] = []

    def compute(todo: list[str]) -> dict[str, list[dict]]:
        asked.append(todo)
        return {item: [{"n": len(item)}] for item in todo if item != "broken"}

    first = ledger.run_once(SPEECH, {"a": "1", "broken": "2"}, compute)
    assert (first.done, first.reused, asked) == (["a"], [], [["a", "broken"]])
    second = ledger.run_once(SPEECH, {"a": "1", "broken": "2", "b": "3"}, compute)
    assert (sorted(second.done), second.reused) == (["b"], ["a"])
    assert asked[-1] == ["broken", "b"]  # the failed item is tried again, never reused as done
    third = ledger.run_once(SPEECH, {"a": "1", "b": "3"}, compute)
    assert (third.done, len(asked)) == ([], 2)  # nothing left: compute (the model) is not called


def test_a_video_of_unknown_content_is_always_done_and_never_recorded(ledger):
    legacy = video_content(None, "pyav-18 interval=1s")  # a MEDIA row written before media_sha256 existed
    assert ledger.record(SPEECH, {"v1": (legacy, [{"text": "hello"}])}) == 0
    assert ledger.run_once(SPEECH, {"v1": legacy}, lambda todo: {i: [] for i in todo}).done == ["v1"]
    assert ledger.lookup(SPEECH, {"v1": legacy}) == {}


def test_versions_name_weights_by_content_and_code_by_source(tmp_path):
    for folder in ("node-a", "node-b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "model.bin").write_bytes(b"weights" * 1000)
    assert weights_fingerprint(tmp_path / "node-a") == weights_fingerprint(tmp_path / "node-b")  # workers share
    shutil.copy(tmp_path / "node-a" / "model.bin", tmp_path / "retrained.bin")
    (tmp_path / "retrained.bin").write_bytes(b"weights" * 999 + b"other!!")
    assert weights_fingerprint(tmp_path / "retrained.bin") != weights_fingerprint(tmp_path / "node-a" / "model.bin")
    assert code_digest("listening_pipeline.lib.speech") != code_digest("listening_pipeline.lib.captions")
    assert video_content("abc", "pyav-18 interval=1s") != video_content("abc", "pyav-18 interval=2s")


# ------------------------------------------------------------------------------------------------
# The story: the real pipeline on the sample
# ------------------------------------------------------------------------------------------------

STAGES = {"media": "videos", "transcripts": "videos", "ocr_text": "videos", "logo_hits": "videos"}
ENRICHED = ("media", "frames", "transcripts", "ocr_text", "logo_hits", "sentiment")


def _videos_of(corpus: Path) -> list[dict]:
    """The export's readable records (the sample has deliberately broken lines too)."""
    records = []
    for line in (corpus / "videos.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return [r for r in records if isinstance(r, dict)]


def _day_of(video: dict) -> dt.date | None:
    created = video.get("create_time")
    return dt.datetime.fromtimestamp(created, tz=dt.UTC).date() if isinstance(created, int) else None


def _shared_hashtag(corpus: Path, hashtag: str, day: dt.date) -> str:
    """A hashtag whose videos on ``day`` all belong to (hashtag, day) too: its partition is work already done."""
    on_day = [v for v in _videos_of(corpus) if _day_of(v) == day and isinstance(v.get("hashtag_names"), list)]
    ours = {v["id"] for v in on_day if hashtag in v["hashtag_names"] and v.get("media")}
    for tag in sorted({t for v in on_day for t in v["hashtag_names"]} - {hashtag}):
        holders = {v["id"] for v in on_day if tag in v["hashtag_names"]}
        if holders and holders <= ours:
            return tag
    raise AssertionError(f"the sample has no hashtag sharing only videos of {hashtag} {day}")


def _run(instance, job_name: str, hashtag: str, day: dt.date, **kwargs) -> dict[str, dict]:
    from listening_pipeline.definitions import defs
    from listening_pipeline.partitions import partition_key

    job = defs().resolve_job_def(job_name)
    started = time.monotonic()
    result = job.execute_in_process(instance=instance, partition_key=partition_key(hashtag, day), **kwargs)
    assert result.success
    print(f"\nwork once: {job_name} {hashtag} {day}: {time.monotonic() - started:.1f} s")
    return {
        str(e.asset_key.to_user_string() if e.asset_key else None): {
            k: getattr(v, "value", v) for k, v in e.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }


def _rows(warehouse, table: str, hashtag: str, day: dt.date) -> pl.DataFrame:
    frame = warehouse.query(f"select * from raw.{table} where hashtag = '{hashtag}' and day = DATE '{day}'")
    return frame.drop(LOADED_AT, "hashtag").sort(frame.drop(LOADED_AT, "hashtag").columns)


@pytest.mark.slow
def test_a_partition_done_once_is_reused_by_a_rerun_and_by_another_hashtag(instance, sample_corpus, warehouse):
    from listening_pipeline.partitions import hashtag_partitions

    hashtag, day = "summerdrinks", dt.date(2026, 11, 1)
    other = _shared_hashtag(sample_corpus, hashtag, day)
    instance.add_dynamic_partitions(hashtag_partitions.name, [hashtag, other])
    from listening_pipeline.definitions import defs

    for job in ("catalog_job", "models_job"):
        assert defs().resolve_job_def(job).execute_in_process(instance=instance).success

    first = _run(instance, "hashtag_day_job", hashtag, day)
    videos = first["media"]["videos_done"] + first["media"]["videos_reused"]
    assert videos >= 2 and first["transcripts"]["videos_done"] + first["transcripts"]["videos_reused"] >= 2
    computed = {table: _rows(warehouse, table, hashtag, day) for table in ENRICHED}
    assert computed["transcripts"].height and computed["ocr_text"].height and computed["sentiment"].height

    # The same day collected and enriched again: collection only, every model stage reuses its work.
    again = _run(instance, "hashtag_day_job", hashtag, day)
    for stage, noun in STAGES.items():
        assert again[stage][f"{noun}_done"] == 0, (stage, again[stage])
        assert again[stage][f"{noun}_reused"] == first[stage][f"{noun}_done"] + first[stage][f"{noun}_reused"]
    assert again["sentiment"]["units_done"] == 0 and again["sentiment"]["units_reused"] > 0
    assert again["transcripts"]["audio_seconds"] == 0 and again["ocr_text"]["frames_read"] == 0
    for table in ENRICHED:  # the rows are the same whether computed or reused
        assert _rows(warehouse, table, hashtag, day).equals(computed[table]), table

    # Another hashtag whose videos are all among them: its partition costs lookups, its rows are the same.
    shared = _run(instance, "hashtag_day_job", other, day)
    assert shared["media"]["videos_done"] == 0 and shared["media"]["videos_reused"] >= 1
    for stage, noun in STAGES.items():
        assert shared[stage][f"{noun}_done"] == 0, (stage, shared[stage])
    ids = _rows(warehouse, "media", other, day)["video_id"].to_list()
    for table in ENRICHED:
        mine = _rows(warehouse, table, other, day)
        assert mine.equals(computed[table].filter(pl.col("video_id").is_in(ids))), table

    # A setting of one stage changes (the decode limits): that stage is done again, the others reuse.
    redecoded = _run(
        instance,
        "hashtag_day_job",
        hashtag,
        day,
        run_config={"ops": {"decoded_media": {"config": {"max_file_mb": 511}}}},
    )
    assert (
        redecoded["media"]["videos_done"] == videos
        and redecoded["media"]["work_version"] != first["media"]["work_version"]
    )
    for stage in ("transcripts", "ocr_text", "logo_hits"):
        assert redecoded[stage]["videos_done"] == 0, (stage, redecoded[stage])

    # A new comment on an old video: that comment alone is scored.
    units = warehouse.read_partition(TEXT_UNITS, hashtag=hashtag, day=day)
    comment = "first time here, 7f3a: love the colours"
    new = units.head(1).with_columns(
        pl.lit("c-new").alias("unit_id"), pl.lit("comment").alias("origin"), pl.lit(comment).alias("text")
    )
    warehouse.replace_partition(TEXT_UNITS, pl.concat([units, new]), hashtag=hashtag, day=day)
    scored = _run(instance, "hashtag_day_job", hashtag, day, asset_selection=[_key("sentiment")])
    assert (scored["sentiment"]["units_done"], scored["sentiment"]["units_reused"]) == (1, units.height)


def _key(name: str):
    import dagster as dg

    return dg.AssetKey(name)
