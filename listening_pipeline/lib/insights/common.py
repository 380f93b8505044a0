"""What the insight lines share: reading a mart that may not be built yet."""

from __future__ import annotations

from typing import Any

import polars as pl

from listening_pipeline.warehouse import Warehouse


def mart_rows(warehouse: Warehouse, sql: str, params: list[Any] | None = None) -> pl.DataFrame | None:
    """The query's rows, or None when the mart it reads does not exist yet."""
    frame = warehouse.query(sql, params, missing_ok=True)
    return frame if frame.width else None


def not_built(mart: str) -> str:
    return f"{mart}: not built yet (run `listening-pipeline backfill` or `demo`)"
