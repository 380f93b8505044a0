"""The same raw tables on PostgreSQL build the same marts with dbt's postgres target, row for row."""

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
from psycopg2.extensions import parse_dsn

from listening_pipeline.settings import DBT_PROJECT_DIR
from listening_pipeline.tables import ALL_TABLES
from listening_pipeline.warehouse import PostgresWarehouse

MARTS = {"hashtag_daily_metrics": ["hashtag", "day"], "brand_daily_metrics": ["brand", "day", "hashtag"]}


def _comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """Same rows, same types on both engines: integers as Int64, decimals and floats rounded."""
    casts = []
    for name, dtype in frame.schema.items():
        if dtype.is_integer():
            casts.append(pl.col(name).cast(pl.Int64))
        elif dtype.is_float() or isinstance(dtype, pl.Decimal):
            casts.append(pl.col(name).cast(pl.Float64).round(9))
        else:
            casts.append(pl.col(name))
    return frame.select(casts)


def test_postgres_marts_match_duckdb_row_by_row(collected_sample, postgres_db, tmp_path):
    from listening_pipeline.definitions import warehouse

    duck = warehouse.get()
    pg = PostgresWarehouse(postgres_db)
    for table in ALL_TABLES.values():
        pg.replace_table(table, duck.read_table(table))

    params = parse_dsn(postgres_db)
    env = {
        **os.environ,
        "LISTENING_PIPELINE_DBT_TARGET": "postgres",
        "LISTENING_PIPELINE_PG_HOST": params["host"],
        "LISTENING_PIPELINE_PG_PORT": params["port"],
        "LISTENING_PIPELINE_PG_USER": params["user"],
        "LISTENING_PIPELINE_PG_DATABASE": params["dbname"],
        "LISTENING_PIPELINE_PG_PASSWORD": "",
    }
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]

    for mart, key in MARTS.items():
        order = ", ".join(key)
        expected = _comparable(duck.query(f"select * from marts.{mart} order by {order}"))
        actual = _comparable(pg.query(f"select * from marts.{mart} order by {order}"))
        assert expected.height > 0 or mart == "brand_daily_metrics", mart  # brands need the enrichment run
        assert actual.columns == expected.columns, mart
        assert actual.equals(expected), f"{mart} differs between DuckDB and PostgreSQL"
