"""A partition write replaces exactly that partition's rows, atomically, on DuckDB and on PostgreSQL."""

import datetime as dt

import polars as pl
import pytest

from listening_pipeline.warehouse import DuckDBWarehouse, PostgresWarehouse
from listening_pipeline.warehouse.tables import QUARANTINE, VIDEOS

DAY = dt.date(2026, 11, 1)


def _videos(hashtag: str, ids: list[str], description: str = "hello") -> pl.DataFrame:
    created = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    return VIDEOS.frame(
        [
            {
                "hashtag": hashtag,
                "day": DAY,
                "video_id": vid,
                "source": "folder",
                "creator": "c",
                "created_at": created,
                "description": description,
                "hashtags": [hashtag, "other"],
                "region": "US",
                "view_count": 10,
                "like_count": 1,
                "comment_count": 0,
                "share_count": 0,
                "duration_s": 7.0,
                "voice_to_text": None,
                "media_uri": None,
                "media_error": "none",
            }
            for vid in ids
        ]
    )


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request, tmp_path):
    if request.param == "duckdb":
        return DuckDBWarehouse(tmp_path / "w.duckdb")
    dsn = request.getfixturevalue("postgres_db")
    return PostgresWarehouse(dsn)


def _count(warehouse, hashtag=None) -> int:
    sql = "select count(*) as n from raw.videos" + (f" where hashtag = '{hashtag}'" if hashtag else "")
    return warehouse.query(sql)["n"][0]


def test_rewrite_replaces_only_its_partition(warehouse):
    warehouse.replace_partition(VIDEOS, _videos("a", ["1", "2", "3"]), hashtag="a", day=DAY)
    warehouse.replace_partition(VIDEOS, _videos("b", ["1", "9"]), hashtag="b", day=DAY)
    for _ in range(2):  # a re-run never duplicates
        warehouse.replace_partition(VIDEOS, _videos("a", ["1", "2"], "again"), hashtag="a", day=DAY)
    assert _count(warehouse, "a") == 2
    assert _count(warehouse, "b") == 2
    back = warehouse.read_partition(VIDEOS, hashtag="a", day=DAY)
    assert back.schema == VIDEOS.schema
    assert back.sort("video_id")["description"].to_list() == ["again", "again"]
    assert back["hashtags"].to_list()[0] == ["a", "other"]


def test_failed_write_keeps_the_previous_rows(warehouse):
    warehouse.replace_partition(VIDEOS, _videos("a", ["1", "2"]), hashtag="a", day=DAY)
    # Rows that belong to another partition are refused before anything is touched...
    with pytest.raises(ValueError, match="do not belong"):
        warehouse.replace_partition(VIDEOS, _videos("b", ["5"]), hashtag="a", day=DAY)
    # ...and a write the database rejects after the delete (NOT NULL from the declared schema) rolls back.
    broken = _videos("a", ["3"]).with_columns(pl.lit(None, dtype=pl.String).alias("source"))
    with pytest.raises(Exception, match="(?i)null"):
        warehouse.replace_partition(VIDEOS, broken, hashtag="a", day=DAY)
    assert _count(warehouse, "a") == 2


def test_quarantine_replace_is_scoped_by_stage(warehouse):
    def rows(stage, items):
        return QUARANTINE.frame(
            [{"hashtag": "a", "day": DAY, "stage": stage, "item": i, "reason": "bad", "raw": None} for i in items]
        )

    warehouse.replace_partition(
        QUARANTINE, rows("videos", ["l1", "l2"]), hashtag="a", day=DAY, scope={"stage": "videos"}
    )
    warehouse.replace_partition(QUARANTINE, rows("comments", ["c1"]), hashtag="a", day=DAY, scope={"stage": "comments"})
    warehouse.replace_partition(QUARANTINE, rows("videos", []), hashtag="a", day=DAY, scope={"stage": "videos"})
    left = warehouse.read_partition(QUARANTINE, hashtag="a", day=DAY)
    assert left["item"].to_list() == ["c1"]


def test_reading_a_missing_table_is_empty(warehouse):
    assert warehouse.read_partition(VIDEOS, hashtag="nope", day=DAY).height == 0


def test_upsert_replaces_rows_by_key_and_keeps_the_rest(warehouse):
    from listening_pipeline.warehouse.tables import ALERT_DELIVERIES

    at = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)

    def row(alert_id, status, attempts=1):
        return {
            "alert_id": alert_id,
            "brand": "Nike",
            "day": DAY,
            "status": status,
            "webhook_host": "hooks.example.com",
            "attempts": attempts,
            "http_status": 200 if status == "delivered" else 400,
            "error": None,
            "delivered_at": at if status == "delivered" else None,
            "last_attempt_at": at,
        }

    assert warehouse.upsert_rows(ALERT_DELIVERIES, [row("a", "failed"), row("b", "delivered")]) == 2
    warehouse.upsert_rows(ALERT_DELIVERIES, [row("a", "delivered", attempts=3)])
    back = {r["alert_id"]: r for r in warehouse.read_table(ALERT_DELIVERIES).to_dicts()}
    assert {k: (r["status"], r["attempts"]) for k, r in back.items()} == {"a": ("delivered", 3), "b": ("delivered", 1)}
    assert back["a"]["delivered_at"] == at
    with pytest.raises(ValueError, match="repeat a key"):
        warehouse.upsert_rows(ALERT_DELIVERIES, [row("c", "delivered"), row("c", "failed")])
    # A row the database rejects (NOT NULL) rolls the whole upsert back.
    with pytest.raises(Exception, match="(?i)null"):
        warehouse.upsert_rows(ALERT_DELIVERIES, [row("b", "failed"), {**row("d", "delivered"), "webhook_host": None}])
    assert warehouse.read_table(ALERT_DELIVERIES).height == 2
    assert warehouse.read_table(ALERT_DELIVERIES).filter(pl.col("alert_id") == "b")["status"].item() == "delivered"
