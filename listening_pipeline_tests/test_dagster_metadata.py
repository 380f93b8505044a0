"""What a user sees in the Dagster UI: every raw table's columns, types and descriptions before
anything ran, the table each asset writes, owners, a link to the code, row counts and dbt column
types and lineage after a run; a broken partition stops the assets downstream of it; dbt tests
check the rebuilt days on a daily build and every day when asked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import json
import os
import subprocess
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from listening_pipeline.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, PROJECT_ROOT, Settings
from listening_pipeline.warehouse.ddl import sql_type
from listening_pipeline.warehouse.tables import ALL_TABLES, TEXT_UNITS


def _load(settings: Settings | None = None) -> dg.Definitions:
    from listening_pipeline.defs.metadata import with_standard_metadata

    return with_standard_metadata(
        dg.load_from_defs_folder(path_within_project=PROJECT_ROOT / "listening_pipeline"), settings
    )


@pytest.fixture(scope="module")
def graph():
    from listening_pipeline.definitions import defs

    return defs().resolve_asset_graph()


def _references(node) -> list:
    return node.metadata["dagster/code_references"].code_references


def test_every_raw_table_shows_its_declared_columns_before_anything_ran(graph):
    for table in ALL_TABLES.values():
        node = graph.get(dg.AssetKey(table.name))
        assert node.metadata["dagster/table_name"] == f"raw.{table.name}"
        columns = node.metadata["dagster/column_schema"].columns
        assert [(c.name, c.type, c.description) for c in columns] == [
            (name, sql_type(dtype, "duckdb"), description)
            for name, (dtype, description) in table.stored_columns.items()
        ]
        assert {c.name for c in columns if not c.constraints.nullable} == set(table.not_null)
    videos = {c.name: c for c in graph.get(dg.AssetKey("videos")).metadata["dagster/column_schema"].columns}
    assert videos["video_id"].type == "TEXT" and "2^53" in (videos["video_id"].description or "")


def test_dbt_models_carry_the_table_name_bi_tools_query(graph):
    dbt_keys = [k for k in graph.get_all_asset_keys() if "dbt" in graph.get(k).kinds]
    assert dg.AssetKey(["marts", "brand_daily_metrics"]) in dbt_keys
    for key in dbt_keys:
        assert graph.get(key).metadata["dagster/table_name"] == ".".join(key.path)  # e.g. marts.share_of_voice


def test_every_asset_that_runs_code_links_to_it(graph):
    computed = [k for k in graph.get_all_asset_keys() if graph.get(k).is_executable]
    assert len(computed) > 20
    for key in computed:
        for reference in _references(graph.get(key)):
            assert Path(reference.file_path).is_file(), (key, reference)
    videos = _references(graph.get(dg.AssetKey("videos")))[0]
    lines = Path(videos.file_path).read_text(encoding="utf-8").splitlines()[videos.line_number - 1 :]
    assert any(line.startswith("def videos(") for line in lines[:20])
    mart = {Path(r.file_path).name for r in _references(graph.get(dg.AssetKey(["marts", "brand_daily_metrics"])))}
    assert {"brand_daily_metrics.sql", "assets.py"} <= mart


def test_with_a_git_url_code_references_link_into_the_repository():
    settings = dataclasses.replace(
        Settings.from_env(), git_url="https://github.com/example/listening-pipeline", git_branch="release"
    )
    graph = _load(settings).resolve_asset_graph()
    (reference,) = _references(graph.get(dg.AssetKey("videos")))
    from listening_pipeline.defs.collect.assets import videos

    line = inspect.getsourcelines(videos.op.compute_fn.decorated_fn)[1]
    assert reference.url == (
        f"https://github.com/example/listening-pipeline/tree/release/listening_pipeline/defs/collect/assets.py#L{line}"
    )


def test_owners_come_from_the_setting(graph, monkeypatch):
    assert all(graph.get(k).owners == [] for k in graph.get_all_asset_keys())  # unset: no owners
    monkeypatch.setenv("LISTENING_PIPELINE_OWNERS", "data@example.com, team:insights")
    settings = Settings.from_env()
    assert settings.owners == ("data@example.com", "team:insights")
    owned = _load(settings).resolve_asset_graph()
    assert {tuple(owned.get(k).owners) for k in owned.get_all_asset_keys()} == {("data@example.com", "team:insights")}
    monkeypatch.setenv("LISTENING_PIPELINE_OWNERS", "data@example.com, insights")
    with pytest.raises(ValueError, match="LISTENING_PIPELINE_OWNERS.*insights"):
        Settings.from_env()


def _latest_metadata(instance, key: dg.AssetKey, partition: str | None = None) -> dict:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None),
        limit=1,
        ascending=False,
    ).records
    assert records, f"{key.to_user_string()} {partition} was never materialized"
    return dict(records[0].asset_materialization.metadata)


def test_a_collected_partition_reports_the_rows_it_wrote_and_the_table_holds(instance, collected_sample, warehouse):
    from listening_pipeline.partitions import partition_key

    hashtag, day = collected_sample[0]
    metadata = _latest_metadata(instance, dg.AssetKey("videos"), partition_key(hashtag, day))
    stored = warehouse.query(f"select count(*) as n from raw.videos where hashtag = '{hashtag}' and day = '{day}'")
    assert metadata["dagster/partition_row_count"].value == stored["n"][0] > 0
    assert metadata["dagster/row_count"].value >= metadata["dagster/partition_row_count"].value
    assert metadata["dagster/table_name"].value == "raw.videos"


def test_a_dbt_build_reports_mart_rows_column_types_and_lineage(instance, collected_sample, graph):
    metadata = _latest_metadata(instance, dg.AssetKey(["marts", "hashtag_daily_metrics"]))
    assert metadata["dagster/row_count"].value >= metadata["dagster/partition_row_count"].value > 0
    types = {c.name: c.type.lower() for c in metadata["dagster/column_schema"].schema.columns}
    assert types["day"] == "date" and "char" in types["hashtag"] and types["videos"] == "bigint"
    deps = metadata["dagster/column_lineage"].lineage.deps_by_column
    assert {d.asset_key for d in deps["videos"]} <= set(graph.get_all_asset_keys())
    assert any(d.asset_key.path[0] in ("staging", "intermediate") for d in deps["hashtag"])


def _units(duplicated: bool) -> pl.DataFrame:
    row = {"hashtag": "coffeetime", "day": dt.date(2026, 11, 1), "video_id": "1", "text": "Mokka Mia"}
    rows = [
        {**row, "unit_id": "1:description:0", "origin": "description", "origin_ref": "0"},
        {**row, "unit_id": "1:comment:7", "origin": "comment", "origin_ref": "7"},
    ]
    if duplicated:  # a defect of our code: two units with one id
        rows[1]["unit_id"] = rows[0]["unit_id"]
    return TEXT_UNITS.frame(rows)


@pytest.mark.parametrize("duplicated", [False, True])
def test_a_partition_that_breaks_its_expectations_stops_the_assets_downstream(duplicated, tmp_path):
    """The real suite and check spec every stage uses, on a two-asset graph of its own (in-memory storage)."""
    from listening_pipeline.defs.checks import check_spec, checked

    @dg.asset(name=TEXT_UNITS.name, check_specs=[check_spec(TEXT_UNITS)])
    def text_units():
        yield from checked(TEXT_UNITS, _units(duplicated))

    @dg.asset
    def mentions(text_units: pl.DataFrame) -> int:
        return text_units.height

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([text_units, mentions], instance=instance, raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    if duplicated:
        assert not evaluation.passed and not result.success
        assert "expect_compound_columns_to_be_unique" in evaluation.metadata["failures"].value
        # The partition's rows are stored (the check reports on them), but nothing downstream builds on them.
        assert materialized == {"text_units"} and not result.is_node_success("mentions")
    else:
        assert evaluation.passed and result.success and materialized == {"text_units", "mentions"}


def _compiled_tests(warehouse_resource, tmp_path: Path, dbt_vars: dict) -> dict[str, str]:
    target = tmp_path / json.dumps(dbt_vars, sort_keys=True).replace('"', "").replace(" ", "")
    subprocess.run(
        [str(DBT_EXECUTABLE), "compile", "--select", "not_null_stg_videos_video_id unique_stg_brands_brand"]
        + ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
        + ["--target-path", str(target), "--vars", json.dumps(dbt_vars)],
        env={**os.environ, **warehouse_resource.dbt_profile_env()},
        check=True,
        capture_output=True,
    )
    return {p.stem: p.read_text(encoding="utf-8") for p in (target / "compiled").rglob("*.sql")}


def test_daily_dbt_builds_test_the_rebuilt_days_and_full_tests_test_every_day(
    collected_sample, warehouse_resource, tmp_path
):
    day = collected_sample[0][1].isoformat()
    daily = _compiled_tests(warehouse_resource, tmp_path, {"min_date": day, "max_date": "2999-01-01"})
    assert f"day >= cast('{day}' as date)" in daily["not_null_stg_videos_video_id"]
    assert "day >=" not in daily["unique_stg_brands_brand"]  # the catalog has no days: tested whole
    full = _compiled_tests(
        warehouse_resource, tmp_path, {"min_date": day, "max_date": "2999-01-01", "full_tests": True}
    )
    assert "day >=" not in full["not_null_stg_videos_video_id"]


def test_a_run_tag_asks_the_dagster_dbt_build_for_the_full_tests(instance, collected_sample):
    from listening_pipeline.definitions import defs
    from listening_pipeline.defs.marts.assets import FULL_TESTS_TAG

    day = collected_sample[0][1].isoformat()
    result = (
        defs()
        .resolve_job_def("dbt_day_job")
        .execute_in_process(instance=instance, partition_key=day, tags={FULL_TESTS_TAG: "true"})
    )
    assert result.success
    (run_results,) = (DBT_PROJECT_DIR / "target").glob(f"dbt_models-{result.run_id[:7]}-*/run_results.json")
    assert json.loads(run_results.read_text(encoding="utf-8"))["args"]["vars"] == {"full_tests": True}
    # The window itself comes in the environment, so a new day's build re-parses only the marts.
    mart = run_results.parent / "compiled" / "listening_pipeline" / "models" / "marts" / "brand_daily_metrics.sql"
    end = (collected_sample[0][1] + dt.timedelta(days=1)).isoformat()
    assert f"day >= cast('{day}' as date) and day < cast('{end}' as date)" in mart.read_text(encoding="utf-8")


def test_a_dbt_build_on_postgresql_with_a_duckdb_parsed_manifest_skips_column_metadata(postgres_db, monkeypatch):
    """dagster-dbt reads columns from the database the manifest was parsed for: with the default (DuckDB)
    manifest on PostgreSQL the build succeeds with its row counts, and no column reads are attempted."""
    from psycopg2.extensions import parse_dsn

    from listening_pipeline.definitions import defs
    from listening_pipeline.warehouse import PostgresWarehouse
    from listening_pipeline_tests.test_brand_marts import START, write_synthetic_warehouse

    write_synthetic_warehouse(PostgresWarehouse(postgres_db))
    params = parse_dsn(postgres_db)
    monkeypatch.setenv("LISTENING_PIPELINE_WAREHOUSE", "postgres")
    for name, value in {"HOST": params["host"], "PORT": params["port"], "USER": params["user"]}.items():
        monkeypatch.setenv(f"LISTENING_PIPELINE_PG_{name}", value)
    monkeypatch.setenv("LISTENING_PIPELINE_PG_DATABASE", params["dbname"])
    monkeypatch.setenv("LISTENING_PIPELINE_PG_PASSWORD", "")
    with dg.DagsterInstance.ephemeral() as instance:
        job = defs().resolve_job_def("dbt_day_job")
        result = job.execute_in_process(instance=instance, partition_key=START.isoformat())
        warnings = [e.message for e in instance.all_logs(result.run_id) if e.level >= 30]
    assert result.success
    metadata = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    mart = metadata[dg.AssetKey(["marts", "hashtag_daily_metrics"])]
    assert mart["dagster/partition_row_count"].value > 0 and "dagster/column_schema" not in mart
    assert not [m for m in warnings if "column" in m.lower()]
