"""Does a backfill go faster with more Celery workers? The same backfill with 1 and with 2 workers.

Everything real and on this machine: a throwaway PostgreSQL (Dagster instance + warehouse), a
throwaway Redis broker, the daemon launching a ``dagster job backfill`` of ``hashtag_day_job``,
and identical ``dagster-celery`` workers listening on both queues (``dagster`` and ``gpu``, one
task at a time each). The partitions are the sample's metadata-only #coffeetime history days
(every step runs, the models have little to do), so the figure is the cluster's own throughput:
broker round trips, step start-up in the worker, warehouse writes. Prints seconds per round, hashtag-days
per hour and the 2-worker / 1-worker ratio measured in the same run. Not a test: a benchmark.

    .venv/bin/python bench/scale_out.py [--partitions 4] [--out bench/results/scale_out.json]

Needs the system packages of ``make system-deps`` (PostgreSQL server binaries, redis-server).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' cluster helpers (not installed)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--partitions", type=int, default=4, help="history days of #coffeetime to backfill (max 14)")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures here as JSON")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lp-bench-scale-"))
    os.environ["LISTENING_PIPELINE_DATA_DIR"] = str(work / "var")
    os.environ["LISTENING_PIPELINE_SOURCE"] = "folder"
    from listening_pipeline.lib.offline import use_offline_environment

    use_offline_environment()

    from listening_pipeline.lib.sample_data import generate_sample_corpus
    from listening_pipeline.partitions import partition_key
    from listening_pipeline.settings import Settings
    from listening_pipeline_tests.postgres import PostgresServer
    from listening_pipeline_tests.scale_out.cluster import Cluster, RedisServer

    settings = Settings.from_env()
    generate_sample_corpus(settings.source_folder)
    truth = json.loads((settings.source_folder / "ground_truth.json").read_text(encoding="utf-8"))["history"]
    first = dt.date.fromisoformat(truth["start_day"])
    days = [first + dt.timedelta(days=n) for n in range(min(args.partitions, truth["days"]))]
    keys = [str(partition_key(truth["hashtag"], day)) for day in days]

    rounds: dict[int, float] = {}
    raw_bytes = 0
    broker = RedisServer(work / "redis")
    pg_root = Path(tempfile.mkdtemp(prefix="lp-bench-pg-"))
    broker.start()
    cluster: Cluster | None = None
    try:
        with PostgresServer.start(pg_root) as server, server.database() as dsn:
            cluster = Cluster.create(work / "cluster", dsn, broker)
            cluster.prepare("setup", truth["hashtag"])
            cluster.set_pool_limits({"video_source": 2, "gpu": 2})
            for workers in (1, 2):
                for n in range(workers):
                    cluster.start_worker(f"w{workers}-{n}", ["dagster", "gpu"])
                started = time.monotonic()
                with cluster.daemon() as daemon:
                    backfill_id = cluster.launch_backfill("hashtag_day_job", keys)
                    runs = cluster.wait_for_runs({"dagster/backfill": backfill_id}, len(keys), 1800, daemon)
                rounds[workers] = time.monotonic() - started
                failed = [r.run_id for r in runs if not r.is_success]
                if failed:
                    raise SystemExit(f"{workers} worker(s): runs failed: {failed} (logs in {cluster.logs})")
                cluster.stop_workers()
                if workers == 1:  # before the second round rewrites the same partitions (dead rows)
                    raw_bytes = _schema_bytes(dsn, "raw")
    finally:
        if cluster is not None:
            cluster.stop_workers()
        broker.stop()
        shutil.rmtree(pg_root, ignore_errors=True)

    load = os.getloadavg()[0]
    ratio = rounds[1] / rounds[2]
    print(
        f"backfill of {len(keys)} hashtag-days (hashtag_day_job, metadata-only), "
        f"cores: {os.cpu_count()}, load {load:.1f}"
    )
    for workers, seconds in rounds.items():
        print(f"{workers} worker(s): {seconds:.1f} s = {3600 * len(keys) / seconds:.0f} hashtag-days per hour")
    print(f"2 workers / 1 worker throughput: x{ratio:.2f}")
    print(
        f"warehouse raw schema on PostgreSQL: {raw_bytes / len(keys) / 1024:.0f} KiB per hashtag-day (tables + indexes)"
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "partitions": len(keys),
            "seconds": rounds,
            "ratio": ratio,
            "load": load,
            "raw_bytes": raw_bytes,
            "cores": os.cpu_count(),
        }
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return 0


def _schema_bytes(dsn: str, schema: str) -> int:
    """Bytes of every table of ``schema`` with its indexes and TOAST (what the partitions cost on disk)."""
    import psycopg2

    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        cur.execute(
            "select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s and c.relkind = 'r'",
            (schema,),
        )
        row = cur.fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    raise SystemExit(main())
