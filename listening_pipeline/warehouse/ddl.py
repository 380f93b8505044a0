"""The table declarations as SQL: DDL for DuckDB and PostgreSQL, and dbt's sources.yml.

Both are derived from :mod:`listening_pipeline.warehouse.tables`, the single schema source, so the
warehouse, the Great Expectations suites and dbt never disagree on a column. The stored tables add
the load timestamp (``loaded_at``) to the declared columns; dbt's source freshness reads it.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from listening_pipeline.warehouse.tables import (
    ALL_TABLES,
    LOADED_AT,
    RAW_SCHEMA,
    Table,
)

# Source freshness of the tables every daily run writes: a run more than 6 hours late warns, a whole
# missed day (plus the same slack) is an error.
FRESHNESS_WARN_AFTER_HOURS = 30
FRESHNESS_ERROR_AFTER_HOURS = 54


def sql_type(dtype: Any, dialect: str) -> str:
    """The column type of a polars dtype in ``dialect`` ('duckdb' or 'postgres')."""
    if isinstance(dtype, pl.List):
        return sql_type(dtype.inner, dialect) + "[]"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    names = {
        pl.String: "TEXT",
        pl.Date: "DATE",
        pl.Int64: "BIGINT",
        pl.Int32: "INTEGER",
        pl.Float64: "DOUBLE PRECISION" if dialect == "postgres" else "DOUBLE",
        pl.Float32: "REAL",
        pl.Boolean: "BOOLEAN",
    }
    for polars_type, name in names.items():
        if isinstance(dtype, polars_type):
            return name
    raise TypeError(f"no warehouse type for polars dtype {dtype}")


def create_table_sql(table: Table, dialect: str) -> str:
    cols = ",\n  ".join(
        f'"{name}" {sql_type(dtype, dialect)}' + (" NOT NULL" if name in table.not_null else "")
        for name, dtype in table.stored_schema.items()
    )
    return f'CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}."{table.name}" (\n  {cols}\n)'


def dbt_sources_yaml() -> str:
    """``dbt/models/sources.yml`` rendered from the tables above (a test keeps the file in sync)."""
    import yaml

    tables = []
    for table in ALL_TABLES.values():
        config: dict[str, Any] = {"meta": {"dagster": {"asset_key": [table.name]}}}
        if not table.written_daily:
            config["freshness"] = None  # may rightly stay unchanged for days
        tables.append(
            {
                "name": table.name,
                "description": table.description,
                "config": config,
                "columns": [
                    {"name": name, "description": text, "data_type": sql_type(dtype, "duckdb").lower()}
                    for name, (dtype, text) in table.stored_columns.items()
                ],
            }
        )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": RAW_SCHEMA,
                "description": (
                    "Tables written by the Python assets (listening_pipeline.warehouse.tables declares them). "
                    f"`dbt source freshness` reads {LOADED_AT}, stamped by the warehouse on every write, "
                    "for the tables each daily run writes."
                ),
                "config": {
                    "loaded_at_field": LOADED_AT,
                    "freshness": {
                        "warn_after": {"count": FRESHNESS_WARN_AFTER_HOURS, "period": "hour"},
                        "error_after": {"count": FRESHNESS_ERROR_AFTER_HOURS, "period": "hour"},
                    },
                },
                "tables": tables,
            }
        ],
    }
    header = (
        "# Generated from listening_pipeline/warehouse/tables.py by `listening-pipeline dbt-sources`; do not edit.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)
