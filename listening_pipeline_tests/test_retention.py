"""Retention and privacy through Dagster, on a real DuckDB warehouse and media folder (and the same purge on a
real PostgreSQL warehouse, production's): old comment text, handles and media are gone after `retention_job`,
recent ones untouched, and the check fails before and passes after. And handles hashed at collection: none
stored in clear, distinct creators unchanged."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from listening_pipeline.lib.media.store import MediaStore
from listening_pipeline.lib.retention import ANONYM_PREFIX, MEDIA_DELETED, PSEUDONYM_PREFIX
from listening_pipeline.settings import Settings
from listening_pipeline.warehouse import DuckDBWarehouse, PostgresWarehouse
from listening_pipeline.warehouse.tables import (
    BRAND_MENTIONS,
    COMMENTS,
    CREATORS,
    FRAMES,
    MEDIA,
    QUARANTINE,
    TEXT_UNITS,
    VIDEOS,
)
from listening_pipeline_tests.history import copied_history
from listening_pipeline_tests.postgres import warehouse_env

TODAY = dt.datetime.now(dt.UTC).date()
OLD, NEW = TODAY - dt.timedelta(days=40), TODAY - dt.timedelta(days=2)
TAG = "coffee"


def _plant(store: DuckDBWarehouse | PostgresWarehouse, media: MediaStore, scratch: Path) -> None:
    """Two partitions, 40 and 2 days old, each with videos, comments, text units, quarantine, media and files."""
    for day, ids, who in ((OLD, ("v1", "v3"), ("alice", "alice")), (NEW, ("v2",), ("carol",))):
        uris = {}
        for video_id in ids:
            for key in (
                f"videos/{video_id}.mp4",
                f"decoded/{video_id}/abc/audio.npy",
                f"decoded/{video_id}/abc/f0.jpg",
            ):
                local = scratch / key.replace("/", "_")
                local.write_bytes(f"{video_id} {key}".encode())
                uris[key] = media.put(local, key)
        thumb = scratch / f"thumb-{day}.jpg"
        thumb.write_bytes(b"thumb")
        thumb_uri = media.put(thumb, f"evidence/{day.day:02d}/{day}.jpg")
        part = {"hashtag": TAG, "day": day}
        store.replace_partition(
            VIDEOS,
            VIDEOS.frame(
                [
                    {
                        **part,
                        "video_id": v,
                        "source": "folder",
                        "created_at": dt.datetime.combine(day, dt.time(12), dt.UTC),
                        "creator": c,
                        "mentioned_users": ["bob", c],
                        "media_uri": uris[f"videos/{v}.mp4"],
                    }
                    for v, c in zip(ids, who, strict=True)
                ]
            ),
            hashtag=TAG,
            day=day,
        )
        store.replace_partition(
            COMMENTS,
            COMMENTS.frame(
                [
                    {**part, "comment_id": f"c-{v}", "video_id": v, "text": f"hi @{c}"}
                    for v, c in zip(ids, who, strict=True)
                ]
            ),
            hashtag=TAG,
            day=day,
        )
        units = [
            {**part, "unit_id": f"u-{v}-{o}", "video_id": v, "origin": o, "text": f"{o} of {v}"}
            for v in ids
            for o in ("comment", "description")
        ]
        store.replace_partition(TEXT_UNITS, TEXT_UNITS.frame(units), hashtag=TAG, day=day)
        store.replace_partition(
            QUARANTINE,
            QUARANTINE.frame(
                [{**part, "stage": "videos", "item": "line 3", "reason": "bad", "raw": '{"username": "alice"}'}]
            ),
            hashtag=TAG,
            day=day,
        )
        media_rows = [
            {
                **part,
                "video_id": v,
                "duration_s": 1.0,
                "has_audio": True,
                "frames_kept": 1,
                "decoder": "d",
                "audio_uri": uris[f"decoded/{v}/abc/audio.npy"],
            }
            for v in ids
        ]
        store.replace_partition(MEDIA, MEDIA.frame(media_rows), hashtag=TAG, day=day)
        frames = [
            {
                **part,
                "video_id": v,
                "frame_no": 0,
                "t_s": 0.0,
                "t_until_s": 1.0,
                "image_uri": uris[f"decoded/{v}/abc/f0.jpg"],
            }
            for v in ids
        ]
        store.replace_partition(FRAMES, FRAMES.frame(frames), hashtag=TAG, day=day)
        mention = {
            **part,
            "mention_id": f"m-{ids[0]}",
            "video_id": ids[0],
            "brand": "Fizzly",
            "origin": "logo",
            "confidence": 0.9,
            "thumbnail_uri": thumb_uri,
        }
        store.replace_partition(BRAND_MENTIONS, BRAND_MENTIONS.frame([mention]), hashtag=TAG, day=day)
        profiles = [
            {
                **part,
                "creator": c,
                "display_name": c.title(),
                "bio_description": f"{c} from Berlin",
                "avatar_url": f"https://cdn.example/{c}.jpg",
                "follower_count": 1200,
                "fetched_at": dt.datetime.combine(day, dt.time(13), dt.UTC),
            }
            for c in dict.fromkeys(who)
        ]
        store.replace_partition(CREATORS, CREATORS.frame(profiles), hashtag=TAG, day=day)


def _partition(store, table, day) -> pl.DataFrame:
    return store.read_partition(table, hashtag=TAG, day=day).sort(table.key)


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture(params=["duckdb", "postgres"])
def planted(request, tmp_path, monkeypatch):
    """A warehouse and media folder with an old and a recent partition; the windows set to 30 days.

    Both warehouses: the purge's SQL (``unnest`` of the mentioned handles, ``LIKE`` on anonyms) must hold on
    PostgreSQL, where production keeps its rows, as on the embedded DuckDB file."""
    monkeypatch.setenv("LISTENING_PIPELINE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LISTENING_PIPELINE_RETENTION_DAYS", "30")
    monkeypatch.setenv("LISTENING_PIPELINE_MEDIA_RETENTION_DAYS", "30")

    store: DuckDBWarehouse | PostgresWarehouse
    if request.param == "postgres":
        dsn = request.getfixturevalue("postgres_db")
        for name, value in warehouse_env(dsn).items():
            monkeypatch.setenv(name, value)
        store = PostgresWarehouse(dsn)
    settings = Settings.from_env()
    if request.param == "duckdb":
        store = DuckDBWarehouse(settings.duckdb_path)
    media = MediaStore(settings.media_root)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    _plant(store, media, scratch)
    return store, Path(settings.media_root)


def _check(result) -> tuple[bool, dict]:
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation.passed, {k: v.value for k, v in evaluation.metadata.items()}


def test_retention_job_erases_what_is_past_the_window_and_the_check_proves_it(planted, instance):
    from listening_pipeline.definitions import defs

    store, media_root = planted
    definitions = defs()
    recent = [
        (t, _partition(store, t, NEW))
        for t in (VIDEOS, COMMENTS, TEXT_UNITS, QUARANTINE, MEDIA, FRAMES, BRAND_MENTIONS, CREATORS)
    ]
    files_before = _files(media_root)

    audit = definitions.resolve_job_def("retention_audit_job").execute_in_process(
        instance=instance, raise_on_error=False
    )
    passed, metadata = _check(audit)
    assert not passed and metadata["still_kept"] > 0, "the check fails while old comments, handles and media are kept"
    assert metadata["media store files of expired videos"] == 7  # 2 videos x 3 files + the thumbnail
    assert _files(media_root) == files_before, "the audit erases nothing"

    result = definitions.resolve_job_def("retention_job").execute_in_process(instance=instance)
    assert result.success
    passed, metadata = _check(result)
    assert passed and metadata["still_kept"] == 0, metadata

    # Old: comment text, comment text units, raw input and handles gone; the rows and counts stay.
    videos = _partition(store, VIDEOS, OLD)
    assert videos["video_id"].to_list() == ["v1", "v3"]
    assert all(c.startswith(ANONYM_PREFIX) for c in videos["creator"])
    assert videos["creator"].n_unique() == 1, "one creator stays one creator within the purge"
    assert all(u.startswith(ANONYM_PREFIX) for users in videos["mentioned_users"] for u in users)
    assert videos["media_uri"].is_null().all() and set(videos["media_error"]) == {MEDIA_DELETED}
    assert _partition(store, COMMENTS, OLD)["text"].is_null().all() and _partition(store, COMMENTS, OLD).height == 2
    assert set(_partition(store, TEXT_UNITS, OLD)["origin"]) == {"description"}
    assert _partition(store, QUARANTINE, OLD)["raw"].is_null().all()
    assert _partition(store, MEDIA, OLD)["audio_uri"].is_null().all()
    assert _partition(store, FRAMES, OLD).height == 0
    assert _partition(store, BRAND_MENTIONS, OLD)["thumbnail_uri"].is_null().all()
    # The profile keeps its counts under the anonym its videos have, and loses what a person wrote or shows.
    [profile] = _partition(store, CREATORS, OLD).iter_rows(named=True)
    assert profile["creator"] == videos["creator"][0] and profile["follower_count"] == 1200
    assert (profile["display_name"], profile["bio_description"], profile["avatar_url"]) == (None, None, None)
    everything = json.dumps(
        [_partition(store, t, OLD).to_dicts() for t in (VIDEOS, COMMENTS, TEXT_UNITS, QUARANTINE, CREATORS)],
        default=str,
    )
    assert "alice" not in everything and "bob" not in everything
    left = _files(media_root)
    assert not any("v1" in f or "v3" in f or str(OLD) in f for f in left)
    # Recent: untouched, rows and files.
    for table, rows in recent:
        assert _partition(store, table, NEW).equals(rows), table.name
    assert left == {f for f in files_before if "v2" in f or str(NEW) in f} and len(left) == 4

    from listening_pipeline.defs.retention.assets import FIRST_DAY_REWRITTEN, LAST_DAY_REWRITTEN

    [purged] = result.asset_materializations_for_node("retention")
    assert purged.metadata[FIRST_DAY_REWRITTEN].value == purged.metadata[LAST_DAY_REWRITTEN].value == str(OLD)

    again = definitions.resolve_job_def("retention_job").execute_in_process(instance=instance)
    assert again.success and _check(again)[0]  # idempotent
    materialization = again.asset_materializations_for_node("retention")[0]
    assert materialization.metadata["partitions_rewritten"].value == 0
    assert FIRST_DAY_REWRITTEN not in materialization.metadata  # nothing for dbt to rebuild


def test_after_a_purge_the_marts_hold_nothing_it_erased(history_template, sample_corpus, tmp_path, monkeypatch):
    """The history's first days fall past the window. The purge erases the raw rows; the sensor asks
    for one dbt run over the days it rewrote; after it no table dbt built holds, on those days, a
    creator's handle or a comment's words, while the days inside the window read as before."""
    from dagster import build_sensor_context

    from listening_pipeline.partitions import day_range_tags

    truth = json.loads((sample_corpus / "ground_truth.json").read_text(encoding="utf-8"))["history"]
    days = [dt.date.fromisoformat(truth["start_day"]) + dt.timedelta(days=n) for n in range(truth["days"])]
    cutoff = days[len(days) // 2]
    monkeypatch.setenv("LISTENING_PIPELINE_RETENTION_DAYS", str((TODAY - cutoff).days))
    with copied_history(history_template, tmp_path / "history", sample_corpus, monkeypatch) as history:
        store = history.warehouse
        old = f"day < DATE '{cutoff}'"
        handles = set(store.query(f"select distinct creator from raw.videos where {old}")["creator"].to_list())
        comments = set(store.query(f"select text from raw.comments where {old} and text is not null")["text"])
        built = _dbt_tables_with_days(store)
        assert {"marts.creator_leaderboard", "marts.mention_evidence"} <= set(built), built
        assert _erased_values_left(store, built, cutoff, handles, comments), "the history's marts hold handles"
        inside = {mart: frame.filter(pl.col("day") >= cutoff) for mart, frame in history.marts().items()}

        purge = history.defs.resolve_job_def("retention_job").execute_in_process(instance=history.instance)
        assert purge.success
        sensor = history.defs.resolve_sensor_def("marts_after_retention")
        tick = sensor.evaluate_tick(build_sensor_context(instance=history.instance, definitions=history.defs))
        [request] = tick.run_requests
        assert request.tags.items() >= day_range_tags(days[0], cutoff - dt.timedelta(days=1)).items(), request.tags
        again = sensor.evaluate_tick(
            build_sensor_context(instance=history.instance, definitions=history.defs, cursor=tick.cursor)
        )
        assert not again.run_requests, "one rebuild per purge"

        rebuild = history.defs.resolve_job_def("dbt_day_job").execute_in_process(
            instance=history.instance, tags=request.tags
        )
        assert rebuild.success
        assert _erased_values_left(store, built, cutoff, handles, comments) == {}
        after = {mart: frame.filter(pl.col("day") >= cutoff) for mart, frame in history.marts().items()}
        for mart, rows in inside.items():
            assert after[mart].equals(rows), mart


def _dbt_tables_with_days(store) -> dict[str, list[str]]:
    """The tables (not views) dbt built per day in the marts and intermediate schemas, with their text columns."""
    columns = store.query(
        "select c.table_schema, c.table_name, c.column_name, c.data_type from information_schema.columns c "
        "join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name "
        "where c.table_schema in ('marts', 'intermediate') and t.table_type = 'BASE TABLE'"
    )
    tables: dict[str, list[str]] = {}
    for schema, table, column, data_type in columns.iter_rows():
        tables.setdefault(f"{schema}.{table}", [])
        if data_type in ("VARCHAR", "TEXT"):
            tables[f"{schema}.{table}"].append(column)
    with_days = set(
        columns.filter(pl.col("column_name") == "day")
        .select(pl.concat_str("table_schema", pl.lit("."), "table_name"))
        .to_series()
    )
    return {name: text for name, text in tables.items() if name in with_days}


def _erased_values_left(store, tables: dict[str, list[str]], cutoff, handles: set[str], comments: set[str]) -> dict:
    """Per table and column, how many rows on days past the window hold an old handle (alone or in a
    profile URL) or an old comment's whole text."""
    left = {}
    for table, text_columns in tables.items():
        rows = store.query(
            f"select {', '.join(text_columns) or 'null as none'} from {table} where day < DATE '{cutoff}'"
        )
        for column in text_columns:
            values = [v for v in rows[column].to_list() if v is not None]
            n = sum(v in handles or v in comments or any(f"@{h}/" in v for h in handles) for v in values)
            if n:
                left[f"{table}.{column}"] = n
    return left


def test_without_a_window_the_job_erases_nothing(tmp_path, monkeypatch, instance):
    monkeypatch.setenv("LISTENING_PIPELINE_DATA_DIR", str(tmp_path / "var"))
    from listening_pipeline.definitions import defs

    settings = Settings.from_env()
    store, media = DuckDBWarehouse(settings.duckdb_path), MediaStore(settings.media_root)
    (tmp_path / "scratch").mkdir()
    _plant(store, media, tmp_path / "scratch")
    before = _partition(store, COMMENTS, OLD)
    result = defs().resolve_job_def("retention_job").execute_in_process(instance=instance)
    assert result.success and _check(result)[0]
    assert _partition(store, COMMENTS, OLD).equals(before)


@pytest.mark.parametrize(("value", "message"), [("-1", "whole number of days"), ("soon", "whole number of days")])
def test_a_bad_window_is_a_clear_error(value, message, monkeypatch):
    monkeypatch.setenv("LISTENING_PIPELINE_RETENTION_DAYS", value)
    with pytest.raises(ValueError, match=f"LISTENING_PIPELINE_RETENTION_DAYS must be a {message}"):
        Settings.from_env()


def test_hashing_handles_needs_a_kept_key(monkeypatch):
    monkeypatch.setenv("LISTENING_PIPELINE_HASH_CREATOR_HANDLES", "true")
    monkeypatch.delenv("LISTENING_PIPELINE_HANDLE_HASH_KEY", raising=False)
    with pytest.raises(ValueError, match="needs LISTENING_PIPELINE_HANDLE_HASH_KEY"):
        Settings.from_env()


def test_collected_with_hashed_handles_no_handle_is_stored_and_creators_count_the_same(
    sample_corpus, sample_partitions, tmp_path, monkeypatch, instance
):
    from listening_pipeline.definitions import defs
    from listening_pipeline.partitions import hashtag_partitions, partition_key

    monkeypatch.setenv("LISTENING_PIPELINE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LISTENING_PIPELINE_SOURCE_FOLDER", str(sample_corpus))
    monkeypatch.setenv("LISTENING_PIPELINE_HASH_CREATOR_HANDLES", "true")
    monkeypatch.setenv("LISTENING_PIPELINE_HANDLE_HASH_KEY", "a-kept-secret-of-the-deployment")
    chosen = sample_partitions[:3]
    instance.add_dynamic_partitions(hashtag_partitions.name, sorted({h for h, _ in chosen}))
    job = defs().resolve_job_def("collect_job")
    for hashtag, day in chosen:
        assert job.execute_in_process(instance=instance, partition_key=partition_key(hashtag, day)).success

    store = DuckDBWarehouse(Settings.from_env().duckdb_path)
    records = []
    for line in (sample_corpus / "videos.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # the sample's planted malformed lines
    records = [r for r in records if isinstance(r, dict)]
    handles = {r["username"] for r in records if isinstance(r.get("username"), str)}
    handles |= {u for r in records for u in (r.get("video_mention_list") or []) if isinstance(u, str)}
    for hashtag, day in chosen:
        videos = store.read_partition(VIDEOS, hashtag=hashtag, day=day)
        assert videos.height > 0
        assert all(c.startswith(PSEUDONYM_PREFIX) for c in videos["creator"].drop_nulls())
        stored = set(videos["creator"].drop_nulls()) | {u for us in videos["mentioned_users"].drop_nulls() for u in us}
        assert not stored & handles
        comments = store.read_partition(COMMENTS, hashtag=hashtag, day=day)
        assert not {v for col in comments.columns for v in comments[col].cast(pl.String).drop_nulls()} & handles
        ids = set(videos["video_id"])
        clear = {r["username"] for r in records if str(r.get("id")) in ids and isinstance(r.get("username"), str)}
        assert videos["creator"].drop_nulls().n_unique() == len(clear), "distinct creators count the same"
