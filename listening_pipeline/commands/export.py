"""`listening-pipeline export`: any mart as CSV, Parquet or Excel, for a day window and one brand.

For people who live in spreadsheets: the filters run in the warehouse (a mart of years is not read to
keep a week), nested values become JSON text where the format has none, and every mart is read and
checked before any file is written, so a mistake in the arguments writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from listening_pipeline.commands.common import CliError
from listening_pipeline.lib.reports import MART_VIEWS

MARTS = tuple(MART_VIEWS)
FORMATS = ("csv", "parquet", "xlsx")
EXCEL_MAX_ROWS = 1_048_575  # a worksheet's 1,048,576 rows, less the header


@dataclass(frozen=True)
class Window:
    """Which rows of a mart to export: days from ``start`` to ``end`` (inclusive, either open) and one brand."""

    start: dt.date | None = None
    end: dt.date | None = None
    brand: str | None = None  # the catalog's spelling

    @property
    def filtered(self) -> bool:
        return self.start is not None or self.end is not None or self.brand is not None


def parse_day(value: str | None, flag: str) -> dt.date | None:
    """A YYYY-MM-DD day, or a one-line error naming the flag."""
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise CliError(f"{flag} must be a day written YYYY-MM-DD (e.g. 2026-10-31), not {value!r}")
    return day


def make_window(start: str | None, end: str | None, brand: str | None, brands: list[str]) -> Window:
    """The window the flags ask for; ``brand`` is matched case-insensitively against the catalog's ``brands``."""
    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    if first and last and first > last:
        raise CliError(f"--start {first} is after --end {last}: the window would be empty")
    if brand is None:
        return Window(first, last)
    by_folded = {name.casefold(): name for name in brands}
    name = by_folded.get(brand.strip().casefold())
    if name is None:
        raise CliError(f"unknown brand {brand!r}: the catalog has {', '.join(sorted(brands, key=str.casefold))}")
    return Window(first, last, name)


def read_mart(store: Any, name: str, window: Window = Window()) -> pl.DataFrame:
    """The rows of ``marts.<name>`` in ``window``, in the mart's usual order; a mart never built is an error."""
    if name not in MART_VIEWS:
        raise CliError(f"unknown mart {name!r}: choose from {', '.join(MARTS)}")
    columns = mart_columns(store, name)
    if not columns:
        raise CliError(f"marts.{name} does not exist yet: run `listening-pipeline backfill` (or `demo`) first")
    where: list[str] = []
    params: list[object] = []
    if window.start is not None or window.end is not None:
        if "day" not in columns:
            raise CliError(f"marts.{name} has no day column: export it without --start/--end")
    if window.start is not None:
        where.append(f"day >= {store.param}")
        params.append(window.start)
    if window.end is not None:
        where.append(f"day <= {store.param}")
        params.append(window.end)
    if window.brand is not None:
        if "brand" not in columns:
            raise CliError(f"marts.{name} has no brand column (it is not per brand): export it without --brand")
        where.append(f"brand = {store.param}")
        params.append(window.brand)
    sql = f"select * from marts.{name}"
    if where:
        sql += " where " + " and ".join(where)
    return store.query(f"{sql} order by {MART_VIEWS[name].order_by}", params)


def csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV and Excel have no nested values: list and struct columns become JSON text."""
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    return frame.with_columns(
        pl.col(name).map_elements(lambda v: json.dumps(_plain(v), ensure_ascii=False), return_dtype=pl.String)
        for name in nested
    )


def excel_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Excel also has no time zones: zoned timestamps are written in UTC (the warehouse's zone)."""
    zoned = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime) and dtype.time_zone]
    return csv_ready(frame).with_columns(
        pl.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None) for name in zoned
    )


def _plain(value: Any) -> Any:
    return value.to_list() if isinstance(value, pl.Series) else value


def _write(frame: pl.DataFrame, fmt: str, path: Path, sheet: str) -> None:
    if fmt == "csv":
        csv_ready(frame).write_csv(path)
    elif fmt == "parquet":
        frame.write_parquet(path)
    else:
        excel_ready(frame).write_excel(path, worksheet=sheet, autofit=True, freeze_panes=(1, 0))


def export_marts(
    store: Any, names: list[str], fmt: str, out: Path, window: Window = Window()
) -> list[tuple[str, Path, int]]:
    """Write each mart's rows in ``window`` to ``out/<name>.<fmt>``; (name, path, rows) per mart.

    All are read and checked before any is written: an unknown mart, a missing one, a filter a mart
    cannot take or a sheet too long for Excel leaves ``out`` as it was."""
    if fmt not in FORMATS:
        raise CliError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    frames = {name: read_mart(store, name, window) for name in dict.fromkeys(names)}
    if fmt == "xlsx":
        for name, frame in frames.items():
            if frame.height > EXCEL_MAX_ROWS:
                raise CliError(
                    f"marts.{name} has {frame.height} rows in the window, more than an Excel sheet holds"
                    f" ({EXCEL_MAX_ROWS}): narrow --start/--end or use csv or parquet"
                )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        path = out / f"{name}.{fmt}"
        _write(frame, fmt, path, name)
        written.append((name, path, frame.height))
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The export command's arguments (cli.py builds the subcommand and calls this)."""
    parser.description = (
        "Write each MART (default: all) to <out>/<mart>.<format>: only the days from --start to --end (inclusive)"
        " and, with --brand, one catalog brand's rows. Lists and JSON become JSON text in csv and xlsx."
    )
    parser.add_argument("marts", nargs="*", metavar="MART", help=f"marts to export (default: all): {', '.join(MARTS)}")
    parser.add_argument("--table", action="append", default=[], metavar="MART", help="a mart to export (repeatable)")
    parser.add_argument("--start", help="first day, YYYY-MM-DD (default: the first day in the mart)")
    parser.add_argument("--end", help="last day, YYYY-MM-DD, inclusive (default: the last day in the mart)")
    parser.add_argument(
        "--brand", help="only this catalog brand's rows (any letter case); only marts with a brand column"
    )
    parser.add_argument("--format", choices=FORMATS, default="csv", help="file format (default: csv)")
    parser.add_argument("--out", help="folder to write (default: <data dir>/exports)")


def run(args: argparse.Namespace, settings: Any, store: Any) -> int:
    """Export what the arguments ask for and print one line per file written."""
    brands: list[str] = []
    if args.brand is not None:
        from listening_pipeline.catalog import load_catalog

        brands = [b.name for b in load_catalog(settings.catalog_path).brands]
    window = make_window(args.start, args.end, args.brand, brands)
    names = [*args.marts, *args.table] or list(MARTS)
    if window.brand is not None and not (args.marts or args.table):
        # "All" with --brand: the per-brand marts (a missing one stays, to be reported).
        names = [name for name in names if "brand" in (mart_columns(store, name) or ["brand"])]
    out = Path(args.out or settings.data_dir / "exports")
    for name, path, rows in export_marts(store, names, args.format, out, window):
        print(f"{name}: {rows} row(s) -> {path}")
    return 0


def mart_columns(store: Any, name: str) -> list[str]:
    """The columns of ``marts.<name>``; none when it was never built."""
    return store.query(f"select * from marts.{name} where 1 = 0", missing_ok=True).columns
