"""The dbt project as its community expects it: sources that know how fresh they are, the dashboards
that read the marts declared as exposures, and each mart's columns and types held to a contract.

User story: an analytics engineer opens `dbt/` by hand next to a running pipeline.
`dbt source freshness` says whether the daily runs still land data (and warns before it errors),
`dbt ls --resource-type exposure` names the dashboards and who owns them, and a change that would
alter a column type BI tools rely on is refused before the mart is touched.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest

from listening_pipeline.settings import DBT_PROJECT_DIR
from listening_pipeline.warehouse import DuckDBWarehouse
from listening_pipeline.warehouse.dbt_build import window_build
from listening_pipeline.warehouse.ddl import FRESHNESS_ERROR_AFTER_HOURS, FRESHNESS_WARN_AFTER_HOURS
from listening_pipeline.warehouse.tables import ALL_TABLES, LOADED_AT, SENTIMENT, TEXT_UNITS
from listening_pipeline_tests.marts import MART_KEYS
from listening_pipeline_tests.test_brand_marts import START, Dbt, write_synthetic_warehouse

DAILY = {name for name, table in ALL_TABLES.items() if table.written_daily}
EXPOSURES = {
    "brand_health",
    "share_of_voice_dashboard",
    "hashtag_monitor",
    "brand_alerts_channel",
    "social_vs_first_party_dashboard",
    "sounds_and_effects_monitor",
    "campaign_dashboard",
    "audience_reaction_monitor",
}


@pytest.fixture(scope="module")
def daily_run(tmp_path_factory) -> tuple[DuckDBWarehouse, Dbt]:
    """A warehouse as a daily run leaves it: rows just written to every table the run writes."""
    root = tmp_path_factory.mktemp("dbt_project")
    store = DuckDBWarehouse(root / "warehouse.duckdb")
    raw = write_synthetic_warehouse(store)
    video = raw["videos"].row(0, named=True)
    unit = {"hashtag": video["hashtag"], "day": video["day"], "video_id": video["video_id"]}
    unit_id = f"{video['video_id']}:description:0"
    store.replace_table(
        TEXT_UNITS, TEXT_UNITS.frame([{**unit, "unit_id": unit_id, "origin": "description", "text": "so good"}])
    )
    store.replace_table(
        SENTIMENT,
        SENTIMENT.frame(
            [{**unit, "unit_id": unit_id, "label": "positive", "score": 0.9, "polarity": 0.8, "model": "t"}]
        ),
    )
    return store, Dbt(store.path, root)


def _freshness(dbt: Dbt) -> tuple[int, dict[str, dict]]:
    result = dbt("source", "freshness", check=False)
    report = json.loads((dbt.workdir / "target" / "sources.json").read_text())
    return result.returncode, {r["unique_id"].rsplit(".", 1)[-1]: r for r in report["results"]}


def _age_loads(store: DuckDBWarehouse, table: str, hours: int) -> None:
    """Pretend the table's last write was ``hours`` ago (the daily run stopped)."""
    con = duckdb.connect(str(store.path))
    try:
        con.execute(f"update raw.{table} set {LOADED_AT} = now() - interval '{hours} hours'")
    finally:
        con.close()


def test_source_freshness_passes_after_a_daily_run_warns_when_late_and_errors_after_a_missed_day(daily_run):
    store, dbt = daily_run
    code, results = _freshness(dbt)
    assert code == 0
    # Only the tables every daily run writes are checked (not the catalog, quarantine or the alert ledger).
    assert set(results) == DAILY == {"videos", "video_stats_snapshots", "text_units", "sentiment", "brand_mentions"}
    assert {r["status"] for r in results.values()} == {"pass"}
    assert all(r["max_loaded_at_time_ago_in_s"] < 3600 for r in results.values())

    _age_loads(store, "videos", FRESHNESS_WARN_AFTER_HOURS + 2)  # today's run is late
    code, results = _freshness(dbt)
    assert code == 0 and results["videos"]["status"] == "warn"
    assert results["sentiment"]["status"] == "pass"

    _age_loads(store, "videos", FRESHNESS_ERROR_AFTER_HOURS + 2)  # a whole day was missed
    code, results = _freshness(dbt)
    assert code == 1 and results["videos"]["status"] == "error"


def test_exposures_name_the_dashboards_that_read_every_mart(daily_run):
    _, dbt = daily_run
    listed = dbt("ls", "--resource-type", "exposure", "--output", "json", "--quiet").stdout
    exposures = {e["name"]: e for e in map(json.loads, listed.splitlines())}
    assert set(exposures) == EXPOSURES

    manifest = json.loads((dbt.workdir / "target" / "manifest.json").read_text())
    read = set()
    for name in EXPOSURES:
        exposure = manifest["exposures"][f"exposure.listening_pipeline.{name}"]
        assert exposure["owner"]["name"] and exposure["owner"]["email"], name
        assert exposure["url"].startswith("https://") and exposure["description"], name
        read |= {node.rsplit(".", 1)[-1] for node in exposure["depends_on"]["nodes"]}
    assert set(MART_KEYS) <= read  # no mart is built for nobody
    assert "alert_deliveries" in read  # the alert sensor also reads its ledger


def test_every_mart_is_public_and_held_to_a_typed_contract(daily_run):
    _, dbt = daily_run
    dbt("parse")
    manifest = json.loads((dbt.workdir / "target" / "manifest.json").read_text())
    in_project = {
        n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "marts"
    }
    assert in_project == set(MART_KEYS), "listening_pipeline_tests/marts.py lists every mart, with its key"
    for mart in MART_KEYS:
        node = manifest["nodes"][f"model.listening_pipeline.{mart}"]
        assert node["config"]["contract"]["enforced"], mart
        assert node["config"]["on_schema_change"] == "append_new_columns", mart
        assert node["access"] == "public", mart
        assert node["columns"] and all(c["data_type"] for c in node["columns"].values()), mart


def test_a_mart_whose_sql_drifts_from_its_contract_is_refused_before_it_is_built(daily_run, tmp_path):
    """The alert sensor reads brand_alerts.mentions as a BIGINT: an INTEGER there stops the build."""
    store, _ = daily_run
    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    model = project / "models" / "marts" / "brand_alerts.sql"
    sql = model.read_text()
    assert "cast(a.mentions as bigint) as mentions" in sql
    model.write_text(sql.replace("cast(a.mentions as bigint) as mentions", "cast(a.mentions as integer) as mentions"))

    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(store.path, copy)
    result = Dbt(copy, tmp_path, project_dir=project)("run", "--select", "+brand_alerts", check=False)
    assert result.returncode != 0
    assert "enforced contract" in result.stdout and "data type mismatch" in result.stdout
    built = DuckDBWarehouse(copy).query(
        "select table_name from information_schema.tables where table_schema = 'marts'", missing_ok=True
    )
    assert "brand_alerts" not in built["table_name"].to_list()


def test_each_new_day_builds_with_its_own_window_and_no_reparse(daily_run, tmp_path):
    """Dagster gives dbt each day's window in the environment (window_build): the project is parsed once,
    a new day re-parses no file (about a second a partition), and the SQL that runs reads the new day."""
    store, _ = daily_run
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(store.path, copy)
    dbt = Dbt(copy, tmp_path)
    base_env = dict(dbt.env)
    log = tmp_path / "logs" / "dbt.log"
    mart = tmp_path / "target" / "compiled" / "listening_pipeline" / "models" / "marts" / "hashtag_daily_metrics.sql"
    for n, day in enumerate((START, START + dt.timedelta(days=1), START + dt.timedelta(days=2))):
        build = window_build(day, day + dt.timedelta(days=1))
        dbt.env = {**base_env, **build.env}
        before = log.read_text(encoding="utf-8") if log.exists() else ""
        dbt("compile", "--select", "hashtag_daily_metrics")
        parse_log = log.read_text(encoding="utf-8")[len(before) :]
        if n:  # the first call parses the project; the days after it re-parse nothing
            assert "Partial parsing enabled, no changes found, skipping parsing" in parse_log
        end = day + dt.timedelta(days=1)
        assert f"day >= cast('{day}' as date) and day < cast('{end}' as date)" in mart.read_text(encoding="utf-8")
