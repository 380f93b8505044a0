"""What every hashtag x day stage asset shares: partitions, the IO manager, GPU placement,
the quarantine write and timing metadata. Stage folders import from here, not from each other."""

from __future__ import annotations

import time
from typing import Any

import dagster as dg

from listening_pipeline.defs.execution import GPU_OP_TAGS, GPU_POOL
from listening_pipeline.lib.sources.base import Problem, problems_frame
from listening_pipeline.partitions import hashtag_day_partitions, split_partition_key
from listening_pipeline.warehouse.io_manager import WarehouseResource
from listening_pipeline.warehouse.tables import QUARANTINE

# The stages whose assets are partitioned by hashtag x day, in the order a video flows through them.
HASHTAG_DAY_GROUPS = ("collect", "media", "speech", "captions", "logos", "text", "mentions")

# Keyword arguments of every hashtag x day asset that the warehouse IO manager stores.
PARTITIONED: dict[str, Any] = {"partitions_def": hashtag_day_partitions, "io_manager_key": "warehouse_io"}
# The model-heavy assets: one step at a time per GPU pool slot, and on a GPU node/queue under k8s/celery.
ON_GPU: dict[str, Any] = {"pool": GPU_POOL, "op_tags": GPU_OP_TAGS}


def seconds_since(started: float) -> dg.MetadataValue:
    return dg.MetadataValue.float(round(time.perf_counter() - started, 3))


def quarantine(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, stage: str, problems: list[Problem]
) -> int:
    """Replace this stage's quarantine rows for the partition; log each problem with where and why."""
    hashtag, day = split_partition_key(context.partition_key)
    for problem in problems:
        context.log.warning(f"{stage} [{hashtag} {day}] quarantined {problem.item}: {problem.reason}")
    rows = problems_frame(problems, hashtag=hashtag, day=day, stage=stage)
    return warehouse.get().replace_partition(QUARANTINE, rows, hashtag=hashtag, day=day, scope={"stage": stage})
