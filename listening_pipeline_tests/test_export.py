"""`listening-pipeline export` as a spreadsheet user runs it, on the session's built history warehouse:
one brand's days, in each format, read back and compared with the mart's own rows.

The history (two quiet weeks, then the Mokka Mia complaint wave) is built once per session
(``history_template``); these tests only read its DuckDB file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from listening_pipeline.cli import main as cli
from listening_pipeline.commands.export import csv_ready, excel_ready
from listening_pipeline.warehouse import DuckDBWarehouse

pytestmark = pytest.mark.slow

BRAND = "Mokka Mia"
PER_BRAND = ("brand_daily_metrics", "brand_alerts", "mention_evidence")
XLSX = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@pytest.fixture(scope="module")
def history(history_template, tmp_path_factory):
    """A copy of the built history's warehouse and the window of its last week (the template itself is
    copied by other workers' tests while these run: nothing here may open it)."""
    copy = tmp_path_factory.mktemp("export-history") / "warehouse.duckdb"
    shutil.copyfile(history_template / "var" / "warehouse.duckdb", copy)
    store = DuckDBWarehouse(copy)
    days = store.query("select distinct day from marts.brand_daily_metrics where brand = ? order by day", [BRAND])
    assert days.height >= 3, "the history has Mokka Mia on several days"
    return store, days["day"][-3], days["day"][-1]


@pytest.fixture
def export(history, tmp_path, monkeypatch, capsys):
    """Run `listening-pipeline export ...` on the history warehouse: (exit status, stdout, stderr)."""
    store, _, _ = history
    monkeypatch.setenv("LISTENING_PIPELINE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LISTENING_PIPELINE_DUCKDB_PATH", str(store.path))

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = cli(["export", *argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def _expected(store, mart: str, first: dt.date, last: dt.date, brand: str | None) -> pl.DataFrame:
    """The mart's rows in the window, filtered here in polars (not by the export's SQL)."""
    frame = store.query(f"select * from marts.{mart}").filter(pl.col("day").is_between(first, last))
    return frame.filter(pl.col("brand") == brand) if brand else frame


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort([c for c, t in frame.schema.items() if t.is_numeric() or t in (pl.String, pl.Date)])


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_one_brands_week_reads_back_as_the_marts_rows(fmt, history, export, tmp_path):
    store, first, last = history
    out = tmp_path / "out"
    status, printed, _ = export(*PER_BRAND, "--start", str(first), "--end", str(last))
    assert status == 0  # no --brand: every brand's rows
    status, printed, err = export(
        *PER_BRAND,
        "--start",
        str(first),
        "--end",
        str(last),
        "--brand",
        BRAND.upper(),
        "--format",
        fmt,
        "--out",
        str(out),
    )
    assert status == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{m}.{fmt}" for m in PER_BRAND)
    for mart in PER_BRAND:
        expected = _expected(store, mart, first, last, BRAND)
        assert f"{mart}: {expected.height} row(s) -> {out / f'{mart}.{fmt}'}" in printed
        path = out / f"{mart}.{fmt}"
        if fmt == "parquet":
            assert_frame_equal(_sorted(pl.read_parquet(path)), _sorted(expected))
        elif fmt == "csv":
            want = csv_ready(expected)
            assert_frame_equal(_sorted(pl.read_csv(path, schema=want.schema)), _sorted(want))
        else:
            want = excel_ready(expected)
            header, rows = _xlsx_cells(path)
            assert header == want.columns
            assert sorted(rows, key=repr) == sorted((_as_excel(r, want.schema) for r in want.rows()), key=repr)
    assert _expected(store, "brand_daily_metrics", first, last, BRAND).height > 0, "the window has rows to export"


def test_with_brand_and_no_mart_every_per_brand_mart_is_written(history, export, tmp_path):
    store, first, last = history
    out = tmp_path / "out"
    status, _, err = export("--brand", "mokka mia", "--start", str(first), "--out", str(out))
    assert status == 0, err
    written = {p.stem for p in out.iterdir()}
    assert "brand_daily_metrics" in written and not written & {"hashtag_daily_metrics", "hashtag_trends"}
    frame = pl.read_csv(out / "brand_daily_metrics.csv", try_parse_dates=True)
    assert set(frame["brand"]) == {BRAND} and frame["day"].min() >= first


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--start", "2026-13-01"], "--start must be a day written YYYY-MM-DD (e.g. 2026-10-31), not '2026-13-01'"),
        (["--end", "31/10/2026"], "--end must be a day written YYYY-MM-DD"),
        (["--start", "2026-11-02", "--end", "2026-11-01"], "--start 2026-11-02 is after --end 2026-11-01"),
        (["--brand", "Nobody"], "unknown brand 'Nobody': the catalog has Bubblo, Café Brisa, Fizzly, Mokka Mia,"),
        (["hashtag_trends", "--brand", BRAND], "marts.hashtag_trends has no brand column"),
        (
            ["brand_daily_metrics", "hashtag_daily_metrics", "--brand", BRAND],
            "marts.hashtag_daily_metrics has no brand",
        ),
        (["no_such_mart"], "unknown mart 'no_such_mart': choose from brand_daily_metrics,"),
    ],
)
def test_a_mistake_is_one_line_and_writes_nothing(argv, message, export, tmp_path):
    out = tmp_path / "out"
    status, printed, err = export(*argv, "--out", str(out))
    assert (status, printed) == (2, "")
    assert err.count("\n") == 1 and message in err, err
    assert not out.exists()


def _xlsx_cells(path: Path) -> tuple[list, list[tuple]]:
    """The first sheet of an .xlsx file as (header, rows), read from its XML: no Excel reader is needed."""
    with zipfile.ZipFile(path) as book:
        names = book.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            for si in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).iter(f"{XLSX}si"):
                shared.append("".join(t.text or "" for t in si.iter(f"{XLSX}t")))
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    table = []
    for row in sheet.iter(f"{XLSX}row"):
        cells: dict[int, object] = {}
        for cell in row.iter(f"{XLSX}c"):
            column = _column_index(cell.attrib["r"])
            kind, value = cell.attrib.get("t", "n"), cell.find(f"{XLSX}v")
            if kind == "inlineStr":
                cells[column] = "".join(t.text or "" for t in cell.iter(f"{XLSX}t"))
            elif value is None:
                continue
            elif kind == "s":
                cells[column] = shared[int(value.text or 0)]
            elif kind == "b":
                cells[column] = value.text == "1"
            elif kind == "str":
                cells[column] = value.text or ""
            else:
                cells[column] = round(float(value.text or 0), 9)
        table.append(cells)
    width = max(table[0]) + 1
    header = [table[0].get(i) for i in range(width)]
    return header, [tuple(r.get(i) for i in range(width)) for r in table[1:]]


def _column_index(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    assert letters
    index = 0
    for ch in letters.group():
        index = index * 26 + ord(ch) - ord("A") + 1
    return index - 1


def _as_excel(row: tuple, schema: pl.Schema) -> tuple:
    """A mart row as Excel stores it: numbers as floats, days as serial numbers, no value as no cell."""
    epoch = dt.datetime(1899, 12, 30)
    out: list[object] = []
    for value, dtype in zip(row, schema.values(), strict=True):
        if value is None or (isinstance(value, str) and value == "" and dtype == pl.String):
            out.append(None)
        elif isinstance(value, bool):
            out.append(value)
        elif isinstance(value, dt.datetime):
            out.append(round((value - epoch).total_seconds() / 86400, 9))
        elif isinstance(value, dt.date):
            out.append(float((value - epoch.date()).days))
        elif isinstance(value, int | float):
            out.append(round(float(value), 9))
        else:
            out.append(str(value) if not isinstance(value, dict | list) else json.dumps(value))
    return tuple(out)
