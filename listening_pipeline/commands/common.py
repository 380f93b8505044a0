"""What every command shares: one-line user errors and the warehouse, opened for reading."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from listening_pipeline.runs import open_warehouse
from listening_pipeline.settings import Settings


class CliError(Exception):
    """A mistake the user can fix, reported as one line without a traceback."""


def notice(message: str) -> None:
    """A note on stderr (stdout stays for results), e.g. while waiting for the DuckDB lock."""
    print(f"note: {message}", file=sys.stderr, flush=True)


def read_warehouse(settings: Settings) -> Any:
    """The warehouse the settings name, for reading; a DuckDB file that does not exist is an error, never created."""
    if settings.warehouse == "duckdb" and not Path(settings.duckdb_path).exists():
        raise CliError(f"no warehouse at {settings.duckdb_path}: run `listening-pipeline demo` or a backfill first")
    return open_warehouse(settings, notice)


def warehouse_name(settings: Settings) -> str:
    """Where the warehouse is, for messages (never the PostgreSQL password)."""
    if settings.warehouse == "postgres":
        return f"PostgreSQL {settings.pg_host}:{settings.pg_port}/{settings.pg_database}"
    return f"DuckDB {settings.duckdb_path}"
