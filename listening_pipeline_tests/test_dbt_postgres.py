"""The same raw tables on PostgreSQL build the same marts with dbt's postgres target, row for row."""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl

from listening_pipeline.lib.evidence_report import alerting_brands, write_evidence_report
from listening_pipeline.lib.insights import summary_lines
from listening_pipeline.lib.reports import metrics_tables, write_report
from listening_pipeline.settings import DBT_PROJECT_DIR
from listening_pipeline.warehouse import DuckDBWarehouse, PostgresWarehouse
from listening_pipeline.warehouse.tables import ALL_TABLES
from listening_pipeline_tests.marts import BRAND_MARTS, MART_KEYS
from listening_pipeline_tests.postgres import warehouse_env


# Every mart with its key (the order rows are compared in).
def _same_json(text: str) -> str:
    """JSON text as one engine would write it: PostgreSQL writes 3.0 as 3 and puts spaces around colons."""
    return json.dumps(json.loads(text, parse_int=float, parse_float=lambda v: round(float(v), 9)), sort_keys=True)


def _comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """Same rows, same types on both engines: integers as Int64, decimals and floats rounded, JSON text
    (an alert's top_evidence) as the same JSON whatever spacing each engine writes."""
    casts = []
    for name, dtype in frame.schema.items():
        if name == "top_evidence":
            casts.append(pl.col(name).map_elements(_same_json, return_dtype=pl.String))
        elif dtype.is_integer():
            casts.append(pl.col(name).cast(pl.Int64))
        elif dtype.is_float() or isinstance(dtype, pl.Decimal):
            casts.append(pl.col(name).cast(pl.Float64).round(9))
        else:
            casts.append(pl.col(name))
    return frame.select(casts)


def _dbt_build(tmp_path: Path, env: dict[str, str]) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [
            str(dbt),
            "build",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def _postgres_env(dsn: str) -> dict[str, str]:
    return {"LISTENING_PIPELINE_DBT_TARGET": "postgres", **warehouse_env(dsn)}


def _assert_same_marts(duck, pg, may_be_empty=frozenset(), days=None) -> None:
    for mart, key in MART_KEYS.items():
        order = ", ".join(key)
        # Sorted here too: PostgreSQL orders text by its locale, DuckDB by bytes.
        expected = _comparable(duck.query(f"select * from marts.{mart} order by {order}")).sort(key)
        actual = _comparable(pg.query(f"select * from marts.{mart} order by {order}")).sort(key)
        if days is not None and "day" in expected.columns:  # social_vs_first_party reads every day
            expected = expected.filter(pl.col("day").is_in(sorted(days)))
            actual = actual.filter(pl.col("day").is_in(sorted(days)))
        assert expected.height > 0 or mart in may_be_empty, mart
        assert actual.columns == expected.columns, mart
        if not actual.equals(expected):
            only_duck = expected.join(actual, on=key, how="anti")
            only_pg = actual.join(expected, on=key, how="anti")
            raise AssertionError(
                f"{mart} differs between DuckDB and PostgreSQL: only in DuckDB {only_duck.head(8)}, "
                f"only in PostgreSQL {only_pg.head(8)}"
            )


def test_postgres_marts_match_duckdb_row_by_row(collected_sample, postgres_db, tmp_path, warehouse):
    # A copy of the session's warehouse, built again whole: other tests may have written raw rows to it
    # since its marts were built, and both engines must start from the same rows.
    duck = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    shutil.copyfile(warehouse.path, duck.path)
    _dbt_build(
        tmp_path / "duckdb",
        {"LISTENING_PIPELINE_DBT_TARGET": "duckdb", "LISTENING_PIPELINE_DUCKDB_PATH": str(duck.path)},
    )
    pg = PostgresWarehouse(postgres_db)
    for table in ALL_TABLES.values():
        pg.replace_table(table, duck.read_table(table))

    _dbt_build(tmp_path / "postgres", _postgres_env(postgres_db))
    # The sample's days only: the reliability tests add hostile partitions of their own to the session.
    _assert_same_marts(duck, pg, may_be_empty=BRAND_MARTS, days={d for _, d in collected_sample})
    # What `listening-pipeline metrics` prints reads the marts with its own SQL: it must run on production's engine.
    lines = summary_lines(pg)
    assert not [line for line in lines if "not built yet" in line], lines


def test_postgres_brand_marts_match_duckdb_on_a_history_with_an_alert(postgres_db, tmp_path):
    """The brand marts (shares, ranks, trends, the alert and its id) agree on both engines."""
    from listening_pipeline_tests.test_brand_marts import write_synthetic_warehouse

    duck = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    write_synthetic_warehouse(duck)
    _dbt_build(
        tmp_path / "duckdb",
        {"LISTENING_PIPELINE_DBT_TARGET": "duckdb", "LISTENING_PIPELINE_DUCKDB_PATH": str(duck.path)},
    )
    pg = PostgresWarehouse(postgres_db)
    write_synthetic_warehouse(pg)
    _dbt_build(tmp_path / "postgres", _postgres_env(postgres_db))

    _assert_same_marts(duck, pg)
    assert pg.query("select count(*) as n from marts.brand_alerts").item() == 1

    # What people read from the marts (`metrics`, `report`, the alert's evidence page, the insight lines) runs
    # its own SQL: on production's engine it must say what it says on DuckDB.
    for name, frame in metrics_tables(duck).items():
        assert metrics_tables(pg)[name].equals(frame), name
    assert summary_lines(pg) == summary_lines(duck)
    [(brand, day)] = alerting_brands(pg, dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    pages = [write_evidence_report(w, None, brand, day, tmp_path / name) for name, w in (("d", duck), ("p", pg))]
    assert pages[0].mentions > 0 and pages[0].alert
    assert pages[1].path.read_text(encoding="utf-8") == pages[0].path.read_text(encoding="utf-8")
    reports = [write_report(w, tmp_path / f"report-{name}", day) for name, w in (("d", duck), ("p", pg))]
    assert reports[1].read_text(encoding="utf-8") == reports[0].read_text(encoding="utf-8")


def test_overlapping_dbt_runs_on_postgres_never_duplicate_mart_rows(postgres_db, tmp_path):
    """Two dbt runs over the same days at once (a schedule and a backfill, two automation ticks): each
    mart's window is deleted and refilled under a per-model lock, so the rows are those of one run."""
    from listening_pipeline_tests.test_brand_marts import write_synthetic_warehouse

    pg = PostgresWarehouse(postgres_db)
    write_synthetic_warehouse(pg)
    env = _postgres_env(postgres_db)
    _dbt_build(tmp_path / "first", env)
    once = {mart: _comparable(pg.query(f"select * from marts.{mart}")).sort(key) for mart, key in MART_KEYS.items()}

    dbt = Path(sys.executable).with_name("dbt")
    runs = [
        subprocess.Popen(
            [
                str(dbt),
                "run",
                "--select",
                "marts",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(tmp_path / f"run{n}" / "target"),
                "--log-path",
                str(tmp_path / f"run{n}" / "logs"),
            ],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in range(3)
    ]
    for run in runs:
        output, _ = run.communicate(timeout=600)
        assert run.returncode == 0, output[-4000:]
    for mart, key in MART_KEYS.items():
        again = _comparable(pg.query(f"select * from marts.{mart}")).sort(key)
        assert again.equals(once[mart]), f"{mart}: overlapping runs changed its rows"
