"""Writers that wait: one test per guarantee, each asserting on warehouse rows (nothing lost, nothing doubled).

* a SIGKILL during a DuckDB write leaves the partition's previous rows, and a re-run lands the new ones;
* many processes writing one DuckDB file all finish, each partition holding exactly one last write;
* a dbt build that finds the DuckDB file locked waits for it (and says who holds it), then succeeds;
* PostgreSQL stopped mid-run fails writes at once with a clear error, keeps the previous rows, and
  after a restart a re-run lands the rows once; an unresponsive server fails within the connect timeout;
* two backfills started at once over overlapping days both finish, and the marts equal a clean run;
* every dagster.yaml we ship ends runs that outlive the maximum run time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from listening_pipeline.warehouse import DuckDBWarehouse, PostgresWarehouse
from listening_pipeline.warehouse.tables import VIDEOS
from listening_pipeline.warehouse.waits import LockWait, WarehouseMissingError, WarehouseUnavailableError
from listening_pipeline_tests.postgres import PostgresServer

DAY = dt.date(2026, 11, 1)
BIG = 150_000  # rows of the rewrite a SIGKILL interrupts
REPO = Path(__file__).resolve().parents[2]

# A child process that writes one partition of raw.videos: `ids` rows whose description is `tag`.
# With STALL set it stops just before COMMIT (or before the INSERT), prints where, and waits to be killed.
WRITER = textwrap.dedent(
    """
    import datetime as dt, json, sys, time
    from contextlib import contextmanager
    from listening_pipeline.warehouse import DuckDBWarehouse
    from listening_pipeline.warehouse.tables import VIDEOS

    path, jobs, stall = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]

    class Stalling:
        def __init__(self, con):
            self.con = con
        def execute(self, sql, *args):
            if stall and sql.lstrip().upper().startswith(stall):
                print(stall, flush=True)
                if stall == "COMMIT":
                    time.sleep(600)
            return self.con.execute(sql, *args)
        def __getattr__(self, name):
            return getattr(self.con, name)

    class Warehouse(DuckDBWarehouse):
        @contextmanager
        def connect(self, read_only=False):
            with super().connect(read_only) as con:
                yield Stalling(con)

    store = Warehouse(path)
    for hashtag, day, count, tag in jobs:
        day = dt.date.fromisoformat(day)
        created = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
        rows = VIDEOS.frame({
            **{column: [None] * count for column in VIDEOS.schema},  # the optional platform fields: empty
            "hashtag": [hashtag] * count, "day": [day] * count,
            "video_id": [f"{tag}-{n}" for n in range(count)], "source": ["folder"] * count,
            "creator": ["c"] * count, "created_at": [created] * count, "description": [tag] * count,
            "hashtags": [[hashtag]] * count, "region": ["US"] * count, "view_count": list(range(count)),
            "like_count": [1] * count, "comment_count": [0] * count, "share_count": [0] * count,
            "duration_s": [7.0] * count, "voice_to_text": [None] * count, "media_uri": [None] * count,
            "media_error": ["none"] * count,
        })
        store.replace_partition(VIDEOS, rows, hashtag=hashtag, day=day)
    print("done", flush=True)
    """
)


def _writer(path: Path, jobs: list[tuple[str, str, int, str]], stall: str = "") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), json.dumps(jobs), stall],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _write(path: Path, jobs: list[tuple[str, str, int, str]]) -> None:
    proc = _writer(path, jobs)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err


def _partition(store, hashtag: str, day: dt.date = DAY) -> pl.DataFrame:
    return store.query(
        "select video_id, description from raw.videos where hashtag = ? and day = ? order by video_id", [hashtag, day]
    )


def _exactly(frame: pl.DataFrame, count: int, tag: str) -> bool:
    """The partition holds exactly the `count` rows written with `tag`: none missing, none doubled, none mixed."""
    return frame.height == count and set(frame["video_id"]) == {f"{tag}-{n}" for n in range(count)}


@pytest.mark.parametrize("kill_at", ["COMMIT", "INSERT"])
def test_sigkill_during_a_duckdb_write_keeps_the_previous_rows(tmp_path, kill_at):
    path = tmp_path / "warehouse.duckdb"
    _write(path, [("a", DAY.isoformat(), 500, "old"), ("b", DAY.isoformat(), 20, "other")])
    # A big rewrite of partition a, killed with SIGKILL mid-transaction: after its DELETE and INSERT
    # (before COMMIT), or while its INSERT of BIG rows is running.
    proc = _writer(path, [("a", DAY.isoformat(), BIG, "new")], stall=kill_at)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == kill_at, proc.stderr.read() if proc.stderr else ""
    # At once: the INSERT of BIG rows has just started (it and the COMMIT take far longer than the kill).
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    store = DuckDBWarehouse(path, lock_timeout_s=30)
    assert _exactly(_partition(store, "a"), 500, "old")
    assert _exactly(_partition(store, "b"), 20, "other")
    # The file opens for writing too, and a re-run lands exactly the new rows, once.
    for _ in range(2):
        _write(path, [("a", DAY.isoformat(), BIG, "new")])
    counts = store.query("select count(*) as n, count(distinct video_id) as ids from raw.videos where hashtag = 'a'")
    assert counts.row(0) == (BIG, BIG)
    assert store.query("select count(*) as n from raw.videos where description = 'old'")["n"].item() == 0
    assert _exactly(_partition(store, "b"), 20, "other")


def test_many_concurrent_writers_all_finish_and_each_partition_holds_one_last_write(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    rounds, writers = 4, 6
    # Writer w rewrites its own partition p{w} and the partition shared by w and w+3 (s{w % 3}), each round,
    # with a row count of its own so a mix of two writers' rows cannot pass for one.
    jobs = {
        w: [
            job
            for r in range(rounds)
            for job in (
                (f"p{w}", DAY.isoformat(), 50 + 7 * w, f"w{w}r{r}"),
                (f"s{w % 3}", DAY.isoformat(), 30 + 11 * w, f"w{w}r{r}"),
            )
        ]
        for w in range(writers)
    }
    started = time.monotonic()
    procs = {w: _writer(path, job) for w, job in jobs.items()}
    for w, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and out.strip() == "done", f"writer {w}: {err}"
    store = DuckDBWarehouse(path)
    last = rounds - 1
    for w in range(writers):
        assert _exactly(_partition(store, f"p{w}"), 50 + 7 * w, f"w{w}r{last}")
    for s in range(3):
        shared = _partition(store, f"s{s}")
        # Exactly one writer's last write: whichever of the two committed last.
        assert any(_exactly(shared, 30 + 11 * w, f"w{w}r{last}") for w in (s, s + 3)), shared["video_id"].head(5)
    # Nothing else anywhere: the private and shared partitions are all there is.
    assert store.query("select count(distinct hashtag) as n from raw.videos")["n"].item() == writers + 3
    assert time.monotonic() - started < 300


def test_a_read_never_creates_a_missing_duckdb_file(tmp_path):
    store = DuckDBWarehouse(tmp_path / "absent" / "warehouse.duckdb")
    assert store.read_partition(VIDEOS, hashtag="a", day=DAY).height == 0  # callers that expect "no rows yet"
    assert store.query("select * from marts.brand_alerts", missing_ok=True).height == 0
    with pytest.raises(WarehouseMissingError, match="does not exist yet"):
        store.query("select 1")
    assert not (tmp_path / "absent").exists()


def test_dbt_build_waits_for_the_duckdb_lock_and_succeeds(collected_sample, instance, settings, warehouse, monkeypatch):
    from listening_pipeline.runs import run_dbt_days

    def marts() -> dict[str, pl.DataFrame]:
        return {
            name: _sorted(warehouse.query(f"select * from marts.{name}"))
            for name in ("brand_daily_metrics", "hashtag_daily_metrics", "share_of_voice")
        }

    before = marts()
    days = sorted({d for _, d in collected_sample})
    # Another process takes the file between the asset's own preparation and dbt's start, and holds it
    # until the asset has seen dbt fail with "Could not set lock on file" and decided to wait: the build
    # must then be repeated, once the file is free, and succeed.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; sys.stdin.readline(); con = duckdb.connect(sys.argv[1]);"
            " print('held', flush=True); sys.stdin.readline(); con.close()",
            str(settings.duckdb_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    original = DuckDBWarehouse.ensure_tables
    original_retry = LockWait.retry
    calls, waits = [], []

    def ensure_then_let_the_holder_in(self, tables):
        original(self, tables)
        if not calls:
            assert holder.stdin and holder.stdout
            holder.stdin.write("go\n")
            holder.stdin.flush()
            assert holder.stdout.readline().strip() == "held"
        calls.append(time.monotonic())

    def retry_then_release(self, error):
        again = original_retry(self, error)
        if not waits:  # the holder lets go once the asset has decided to wait for it
            assert holder.stdin
            holder.stdin.write("release\n")
            holder.stdin.flush()
        waits.append(str(error))
        return again

    monkeypatch.setattr(DuckDBWarehouse, "ensure_tables", ensure_then_let_the_holder_in)
    monkeypatch.setattr(LockWait, "retry", retry_then_release)
    try:
        result = run_dbt_days(instance, days[0], days[-1])
    finally:
        holder.kill()
        holder.wait()
    assert result.success
    assert len(calls) >= 2  # the build was tried again after the lock error
    assert "Could not set lock on file" in waits[0]
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    waited = [m for m in messages if "waiting for the DuckDB lock held by" in m and f"PID {holder.pid}" in m]
    assert waited, messages[-20:]
    after = marts()
    for name, frame in before.items():
        assert after[name].equals(frame), name  # nothing lost, nothing doubled


@pytest.fixture
def own_postgres():
    """A server of this test's own, which it may stop and restart."""
    root = Path(tempfile.mkdtemp(prefix="lp-pg-fault-"))
    try:
        with PostgresServer.start(root) as server:
            yield server, server.admin_dsn
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _pg_videos(hashtag: str, count: int, tag: str) -> pl.DataFrame:
    created = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    return VIDEOS.frame(
        {
            **{column: [None] * count for column in VIDEOS.schema},  # the optional platform fields: empty
            "hashtag": [hashtag] * count,
            "day": [DAY] * count,
            "video_id": [f"{tag}-{n}" for n in range(count)],
            "source": ["folder"] * count,
            "creator": ["c"] * count,
            "created_at": [created] * count,
            "description": [tag] * count,
            "hashtags": [[hashtag]] * count,
            "region": ["US"] * count,
            "view_count": list(range(count)),
            "like_count": [1] * count,
            "comment_count": [0] * count,
            "share_count": [0] * count,
            "duration_s": [7.0] * count,
            "voice_to_text": [None] * count,
            "media_uri": [None] * count,
            "media_error": ["none"] * count,
        }
    )


def _pg_partition(store: PostgresWarehouse, hashtag: str) -> pl.DataFrame:
    return store.query(
        "select video_id, description from raw.videos where hashtag = %s and day = %s order by video_id",
        [hashtag, DAY],
    )


def test_postgres_stopped_mid_run_fails_fast_keeps_rows_and_a_rerun_lands_once(own_postgres, monkeypatch):
    import psycopg2

    server, dsn = own_postgres
    store = PostgresWarehouse(dsn, connect_timeout_s=3, statement_timeout_s=60)
    store.replace_partition(VIDEOS, _pg_videos("a", 300, "old"), hashtag="a", day=DAY)

    # The server dies inside a write's transaction (after the DDL, before the delete): the write raises
    # the connection's own error, not the failure of the rollback that follows on a dead connection.
    original = PostgresWarehouse._ensure_table

    def ensure_then_crash(self, cur, table):
        original(self, cur, table)
        server.stop()

    monkeypatch.setattr(PostgresWarehouse, "_ensure_table", ensure_then_crash)
    with pytest.raises(psycopg2.OperationalError) as raised:
        store.replace_partition(VIDEOS, _pg_videos("a", 400, "new"), hashtag="a", day=DAY)
    assert not isinstance(raised.value, psycopg2.InterfaceError)
    monkeypatch.undo()

    # While it is down, a write fails at once with a clear error: no hang.
    started = time.monotonic()
    with pytest.raises(WarehouseUnavailableError, match="cannot connect to the PostgreSQL warehouse at 127.0.0.1"):
        store.replace_partition(VIDEOS, _pg_videos("b", 10, "new"), hashtag="b", day=DAY)
    assert time.monotonic() - started < store.connect_timeout_s + 2

    server.resume()
    assert _exactly(_pg_partition(store, "a"), 300, "old")  # the killed write changed nothing
    for _ in range(2):  # the re-run (and a retry of it) lands the rows once
        store.replace_partition(VIDEOS, _pg_videos("a", 400, "new"), hashtag="a", day=DAY)
        store.replace_partition(VIDEOS, _pg_videos("b", 10, "new"), hashtag="b", day=DAY)
    assert _exactly(_pg_partition(store, "a"), 400, "new")
    assert _exactly(_pg_partition(store, "b"), 10, "new")
    assert store.query("select count(*) as n from raw.videos")["n"].item() == 410


def test_an_unresponsive_postgres_fails_within_the_connect_timeout():
    # A port that accepts TCP connections and never answers: without a connect timeout, a hang.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        store = PostgresWarehouse(f"host=127.0.0.1 port={port} user=x dbname=x sslmode=disable", connect_timeout_s=2)
        started = time.monotonic()
        with pytest.raises(WarehouseUnavailableError, match="connect timeout 2s"):
            store.query("select 1")
        assert time.monotonic() - started < 6


def test_a_postgres_statement_over_the_statement_timeout_is_cancelled(postgres_db):
    import psycopg2

    store = PostgresWarehouse(postgres_db, statement_timeout_s=1)
    started = time.monotonic()
    with pytest.raises(psycopg2.errors.QueryCanceled):
        store.query("select pg_sleep(10)")
    assert time.monotonic() - started < 5


def test_every_dagster_yaml_ends_runs_over_the_maximum_run_time(tmp_path, monkeypatch):
    import yaml
    from dagster._core.instance.config import dagster_instance_config

    from listening_pipeline.runs import dagster_yaml, ensure_dagster_home
    from listening_pipeline.settings import MAX_RUN_SECONDS, Settings

    for name in ("dagster.yaml", "dagster.local.yaml"):
        monitoring = yaml.safe_load((REPO / "docker" / name).read_text())["run_monitoring"]
        assert monitoring["enabled"] and monitoring["max_runtime_seconds"] == MAX_RUN_SECONDS, name
        assert monitoring["free_slots_after_run_end_seconds"] > 0, name
    # The embedded instance follows the setting, and Dagster accepts what we write.
    monkeypatch.setenv("LISTENING_PIPELINE_MAX_RUN_SECONDS", "1234")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    settings = Settings.from_env()
    home = ensure_dagster_home(settings)
    config, _ = dagster_instance_config(str(home))
    assert config["run_monitoring"]["enabled"] and config["run_monitoring"]["max_runtime_seconds"] == 1234
    assert (home / "dagster.yaml").read_text() == dagster_yaml(settings)
    # A dagster.yaml the user wrote (no header of ours) is left alone.
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ensure_dagster_home(settings)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def _backfill(data_dir: Path, corpus: Path, first: dt.date, last: dt.date, hashtags: list[str]) -> subprocess.Popen:
    env = {
        **os.environ,
        "LISTENING_PIPELINE_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(data_dir / "dagster_home"),
        "LISTENING_PIPELINE_SOURCE_FOLDER": str(corpus),
    }
    args = ["backfill", "--collect-only", "--start", first.isoformat(), "--end", last.isoformat()]
    for hashtag in hashtags:
        args += ["--hashtag", hashtag]
    return subprocess.Popen(
        [sys.executable, "-m", "listening_pipeline.cli", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in a canonical order (list and struct columns cannot be sort keys)."""
    keys = [name for name, dtype in frame.schema.items() if not dtype.is_nested()]
    return frame.sort(keys, nulls_last=True) if frame.height else frame


def _marts(path: Path) -> dict[str, pl.DataFrame]:
    store = DuckDBWarehouse(path)
    names = store.query("select table_name from information_schema.tables where table_schema = 'marts'")
    return {name: _sorted(store.query(f"select * from marts.{name}")) for name in sorted(names["table_name"])}


OPEN_INSTANCE = (
    "from listening_pipeline.runs import open_instance; from listening_pipeline.settings import Settings;"
    " open_instance(Settings.from_env())"
)
DBT_ONCE = (
    "import datetime as dt, sys; from listening_pipeline.runs import open_instance, run_dbt_days;"
    " from listening_pipeline.settings import Settings;"
    " first, last = (dt.date.fromisoformat(a) for a in sys.argv[1:3]);"
    " sys.exit(0 if run_dbt_days(open_instance(Settings.from_env()), first, last).success else 1)"
)


def _in_data_dir(data_dir: Path, code: str, *args: str) -> None:
    """Run ``code`` in a process of its own whose settings point at ``data_dir``."""
    env = {**os.environ, "LISTENING_PIPELINE_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(data_dir / "dagster_home")}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def test_two_overlapping_backfills_at_once_give_the_marts_of_one_clean_run(sample_corpus, sample_partitions, tmp_path):
    hashtags = sorted({h for h, _ in sample_partitions})[:2]
    days = sorted({d for h, d in sample_partitions if h in hashtags})[:3]
    concurrent, clean = tmp_path / "concurrent", tmp_path / "clean"
    # The instance exists before the backfills, as in any deployment (two processes creating the same
    # SQLite run storage at once race on its DDL: Dagster's, not the warehouse's).
    _in_data_dir(concurrent, OPEN_INSTANCE)
    # Two backfills over days 0-1 and 1-2 (day 1 in both), at once on one data folder: both collect,
    # both run dbt over their days, each waiting for the other's hold on the DuckDB file.
    runs = [_backfill(concurrent, sample_corpus, days[0], days[1], hashtags)]
    runs.append(_backfill(concurrent, sample_corpus, days[1], days[2], hashtags))
    # The clean run they are compared with, in a data folder of its own, meanwhile: it shares nothing
    # with them, and the two wait on each other's DuckDB lock for much of their time.
    reference = _backfill(clean, sample_corpus, days[0], days[2], hashtags)
    for proc in runs:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-3000:]
    # Then dbt once over the whole range, as the automation would, against the clean run.
    _in_data_dir(concurrent, DBT_ONCE, days[0].isoformat(), days[2].isoformat())
    out, _ = reference.communicate(timeout=600)
    assert reference.returncode == 0, out[-3000:]
    got, want = _marts(concurrent / "warehouse.duckdb"), _marts(clean / "warehouse.duckdb")
    assert set(got) == set(want) and want
    for name in want:
        assert got[name].equals(want[name]), name
    raw = DuckDBWarehouse(concurrent / "warehouse.duckdb")
    doubled = raw.query("select hashtag, day, video_id, count(*) as n from raw.videos group by all having n > 1")
    assert doubled.height == 0
