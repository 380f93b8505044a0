"""A partition write replaces exactly that partition's rows, atomically, on DuckDB and on PostgreSQL,
stamping them with the time they were loaded."""

import datetime as dt

import polars as pl
import pytest

from listening_pipeline.warehouse import DuckDBWarehouse, PostgresWarehouse
from listening_pipeline.warehouse.ddl import create_table_sql, sql_type
from listening_pipeline.warehouse.tables import ALL_TABLES, LOADED_AT, QUARANTINE, VIDEOS

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


def _execute(warehouse, sql: str) -> None:
    """Raw SQL on the warehouse's own connection, as another program (an older version) would run it."""
    with warehouse.connect() as con:
        if isinstance(warehouse, DuckDBWarehouse):
            con.execute(sql)
        else:
            with con.cursor() as cur:
                cur.execute(sql)
            con.commit()


def _loaded_at(warehouse, hashtag: str) -> list[dt.datetime]:
    frame = warehouse.query(f"select distinct {LOADED_AT} from raw.videos where hashtag = '{hashtag}'")
    return frame[LOADED_AT].to_list()


def test_every_row_of_a_write_carries_the_time_it_was_loaded(warehouse):
    """dbt's source freshness reads loaded_at: one time per write, later writes later, reads never see it."""
    before = dt.datetime.now(dt.UTC)
    warehouse.replace_partition(VIDEOS, _videos("a", ["1", "2", "3"]), hashtag="a", day=DAY)
    (first,) = _loaded_at(warehouse, "a")  # every row of the write shares one time
    assert before <= first <= dt.datetime.now(dt.UTC)

    warehouse.replace_partition(VIDEOS, _videos("b", ["9"]), hashtag="b", day=DAY)
    warehouse.replace_partition(VIDEOS, _videos("a", ["1"], "again"), hashtag="a", day=DAY)
    (again,) = _loaded_at(warehouse, "a")
    assert again > first  # a re-written partition is loaded again...
    assert _loaded_at(warehouse, "b")[0] < again  # ...and the others keep their own time
    # Frames read back are the asset's columns only: ground-truth and cross-engine comparisons are unchanged.
    assert warehouse.read_partition(VIDEOS, hashtag="a", day=DAY).schema == VIDEOS.schema
    assert LOADED_AT not in warehouse.read_table(VIDEOS).columns


def test_a_warehouse_created_before_load_times_gains_the_column_and_keeps_its_rows(warehouse):
    """A raw table an older version created (no loaded_at) keeps working: the next write adds the column."""
    old_columns = ", ".join(f'"{name}" {sql_type(dtype, warehouse.dialect)}' for name, dtype in VIDEOS.schema.items())
    _execute(warehouse, "create schema if not exists raw")
    _execute(warehouse, f"create table raw.videos ({old_columns})")
    _execute(
        warehouse,
        "insert into raw.videos (hashtag, day, video_id, source, created_at) "
        "values ('old', '2026-11-01', '7', 'folder', '2026-11-01 08:00:00+00')",
    )
    assert warehouse.read_partition(VIDEOS, hashtag="old", day=DAY)["video_id"].to_list() == ["7"]

    warehouse.ensure_tables([VIDEOS])  # what the dbt asset does before every dbt run
    warehouse.replace_partition(VIDEOS, _videos("new", ["1"]), hashtag="new", day=DAY)

    stored = warehouse.query(f"select hashtag, {LOADED_AT} from raw.videos order by hashtag")
    assert stored["hashtag"].to_list() == ["new", "old"]
    assert stored[LOADED_AT][0] is not None  # written now
    assert stored[LOADED_AT][1] is None  # loaded before the column existed: unknown, not invented
    assert warehouse.read_partition(VIDEOS, hashtag="old", day=DAY)["video_id"].to_list() == ["7"]


def test_the_stored_tables_are_the_declared_columns_plus_the_load_time():
    for table in ALL_TABLES.values():
        assert list(table.stored_schema) == [*table.schema, LOADED_AT], table.name
        ddl = create_table_sql(table, "postgres")
        assert f'"{LOADED_AT}" TIMESTAMPTZ' in ddl, table.name
