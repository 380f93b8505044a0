"""What every hashtag x day stage asset shares: partitions, the IO manager, GPU placement,
the quarantine write and timing metadata. Stage folders import from here, not from each other."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

import dagster as dg

from listening_pipeline.defs.checks import check_spec
from listening_pipeline.defs.execution import GPU_OP_TAGS, GPU_POOL
from listening_pipeline.lib.sources.base import Problem, problems_frame
from listening_pipeline.partitions import hashtag_day_partitions, split_partition_key
from listening_pipeline.settings import Settings
from listening_pipeline.warehouse.io_manager import WarehouseResource
from listening_pipeline.warehouse.ledger import Ledger, Outcome
from listening_pipeline.warehouse.tables import QUARANTINE, Table

# The stages whose assets are partitioned by hashtag x day, in the order a video flows through them.
HASHTAG_DAY_GROUPS = ("collect", "media", "speech", "captions", "logos", "text", "mentions")

# The daily run (defs/collect/automation.py) starts at 06:00 UTC. A hashtag x day asset that has not
# landed by 09:00, or a mart by 10:00, is late: the UI and freshness checks say so.
DAILY_RUN_CRON = Settings.from_env().daily_cron  # LISTENING_PIPELINE_DAILY_CRON, default "0 6 * * *"
DAILY_FRESHNESS = dg.FreshnessPolicy.cron(deadline_cron="0 9 * * *", lower_bound_delta=dt.timedelta(hours=3))
MART_FRESHNESS = dg.FreshnessPolicy.cron(deadline_cron="0 10 * * *", lower_bound_delta=dt.timedelta(hours=4))

# A step that writes the warehouse and fails (a lock held past its timeout, PostgreSQL restarting, a
# network hiccup) is retried 3 times, 5 s, 10 s, 20 s apart (+-50%, so parallel steps spread out).
# A retry never duplicates rows: each partition write deletes and inserts in one transaction, and
# the dbt models rebuild exactly their window. The dbt asset raises non-transient failures unretried.
WAREHOUSE_RETRY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)

# Keyword arguments of every hashtag x day asset that the warehouse IO manager stores.
PARTITIONED: dict[str, Any] = {
    "partitions_def": hashtag_day_partitions,
    "io_manager_key": "warehouse_io",
    "freshness_policy": DAILY_FRESHNESS,
    "retry_policy": WAREHOUSE_RETRY,
}
# The model-heavy assets: one step at a time per GPU pool slot, and on a GPU node/queue under k8s/celery.
ON_GPU: dict[str, Any] = {"pool": GPU_POOL, "op_tags": GPU_OP_TAGS}


def stage_asset(
    table: Table,
    *,
    group: str,
    kinds: set[str],
    on_gpu: bool = False,
    extra_checks: Sequence[dg.AssetCheckSpec] = (),
    **kwargs: Any,
) -> Any:
    """``@asset`` of a hashtag x day stage that writes ``table``: partitions, IO manager, freshness,
    the table's description and its Great Expectations check (plus ``extra_checks``)."""
    return dg.asset(
        **PARTITIONED,
        **(ON_GPU if on_gpu else {}),
        group_name=group,
        kinds=kinds,
        description=kwargs.pop("description", table.description),
        check_specs=[check_spec(table), *extra_checks],
        **kwargs,
    )


def seconds_since(started: float) -> dg.MetadataValue:
    return dg.MetadataValue.float(round(time.perf_counter() - started, 3))


def ledger(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Ledger:
    """The enrichment ledger of the run's warehouse: work a stage already did is reused, not redone."""
    return Ledger(warehouse.get(log=context.log.warning))


def work_metadata(outcome: Outcome, version: str, noun: str = "videos") -> dict[str, Any]:
    """What a stage did and reused (``videos_done``/``videos_reused``, ``units_`` for sentiment): the
    keys the UI, ``listening-pipeline`` runs and the benchmark read to see work done once."""
    return {f"{noun}_done": len(outcome.done), f"{noun}_reused": len(outcome.reused), "work_version": version}


def quarantine(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, stage: str, problems: list[Problem]
) -> int:
    """Replace this stage's quarantine rows for the partition; log each problem with where and why."""
    hashtag, day = split_partition_key(context.partition_key)
    for problem in problems:
        context.log.warning(f"{stage} [{hashtag} {day}] quarantined {problem.item}: {problem.reason}")
    rows = problems_frame(problems, hashtag=hashtag, day=day, stage=stage)
    return warehouse.get(log=context.log.warning).replace_partition(
        QUARANTINE, rows, hashtag=hashtag, day=day, scope={"stage": stage}
    )


# raw.quarantine: written beside their own output by the stages that read untrusted input (videos,
# comments, media); dbt reads it as a source. Declared here so the graph shows every table we write.
quarantine_table = dg.AssetSpec(
    QUARANTINE.name,
    group_name="quality",
    kinds={"python", "polars"},
    description=QUARANTINE.description,
    metadata={"dagster/table_name": f"raw.{QUARANTINE.name}"},
)
