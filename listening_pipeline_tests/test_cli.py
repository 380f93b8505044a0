"""The CLI as a user meets it: --version, help everywhere, one-line errors, the configured warehouse.

Fast on purpose: no model loading and no backfills (those are in test_backfill_and_media.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import time
from importlib.metadata import version

import pytest
from psycopg2.extensions import parse_dsn

from listening_pipeline.cli import build_parser
from listening_pipeline.cli import main as cli
from listening_pipeline.progress import StepProgress
from listening_pipeline.runs import progress_line
from listening_pipeline.warehouse import PostgresWarehouse


def _subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every (path, parser, help line) below ``parser``, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, child in action.choices.items():
                yield (*path, name), child, helps.get(name)
                yield from _subcommands(child, (*path, name))


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"listening-pipeline {version('listening_pipeline')}"


def test_every_subcommand_and_option_has_help(capsys):
    commands = list(_subcommands(build_parser()))
    assert {("metrics",), ("report",), ("backfill",), ("hashtags", "sync"), ("models", "pull")} <= {
        path for path, _, _ in commands
    }
    for path, parser, help_line in commands:
        assert help_line, f"`{' '.join(path)}` has no help line in its parent's list"
        assert parser.description, f"`{' '.join(path)}` has no description"
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                assert action.help, f"`{' '.join(path)}` {action.dest} has no help"
        with pytest.raises(SystemExit) as done:
            cli([*path, "--help"])
        assert done.value.code == 0
        assert parser.description.split()[0] in capsys.readouterr().out


def test_misconfiguration_is_one_line_and_debug_adds_the_traceback(monkeypatch, capsys):
    monkeypatch.setenv("LISTENING_PIPELINE_WAREHOUSE", "sqlite")
    assert cli(["metrics"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: LISTENING_PIPELINE_WAREHOUSE must be")
    assert "Traceback" not in err and "--debug" in err

    assert cli(["--debug", "metrics"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("error: LISTENING_PIPELINE_WAREHOUSE must be")


def test_removing_an_untracked_hashtag_is_a_one_line_error(instance, capsys):
    assert cli(["hashtags", "remove", "never_tracked_tag"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not tracked: never_tracked_tag" in err


def test_refused_catalog_is_one_line(tmp_path, capsys):
    bad = tmp_path / "brands.yaml"
    bad.write_text("brands: [\n", encoding="utf-8")
    assert cli(["hashtags", "sync", "--catalog", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "nothing was added" in err


@pytest.mark.parametrize("command", [["metrics"], ["report"]])
def test_a_missing_duckdb_warehouse_is_an_error_and_stays_missing(command, tmp_path, monkeypatch, capsys):
    path = tmp_path / "nowhere" / "warehouse.duckdb"
    monkeypatch.setenv("LISTENING_PIPELINE_DUCKDB_PATH", str(path))
    out = tmp_path / "reports"
    assert cli([*command, *(["--out", str(out)] if command == ["report"] else [])]) == 2
    err = capsys.readouterr().err
    assert err == f"error: no warehouse at {path}: run `listening-pipeline demo` or a backfill first\n"
    assert not path.exists() and not path.parent.exists() and not out.exists()


def test_metrics_reads_the_postgres_warehouse(postgres_db, tmp_path, monkeypatch, capsys):
    pg = PostgresWarehouse(postgres_db)
    with pg.connect() as con, con.cursor() as cur:
        cur.execute("create schema marts")
        cur.execute(
            "create table marts.brand_daily_metrics (day date, hashtag text, brand text, mentioning_videos bigint,"
            " mentions bigint, speech_mentions bigint, caption_mentions bigint, logo_mentions bigint,"
            " description_mentions bigint, comment_mentions bigint, reach bigint, positive_mentions bigint,"
            " neutral_mentions bigint, negative_mentions bigint)"
        )
        cur.execute(
            "insert into marts.brand_daily_metrics values"
            " ('2024-03-05', 'pgtag', 'OnlyInPostgres', 2, 7, 1, 2, 1, 1, 2, 4321, 5, 1, 1),"
            " ('2024-03-05', 'other', 'OnlyInPostgres', 1, 3, 0, 1, 1, 1, 0, 1000, 1, 1, 1)"
        )
        cur.execute("create table marts.hashtag_daily_metrics (day date, hashtag text, videos bigint)")
        cur.execute("insert into marts.hashtag_daily_metrics values ('2024-03-05', 'pgtag', 9)")
        con.commit()
    dsn = parse_dsn(postgres_db)
    monkeypatch.setenv("LISTENING_PIPELINE_WAREHOUSE", "postgres")
    monkeypatch.setenv("LISTENING_PIPELINE_PG_HOST", dsn["host"])
    monkeypatch.setenv("LISTENING_PIPELINE_PG_PORT", dsn["port"])
    monkeypatch.setenv("LISTENING_PIPELINE_PG_USER", dsn["user"])
    monkeypatch.setenv("LISTENING_PIPELINE_PG_DATABASE", dsn["dbname"])
    monkeypatch.delenv("LISTENING_PIPELINE_PG_PASSWORD", raising=False)
    # A DuckDB path that does not exist: the command must not look there (nor create it).
    duckdb_path = tmp_path / "unused.duckdb"
    monkeypatch.setenv("LISTENING_PIPELINE_DUCKDB_PATH", str(duckdb_path))

    assert cli(["metrics"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    brand_row = next(line for line in captured.out.splitlines() if "OnlyInPostgres" in line)
    # Summed over both hashtags: 10 mentions, reach 5321, net sentiment (6 - 2) / 10.
    assert "2024-03-05" in brand_row and "10" in brand_row and "5321" in brand_row and "0.4" in brand_row
    assert "pgtag" in captured.out and "no alerts" in captured.out
    assert not duckdb_path.exists()


def test_progress_line_counts_and_estimates():
    started = time.monotonic() - 30
    line = progress_line(3, 12, started, f"{dt.date(2026, 11, 2)} #coffeetime", True)
    assert line.startswith("  [ 3/12] 2026-11-02 #coffeetime: ok")
    assert "elapsed 0:30" in line and "ETA 1:30" in line
    assert "FAILED" in progress_line(12, 12, started, "dbt", False) and "ETA 0:00" in progress_line(
        12, 12, started, "x", True
    )


MART_ROWS = {  # one row per mart: enough to see every mart written, in its own columns
    "brand_daily_metrics": "select DATE '2024-03-05' as day, 'pgtag' as hashtag, 'OnlyHere' as brand, 7 as mentions",
    "hashtag_daily_metrics": "select DATE '2024-03-05' as day, 'pgtag' as hashtag, 9 as videos",
    "share_of_voice": "select DATE '2024-03-05' as day, 'g' as competitor_group, 'OnlyHere' as brand,"
    " 0.5 as share_of_voice",
    "creator_leaderboard": "select DATE '2024-03-05' as day, 'OnlyHere' as brand, 1 as rank_by_reach, 'ana' as creator",
    "creator_profiles": "select DATE '2024-03-05' as day, 'ana' as creator, 1200 as reach,"
    " 'OnlyHere' as brands_mentioned",
    "hashtag_trends": "select DATE '2024-03-05' as day, 'latte' as co_hashtag, true as is_rising, 3 as videos",
    "brand_alerts": "select DATE '2024-03-05' as day, 'OnlyHere' as brand, ['mentions', 'negative'] as reasons",
    "mention_evidence": "select DATE '2024-03-05' as day, 'pgtag' as hashtag, 'OnlyHere' as brand, 'v1' as video_id,"
    " 2.5 as start_s, 'm1' as mention_id, 'I love OnlyHere' as quote",
    "visual_share_of_voice": "select DATE '2024-03-05' as day, 'g' as competitor_group, 'OnlyHere' as brand,"
    " 0.8 as screen_share",
    "sound_trends": "select DATE '2024-03-05' as day, '7500' as music_id, 4 as videos, true as is_rising",
    "effect_trends": "select DATE '2024-03-05' as day, '7600' as effect_id, 'Green Screen' as effect_name,"
    " 2 as videos, false as is_rising",
    "video_growth": "select DATE '2024-03-05' as day, 'v1' as video_id, DATE '2024-03-06' as observed_on,"
    " 120 as views_gained",
    "campaign_performance": "select DATE '2024-03-05' as day, 'Spring' as campaign, 'OnlyHere' as brand,"
    " 4 as videos, 0.4 as progress",
    "brand_topics": "select DATE '2024-03-05' as day, 'OnlyHere' as brand, 'hashtag' as topic_kind, 1 as topic_rank,"
    " 'latte' as topic",
    "brand_region_metrics": "select DATE '2024-03-05' as day, 'OnlyHere' as brand, 'DE' as region, 'de' as language,"
    " 3 as mentions",
    "audience_reaction": "select DATE '2024-03-05' as day, 'OnlyHere' as brand, 0.5 as disagree_share,"
    " 4 as total_comments",
}


def _duckdb_with_marts(path, marts=MART_ROWS):
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for name, select in marts.items():
            con.execute(f"create table marts.{name} as {select}")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_every_mart_from_duckdb(fmt, tmp_path, monkeypatch, capsys):
    import polars as pl

    path = tmp_path / "warehouse.duckdb"
    _duckdb_with_marts(path)
    monkeypatch.setenv("LISTENING_PIPELINE_DUCKDB_PATH", str(path))
    out = tmp_path / "exports"
    assert cli(["export", "--format", fmt, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.{fmt}" for name in MART_ROWS)
    frame = (
        pl.read_csv(out / f"brand_daily_metrics.{fmt}")
        if fmt == "csv"
        else pl.read_parquet(out / f"brand_daily_metrics.{fmt}")
    )
    assert frame.columns == ["day", "hashtag", "brand", "mentions"] and frame.row(0)[1:] == ("pgtag", "OnlyHere", 7)
    if fmt == "csv":  # a list has no CSV form: it is written as JSON text
        assert pl.read_csv(out / "brand_alerts.csv")["reasons"].to_list() == ['["mentions", "negative"]']
    printed = capsys.readouterr().out
    assert f"hashtag_trends: 1 row(s) -> {out / f'hashtag_trends.{fmt}'}" in printed


def test_export_one_table_and_a_missing_mart_is_one_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "warehouse.duckdb"
    _duckdb_with_marts(path, {"share_of_voice": MART_ROWS["share_of_voice"]})
    monkeypatch.setenv("LISTENING_PIPELINE_DUCKDB_PATH", str(path))
    out = tmp_path / "exports"
    assert cli(["export", "--table", "share_of_voice", "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["share_of_voice.csv"]
    capsys.readouterr()
    assert cli(["export", "--out", str(tmp_path / "all")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "marts.brand_daily_metrics does not exist yet" in err
    assert not (tmp_path / "all").exists(), "nothing is written when a mart is missing"


def test_export_never_creates_a_missing_duckdb_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "nowhere" / "warehouse.duckdb"
    monkeypatch.setenv("LISTENING_PIPELINE_DUCKDB_PATH", str(path))
    assert cli(["export", "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(f"error: no warehouse at {path}")
    assert not path.parent.exists()


def test_export_reads_the_postgres_warehouse(postgres_db, tmp_path, monkeypatch, capsys):
    import polars as pl

    pg = PostgresWarehouse(postgres_db)
    with pg.connect() as con, con.cursor() as cur:
        cur.execute("create schema marts")
        cur.execute("create table marts.brand_daily_metrics (day date, hashtag text, brand text, mentions bigint)")
        cur.execute("insert into marts.brand_daily_metrics values ('2024-03-05', 'pgtag', 'OnlyInPostgres', 7)")
        con.commit()
    dsn = parse_dsn(postgres_db)
    for name, value in {
        "WAREHOUSE": "postgres",
        "PG_HOST": dsn["host"],
        "PG_PORT": dsn["port"],
        "PG_USER": dsn["user"],
        "PG_DATABASE": dsn["dbname"],
        "DUCKDB_PATH": str(tmp_path / "unused.duckdb"),
    }.items():
        monkeypatch.setenv(f"LISTENING_PIPELINE_{name}", value)
    monkeypatch.delenv("LISTENING_PIPELINE_PG_PASSWORD", raising=False)
    out = tmp_path / "exports"
    assert cli(["export", "--table", "brand_daily_metrics", "--format", "parquet", "--out", str(out)]) == 0
    frame = pl.read_parquet(out / "brand_daily_metrics.parquet")
    assert frame.row(0) == (dt.date(2024, 3, 5), "pgtag", "OnlyInPostgres", 7)
    assert not (tmp_path / "unused.duckdb").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_in_a_log():
    log, terminal = io.StringIO(), _Terminal()
    for stream in (log, terminal):
        with StepProgress(3, "backfill", stream=stream) as progress:
            for n in range(3):
                progress.upcoming(f"step {n}")
                progress.step(f"step {n}", ok=n != 1)
    lines = log.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["  [1/3] step 0", "  [2/3] step 1", "  [3/3] step 2"]
    assert "FAILED" in lines[1] and "ETA" in lines[0]
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())  # colours and cursor moves off
    assert "backfill" in drawn and "3/3" in drawn and "FAILED step 1" in drawn and "1 failed" in drawn
    assert "[1/3]" not in drawn, "a terminal gets the bar, not the log lines"
