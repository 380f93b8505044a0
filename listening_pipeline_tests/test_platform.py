"""The data engineer's story: materialize sample hashtag-days on the real instance, build dbt, read the warehouse."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from listening_pipeline.partitions import partition_key
from listening_pipeline.warehouse.ddl import dbt_sources_yaml
from listening_pipeline.warehouse.tables import ALL_TABLES


def _manifest_counts(corpus: Path, hashtag: str, day: dt.date) -> tuple[int, int]:
    """Videos and comments the sample manifests hold for a partition, read independently of the pipeline."""
    video_ids = set()
    for line in (corpus / "videos.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        created = dt.datetime.fromtimestamp(record["create_time"], tz=dt.UTC).date()
        if created == day and hashtag in [h.lower() for h in record.get("hashtag_names", [])]:
            video_ids.add(str(record["id"]))
    comments = 0
    for line in (corpus / "comments.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        comments += str(record.get("video_id")) in video_ids
    return len(video_ids), comments


def _run(instance, job_name, key):
    from listening_pipeline.definitions import defs

    result = defs().resolve_job_def(job_name).execute_in_process(instance=instance, partition_key=key)
    assert result.success
    return result


def _partition_counts(warehouse, table: str) -> dict[tuple[str, dt.date], int]:
    frame = warehouse.query(f"select hashtag, day, count(*) as n from raw.{table} group by 1, 2")
    return {(r["hashtag"], r["day"]): r["n"] for r in frame.iter_rows(named=True)}


@pytest.fixture(scope="module")
def collected(collected_sample):
    return collected_sample


def test_every_sample_partition_lands_with_the_manifest_rows(collected, sample_corpus, warehouse):
    videos, comments = _partition_counts(warehouse, "videos"), _partition_counts(warehouse, "comments")
    for hashtag, day in collected:
        expected_videos, expected_comments = _manifest_counts(sample_corpus, hashtag, day)
        assert videos.get((hashtag, day), 0) == expected_videos > 0, (hashtag, day)
        assert comments.get((hashtag, day), 0) == expected_comments, (hashtag, day)


def _sample_only(frame: pl.DataFrame, collected) -> pl.DataFrame:
    """The sample corpus's rows: the reliability tests write hostile partitions of their own hashtags."""
    return frame.filter(pl.col("hashtag").is_in(sorted({h for h, _ in collected})))


def test_media_is_in_the_media_store_or_the_reason_is_kept(collected, settings, warehouse):
    rows = _sample_only(warehouse.query("select hashtag, video_id, media_uri, media_error from raw.videos"), collected)
    for row in rows.iter_rows(named=True):
        assert (row["media_uri"] is None) != (row["media_error"] is None), row
        if row["media_uri"]:
            assert Path(row["media_uri"]).is_file()
            assert row["media_uri"].startswith(settings.media_root)


def test_malformed_records_are_quarantined_with_where_and_why(collected, warehouse):
    rows = warehouse.query(
        "select hashtag, stage, item, reason from raw.quarantine where stage in ('videos', 'comments')"
    )
    rows = _sample_only(rows, collected)
    stages = set(rows["stage"].to_list())
    assert stages == {"videos", "comments"}
    for row in rows.iter_rows(named=True):
        assert ".jsonl:" in row["item"] and row["reason"]


def test_ids_above_2_to_the_53_stay_exact(collected, sample_corpus, warehouse):
    first = json.loads((sample_corpus / "videos.jsonl").read_text(encoding="utf-8").splitlines()[0])
    rows = warehouse.query("select video_id from raw.videos where video_id = ?", [str(first["id"])])
    assert first["id"] > 2**53 and rows.height >= 1


def test_dbt_builds_the_daily_hashtag_metrics_a_bi_tool_reads(collected, warehouse):
    metrics = _sample_only(
        warehouse.query("select * from marts.hashtag_daily_metrics order by day, hashtag"), collected
    )
    videos = {key: n for key, n in _partition_counts(warehouse, "videos").items() if key in set(collected)}
    assert {(r["hashtag"], r["day"]): r["videos"] for r in metrics.iter_rows(named=True)} == videos
    assert metrics["views"].min() > 0
    assert all(0 <= r <= 1 for r in metrics["engagement_rate"].to_list())


def test_rematerializing_a_partition_leaves_identical_rows(instance, collected, warehouse):
    hashtag, day = collected[0]
    tables = ["videos", "comments", "quarantine"]
    before = {t: _partition_counts(warehouse, t) for t in tables}
    metrics_before = warehouse.query("select * from marts.hashtag_daily_metrics order by day, hashtag")
    _run(instance, "collect_job", partition_key(hashtag, day))
    _run(instance, "dbt_day_job", day.isoformat())
    assert {t: _partition_counts(warehouse, t) for t in tables} == before
    assert warehouse.query("select * from marts.hashtag_daily_metrics order by day, hashtag").equals(metrics_before)


def test_partitions_are_recorded_on_the_dagster_instance(instance, collected):
    from dagster import AssetKey

    materialized = instance.get_materialized_partitions(AssetKey("videos"))
    assert {str(partition_key(h, d)) for h, d in collected} <= set(materialized)


def test_dbt_sources_match_the_table_declarations():
    path = Path(__file__).resolve().parents[1] / "dbt" / "models" / "sources.yml"
    assert path.read_text(encoding="utf-8") == dbt_sources_yaml(), "run `listening-pipeline dbt-sources`"
    assert set(ALL_TABLES) >= {"videos", "comments", "quarantine", "brands"}


def test_dagster_definitions_validate():
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "listening_pipeline.definitions"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
