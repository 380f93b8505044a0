"""`listening-pipeline export`: the marts BI tools read, as CSV or Parquet files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from listening_pipeline.commands.common import CliError
from listening_pipeline.lib.reports import MART_VIEWS

MARTS = tuple(MART_VIEWS)
FORMATS = ("csv", "parquet")


def read_mart(store: Any, name: str) -> pl.DataFrame:
    """Every row of ``marts.<name>``, in the mart's usual order; a mart never built is an error."""
    if name not in MART_VIEWS:
        raise CliError(f"unknown mart {name!r}: choose from {', '.join(MARTS)}")
    frame = store.query(f"select * from marts.{name} order by {MART_VIEWS[name].order_by}", missing_ok=True)
    if frame.width == 0:
        raise CliError(f"marts.{name} does not exist yet: run `listening-pipeline backfill` (or `demo`) first")
    return frame


def csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no nested values: list and struct columns become JSON text."""
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    return frame.with_columns(
        pl.col(name).map_elements(lambda v: json.dumps(_plain(v), ensure_ascii=False), return_dtype=pl.String)
        for name in nested
    )


def _plain(value: Any) -> Any:
    return value.to_list() if isinstance(value, pl.Series) else value


def export_marts(store: Any, names: list[str], fmt: str, out: Path) -> list[tuple[str, Path, int]]:
    """Write each mart to ``out/<name>.<fmt>``; (name, path, rows) per mart. All are read before any is written."""
    if fmt not in FORMATS:
        raise CliError(f"unknown format {fmt!r}: choose csv or parquet")
    frames = {name: read_mart(store, name) for name in names}
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            csv_ready(frame).write_csv(path)
        else:
            frame.write_parquet(path)
        written.append((name, path, frame.height))
    return written
