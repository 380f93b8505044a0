"""What a warehouse table declaration is: :class:`Table` (columns, key, quality rules) and the
columns every stored row carries. The declarations themselves are in
:mod:`listening_pipeline.warehouse.tables` (the asset tables) and
:mod:`listening_pipeline.warehouse.ledger` (the enrichment ledger).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

RAW_SCHEMA = "raw"

# Stamped by the warehouse on every row it writes (one time per write); `dbt source freshness` reads it.
LOADED_AT = "loaded_at"
LOADED_AT_COLUMN: tuple[pl.DataType, str] = (
    pl.Datetime("us", "UTC"),
    "When the warehouse wrote the row (UTC); every row of one partition write shares it. "
    "Null for rows written before the column existed (a warehouse an older version created).",
)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: Mapping[str, tuple[pl.DataType, str]]
    key: tuple[str, ...]
    not_null: tuple[str, ...] = ()
    partitioned: bool = True
    # Data-quality rules beyond types, keys and nulls: inclusive value ranges and allowed values.
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Every daily run writes rows to it: dbt source freshness warns when it stops receiving them (not
    # checked: tables that may rightly stay unchanged for days, e.g. quarantine or logos of a catalog without any).
    written_daily: bool = False

    @property
    def schema(self) -> pl.Schema:
        """The columns an asset's frame has (what the GE suite validates before the write)."""
        return pl.Schema({name: dtype for name, (dtype, _) in self.columns.items()})

    @property
    def stored_columns(self) -> dict[str, tuple[pl.DataType, str]]:
        """The columns of the warehouse table: the frame's, then the load timestamp the warehouse stamps."""
        return {**self.columns, LOADED_AT: LOADED_AT_COLUMN}

    @property
    def stored_schema(self) -> pl.Schema:
        return pl.Schema({name: dtype for name, (dtype, _) in self.stored_columns.items()})

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.schema)

    def frame(self, rows: Sequence[Mapping[str, Any]] | pl.DataFrame) -> pl.DataFrame:
        """Rows as a frame with exactly this table's columns, order and types."""
        df = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows, schema=self.schema, strict=False)
        missing = [c for c in self.schema if c not in df.columns]
        if missing:
            raise ValueError(f"table {self.name}: rows lack columns {missing}")
        return df.select([pl.col(c).cast(t, strict=True) for c, t in self.schema.items()])


def partitioned_columns(columns: dict[str, tuple[pl.DataType, str]]) -> dict[str, tuple[pl.DataType, str]]:
    return {
        "hashtag": (pl.String(), "Tracked hashtag of the partition (normalised, no '#')."),
        "day": (pl.Date(), "UTC day of the partition (the video's creation day)."),
        **columns,
    }


def truncate(text: str | None, limit: int = 2000) -> str | None:
    return None if text is None else text[:limit]
