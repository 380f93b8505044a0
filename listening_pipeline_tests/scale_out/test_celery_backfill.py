"""Scale-out, run rather than configured: a backfill on the Celery executor with a Redis broker,
the Dagster instance and the warehouse on PostgreSQL and two workers, one per queue.

A team that outgrows one laptop sets LISTENING_PIPELINE_EXECUTOR=celery with
docker/celery/run_config.yaml, starts workers as docs/scaling.md says, and backfills. What it gets
must be what the single-process run gives: every partition succeeds, the marts hold the same rows,
the model steps run on the model queue's worker and everything else on the default queue's.
Workers on different machines share their media through object storage: here the media store is an
S3 bucket on a throwaway S3-compatible server, reached by every process over HTTP.

The partitions are the sample's last two history days of #coffeetime (metadata only, the second
with the planted complaint wave): every hashtag x day step runs, the model steps included, in
minutes on two CPU cores. The single-process run they are compared with is the session's built
history of those days (conftest's ``history_template``), which other tests build on anyway.
One more partition, a sample day with videos, puts its media in the bucket and runs the model
steps on the gpu worker from there.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import polars as pl
import pytest

from listening_pipeline.defs.execution import GPU_MODEL_ASSETS, GPU_POOL, GPU_QUEUE, SOURCE_POOL
from listening_pipeline.partitions import partition_key
from listening_pipeline_tests.marts import MART_KEYS
from listening_pipeline_tests.scale_out.cluster import Cluster, RedisServer, step_placements
from listening_pipeline_tests.scale_out.object_store import S3Server
from listening_pipeline_tests.test_dbt_postgres import _comparable

# The first test also builds the session's history (the single-process run) when it is the first to need it.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

DEFAULT_QUEUE = "dagster"  # docker/celery/run_config.yaml task_default_queue
BACKFILL_TIMEOUT_S = 600
# Marts computed from their day alone. brand_alerts and hashtag_trends compare a day with the days
# before it, which the single-process session holds (collected) and a two-day backfill does not.
DAY_LOCAL_MARTS = ("hashtag_daily_metrics", "brand_daily_metrics", "share_of_voice", "creator_leaderboard")


@pytest.fixture(scope="module")
def partitions(sample_corpus) -> list[tuple[str, dt.date]]:
    history = json.loads((sample_corpus / "ground_truth.json").read_text(encoding="utf-8"))["history"]
    last = dt.date.fromisoformat(history["start_day"]) + dt.timedelta(days=history["days"] - 1)
    return [(history["hashtag"], last - dt.timedelta(days=1)), (history["hashtag"], last)]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def media_bucket():
    server = S3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(postgres_server, broker, media_bucket, tmp_path_factory, sample_corpus, partitions):
    with postgres_server.database() as dsn:
        deployment = Cluster.create(tmp_path_factory.mktemp("celery"), dsn, broker, media_bucket.media_root)
        deployment.extra_env.update(media_bucket.env())
        deployment.prepare("setup", *sorted({h for h, _ in partitions}))
        # Two model steps in the "GPU" pool at once (one per run of the two-day backfill), queued on the
        # one gpu worker; the lost-worker test narrows it to one.
        deployment.set_pool_limits({SOURCE_POOL: 2, GPU_POOL: 2})
        try:
            deployment.start_worker("models", GPU_QUEUE)
            deployment.start_worker("collect", DEFAULT_QUEUE)
            yield deployment
        finally:
            deployment.stop_workers()


@pytest.fixture(scope="module")
def single_process(history_template, partitions):
    """The same partitions materialized in one process: the session's history (conftest's
    ``history_template``) ran ``hashtag_day_job`` in process on every history day, these two
    included, then dbt over them, with the sample's export and catalog. Its DuckDB warehouse, read only."""
    from listening_pipeline.warehouse import DuckDBWarehouse

    warehouse = DuckDBWarehouse(history_template / "var" / "warehouse.duckdb")
    for hashtag, day in partitions:
        rows = _partition_rows(warehouse, hashtag, day)
        assert rows["videos"] and rows["text_units"], (hashtag, day, rows)  # run whole, not only collected
    return warehouse


def _marts(warehouse, days) -> dict[str, pl.DataFrame]:
    frames = {}
    for mart in DAY_LOCAL_MARTS:
        key = MART_KEYS[mart]
        frame = _comparable(warehouse.query(f"select * from marts.{mart}")).sort(key)
        frames[mart] = frame.filter(pl.col("day").is_in(sorted(days)))
    return frames


def test_a_celery_backfill_on_two_workers_gives_the_single_process_marts(cluster, partitions, single_process):
    from dagster import DagsterRunStatus

    from listening_pipeline.warehouse import PostgresWarehouse

    keys = [str(partition_key(h, d)) for h, d in partitions]
    started = time.monotonic()
    with cluster.daemon() as daemon:
        backfill_id = cluster.launch_backfill("hashtag_day_job", keys)
        runs = cluster.wait_for_runs({"dagster/backfill": backfill_id}, len(keys), BACKFILL_TIMEOUT_S, daemon)
    backfill_s = time.monotonic() - started
    print(f"celery backfill of {len(keys)} partitions: {backfill_s:.1f}s")

    # Every partition succeeded, once.
    assert sorted(r.tags["dagster/partition"] for r in runs) == sorted(keys)
    assert all(r.status == DagsterRunStatus.SUCCESS for r in runs), [(r.run_id, r.status) for r in runs]

    # Each step went through the broker to a worker; model steps only to the model queue's worker.
    with cluster.instance() as instance:
        placements = step_placements(instance, [r.run_id for r in runs])
    assert {p.step_key for p in placements} >= set(GPU_MODEL_ASSETS) - {"logo_detector"}
    for placement in placements:
        on_gpu = placement.step_key in GPU_MODEL_ASSETS
        assert placement.queue == (GPU_QUEUE if on_gpu else DEFAULT_QUEUE), placement
        assert placement.worker.startswith("models@" if on_gpu else "collect@"), placement
    assert {p.worker.split("@")[0] for p in placements} == {"models", "collect"}
    assert len(placements) == len(keys) * len({p.step_key for p in placements})

    # The marts, built by dbt on the PostgreSQL warehouse, equal the single-process run's row for row.
    days = sorted({d for _, d in partitions})
    cluster.prepare("dbt", days[0].isoformat(), days[-1].isoformat())
    celery = _marts(PostgresWarehouse(cluster.dsn), days)
    expected = _marts(single_process, days)
    for mart in DAY_LOCAL_MARTS:
        assert expected[mart].height > 0, mart
        assert celery[mart].columns == expected[mart].columns, mart
        assert celery[mart].equals(expected[mart]), f"{mart}: the Celery backfill differs from the single-process run"


# --- faults on the cluster path ---------------------------------------------------------------------


def _partition_rows(warehouse, hashtag: str, day: dt.date) -> dict[str, int]:
    """Rows per raw table for one partition: a re-run that duplicated anything shows here."""
    from listening_pipeline.warehouse.schema import RAW_SCHEMA
    from listening_pipeline.warehouse.tables import ALL_TABLES

    counts = {}
    for table in ALL_TABLES.values():
        if table.partitioned:
            where = f"hashtag = '{hashtag}' and day = DATE '{day}'"
            frame = warehouse.query(f"select count(*) as n from {RAW_SCHEMA}.{table.name} where {where}")
            counts[table.name] = int(frame["n"][0])
    return counts


def _backfill(cluster, keys: list[str]):
    with cluster.daemon() as daemon:
        backfill_id = cluster.launch_backfill("hashtag_day_job", keys)
        return cluster.wait_for_runs({"dagster/backfill": backfill_id}, len(keys), BACKFILL_TIMEOUT_S, daemon)


def test_the_workers_and_runs_carry_on_after_the_broker_restarts(cluster, broker, partitions, single_process):
    from dagster import DagsterRunStatus

    from listening_pipeline.warehouse import PostgresWarehouse

    broker.stop()  # nothing persisted: queues and results are gone, as after a crash
    broker.start()  # same port: the workers reconnect on their own
    hashtag, day = partitions[-1]
    [run] = _backfill(cluster, [str(partition_key(hashtag, day))])
    assert run.status == DagsterRunStatus.SUCCESS
    assert _partition_rows(PostgresWarehouse(cluster.dsn), hashtag, day) == _partition_rows(
        single_process, hashtag, day
    )


# --- shared media on object storage -----------------------------------------------------------------


@pytest.fixture(scope="module")
def media_partition(sample_corpus) -> tuple[str, dt.date]:
    """The history hashtag on the sample's last day: three videos with media, no planted edge case."""
    truth = json.loads((sample_corpus / "ground_truth.json").read_text(encoding="utf-8"))
    last = dt.date.fromisoformat(truth["start_day"]) + dt.timedelta(days=truth["days"] - 1)
    assert not [e for e in truth["edge_cases"] if e.get("day") == last.isoformat()]
    return truth["history"]["hashtag"], last


def test_the_workers_share_media_through_an_s3_bucket(cluster, media_bucket, media_partition):
    """The videos step copies each video into the bucket and the media step decodes it from there
    (default queue's worker); the model steps read audio and frames back from it on the gpu queue's
    worker: no worker touches another's disk."""
    from dagster import DagsterRunStatus

    from listening_pipeline.warehouse import PostgresWarehouse
    from listening_pipeline.warehouse.schema import RAW_SCHEMA

    hashtag, day = media_partition
    started = time.monotonic()
    [run] = _backfill(cluster, [str(partition_key(hashtag, day))])
    print(f"celery backfill of 1 media partition with media on S3: {time.monotonic() - started:.1f}s")
    assert run.status == DagsterRunStatus.SUCCESS

    # Every stored video is an object in the bucket, listed over HTTP; nothing went to a local folder.
    warehouse = PostgresWarehouse(cluster.dsn)
    where = f"hashtag = '{hashtag}' and day = DATE '{day}'"
    uris = warehouse.query(f"select media_uri from {RAW_SCHEMA}.videos where {where} and media_uri is not null")
    assert uris.height == 3, uris
    assert all(uri.startswith(f"{media_bucket.media_root}/videos/") for uri in uris["media_uri"]), uris
    objects = media_bucket.objects()
    assert {uri.removeprefix(f"s3://{media_bucket.bucket}/") for uri in uris["media_uri"]} <= set(objects), objects
    assert not [key for key in objects if ".partial-" in key], objects
    assert not (cluster.home.parent / "media").exists()

    # The gpu worker read the media from the bucket: frames, speech and on-screen text came out of it.
    rows = _partition_rows(warehouse, hashtag, day)
    for table in ("media", "frames", "transcripts", "ocr_text"):
        assert rows[table] > 0, (table, rows)
    with cluster.instance() as instance:
        placements = step_placements(instance, [run.run_id])
    on_worker = {p.step_key: p.worker.split("@")[0] for p in placements}
    assert {on_worker[step] for step in ("transcripts", "ocr_text", "logo_hits")} == {"models"}, on_worker
    assert on_worker["videos"] == on_worker["decoded_media"] == "collect", on_worker


def test_a_worker_lost_in_a_model_step_fails_the_run_clearly_and_a_rerun_leaves_no_duplicates(cluster, sample_corpus):
    """The gpu worker's pool process is killed while transcripts runs (a machine lost mid-step):
    the step fails and names the lost worker, the steps that do not need it finish, the run fails
    and gives the step's pool slot back; the same partition backfilled again succeeds, and no raw
    table holds a key twice."""
    from dagster import DagsterEventType, DagsterRunStatus

    from listening_pipeline.partitions import hashtag_partitions
    from listening_pipeline.warehouse import PostgresWarehouse
    from listening_pipeline.warehouse.schema import RAW_SCHEMA
    from listening_pipeline.warehouse.tables import ALL_TABLES

    truth = json.loads((sample_corpus / "ground_truth.json").read_text(encoding="utf-8"))
    hashtag, day = "hikinglife", dt.date.fromisoformat(truth["start_day"]) + dt.timedelta(days=truth["days"] - 1)
    assert hashtag in truth["hashtags"]
    with cluster.instance() as instance:
        instance.add_dynamic_partitions(hashtag_partitions.name, [hashtag])
    key = str(partition_key(hashtag, day))

    # One model step at a time: whichever of ocr_text and transcripts runs first, a model step is
    # still to start when transcripts is lost, and the re-run right after needs the lost step's slot.
    cluster.set_pool_limits({GPU_POOL: 1})
    try:
        with cluster.daemon() as daemon:
            backfill_id = cluster.launch_backfill("hashtag_day_job", [key])
            tags = {"dagster/backfill": backfill_id}
            cluster.kill_pool_when_step_starts("models", tags, "transcripts", BACKFILL_TIMEOUT_S)
            [lost] = cluster.wait_for_runs(tags, 1, BACKFILL_TIMEOUT_S, daemon)
        assert lost.status == DagsterRunStatus.FAILURE
        with cluster.instance() as instance:
            [failed] = instance.get_records_for_run(lost.run_id, of_type=DagsterEventType.STEP_FAILURE).records
            succeeded = instance.get_records_for_run(lost.run_id, of_type=DagsterEventType.STEP_SUCCESS).records
            [run_failure] = instance.get_records_for_run(lost.run_id, of_type=DagsterEventType.RUN_FAILURE).records
            placements = {p.step_key: p.worker for p in step_placements(instance, [lost.run_id])}
            held = instance.event_log_storage.get_concurrency_info(GPU_POOL).claimed_slots
        assert not [slot for slot in held if slot.run_id == lost.run_id], held
        [rerun] = _backfill(cluster, [key])
    finally:
        cluster.set_pool_limits({GPU_POOL: 2})
    failure = failed.event_log_entry.dagster_event
    assert failure.step_key == "transcripts" and "WorkerLostError" in failure.message, failure.message
    assert "'transcripts'" in run_failure.event_log_entry.dagster_event.message
    assert placements["transcripts"].startswith("models@"), placements
    # The branch that does not need the transcripts ran to its end (dagster-celery alone stops
    # submitting steps after a lost task: logo_hits, ready once ocr_text is done, waited for ever).
    assert {"ocr_text", "logo_hits"} <= {r.event_log_entry.step_key for r in succeeded}

    assert rerun.status == DagsterRunStatus.SUCCESS
    warehouse = PostgresWarehouse(cluster.dsn)
    rows = _partition_rows(warehouse, hashtag, day)
    assert rows["transcripts"] > 0 and rows["media"] == 3, rows
    where = f"hashtag = '{hashtag}' and day = DATE '{day}'"
    for table in ALL_TABLES.values():
        if table.partitioned:
            keys = ", ".join(table.key)
            dupes = warehouse.query(
                f"select {keys}, count(*) as n from {RAW_SCHEMA}.{table.name} where {where} "
                f"group by {keys} having count(*) > 1"
            )
            assert dupes.height == 0, (table.name, dupes)
