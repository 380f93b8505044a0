"""Every warehouse table the Python assets write, declared once.

Each :class:`Table` is the single source for the polars frames an asset builds, the
warehouse DDL (DuckDB and PostgreSQL), the data-quality checks and the dbt source
definitions (``dbt/models/sources.yml`` is checked against these by a test).
Partitioned tables carry ``hashtag`` and ``day``; a materialization replaces exactly
the rows of its partition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import polars as pl

RAW_SCHEMA = "raw"

PARTITION_COLUMNS: dict[str, pl.DataType] = {"hashtag": pl.String(), "day": pl.Date()}


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: Mapping[str, tuple[pl.DataType, str]]
    key: tuple[str, ...]
    not_null: tuple[str, ...] = ()
    partitioned: bool = True
    # Extra columns (besides hashtag, day) that scope a replace, e.g. the stage of a quarantine row.
    replace_scope: tuple[str, ...] = field(default=())

    @property
    def schema(self) -> pl.Schema:
        return pl.Schema({name: dtype for name, (dtype, _) in self.columns.items()})

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.schema)

    def frame(self, rows: list[dict] | pl.DataFrame) -> pl.DataFrame:
        """Rows as a frame with exactly this table's columns, order and types."""
        df = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows, schema=self.schema, strict=False)
        missing = [c for c in self.schema if c not in df.columns]
        if missing:
            raise ValueError(f"table {self.name}: rows lack columns {missing}")
        return df.select([pl.col(c).cast(t, strict=True) for c, t in self.schema.items()])


def _partitioned(columns: dict[str, tuple[pl.DataType, str]]) -> dict[str, tuple[pl.DataType, str]]:
    return {
        "hashtag": (pl.String(), "Tracked hashtag of the partition (normalised, no '#')."),
        "day": (pl.Date(), "UTC day of the partition (the video's creation day)."),
        **columns,
    }


VIDEOS = Table(
    name="videos",
    description="One row per video found for a tracked hashtag on a day, with metadata and media location.",
    columns=_partitioned(
        {
            "video_id": (pl.String(), "Platform video id, kept as text: ids exceed 2^53."),
            "source": (pl.String(), "Where the record came from: 'folder' or 'research_api'."),
            "creator": (pl.String(), "Username of the creator."),
            "created_at": (pl.Datetime("us", "UTC"), "Creation time of the video (UTC)."),
            "description": (pl.String(), "Video description as posted (NUL bytes removed)."),
            "hashtags": (pl.List(pl.String()), "Hashtags on the video, normalised."),
            "region": (pl.String(), "Region code reported by the platform."),
            "view_count": (pl.Int64(), "Views at collection time."),
            "like_count": (pl.Int64(), "Likes at collection time."),
            "comment_count": (pl.Int64(), "Comments at collection time."),
            "share_count": (pl.Int64(), "Shares at collection time."),
            "duration_s": (pl.Float64(), "Duration in seconds as reported by the platform."),
            "voice_to_text": (pl.String(), "Platform-provided transcript, when the source has one."),
            "media_uri": (pl.String(), "Location of the media file in the media store; null when unavailable."),
            "media_error": (pl.String(), "Why the media is unavailable; null when it was stored."),
        }
    ),
    key=("hashtag", "day", "video_id"),
    not_null=("hashtag", "day", "video_id", "source", "created_at"),
)

COMMENTS = Table(
    name="comments",
    description="One row per comment on a video of the partition.",
    columns=_partitioned(
        {
            "comment_id": (pl.String(), "Platform comment id (text)."),
            "video_id": (pl.String(), "Video the comment belongs to."),
            "parent_comment_id": (pl.String(), "Parent comment; equals video_id for a top-level comment."),
            "text": (pl.String(), "Comment text (NUL bytes removed)."),
            "like_count": (pl.Int64(), "Likes on the comment."),
            "reply_count": (pl.Int64(), "Replies to the comment."),
            "created_at": (pl.Datetime("us", "UTC"), "Creation time of the comment (UTC)."),
        }
    ),
    key=("hashtag", "day", "comment_id"),
    not_null=("hashtag", "day", "comment_id", "video_id"),
)

QUARANTINE = Table(
    name="quarantine",
    description="Inputs a stage could not read, with where and why; the rest of the partition went on.",
    columns=_partitioned(
        {
            "stage": (pl.String(), "Asset that quarantined the item, e.g. 'videos'."),
            "item": (pl.String(), "What could not be read: file and line, video id, URL."),
            "reason": (pl.String(), "Why, in words."),
            "raw": (pl.String(), "The offending input, truncated to 2,000 characters, when there is one."),
        }
    ),
    key=("hashtag", "day", "stage", "item"),
    not_null=("hashtag", "day", "stage", "item", "reason"),
    replace_scope=("stage",),
)

BRANDS = Table(
    name="brands",
    description="The brand catalog as a table: one row per brand, for joins in dbt.",
    columns={
        "brand": (pl.String(), "Brand name as in brands.yaml."),
        "competitor_group": (pl.String(), "Group of competing brands that share of voice is computed within."),
        "aliases": (pl.List(pl.String()), "Names that count as a mention of the brand."),
        "hashtags": (pl.List(pl.String()), "Hashtags tracked for the brand."),
    },
    key=("brand",),
    not_null=("brand", "competitor_group"),
    partitioned=False,
)

ALL_TABLES: dict[str, Table] = {t.name: t for t in (VIDEOS, COMMENTS, QUARANTINE, BRANDS)}


def truncate(text: str | None, limit: int = 2000) -> str | None:
    return None if text is None else text[:limit]


def sql_type(dtype: pl.DataType, dialect: str) -> str:
    """The column type of a polars dtype in ``dialect`` ('duckdb' or 'postgres')."""
    if isinstance(dtype, pl.List):
        return sql_type(dtype.inner, dialect) + "[]"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    names = {
        pl.String: "TEXT",
        pl.Date: "DATE",
        pl.Int64: "BIGINT",
        pl.Int32: "INTEGER",
        pl.Float64: "DOUBLE PRECISION" if dialect == "postgres" else "DOUBLE",
        pl.Float32: "REAL",
        pl.Boolean: "BOOLEAN",
    }
    for polars_type, name in names.items():
        if isinstance(dtype, polars_type):
            return name
    raise TypeError(f"no warehouse type for polars dtype {dtype}")


def create_table_sql(table: Table, dialect: str) -> str:
    cols = ",\n  ".join(f'"{name}" {sql_type(dtype, dialect)}' for name, dtype in table.schema.items())
    return f'CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}."{table.name}" (\n  {cols}\n)'


def dbt_sources_yaml() -> str:
    """``dbt/models/sources.yml`` rendered from the tables above (a test keeps the file in sync)."""
    import yaml

    tables = []
    for table in ALL_TABLES.values():
        tables.append(
            {
                "name": table.name,
                "description": table.description,
                "config": {"meta": {"dagster": {"asset_key": [table.name]}}},
                "columns": [
                    {"name": name, "description": text, "data_type": sql_type(dtype, "duckdb").lower()}
                    for name, (dtype, text) in table.columns.items()
                ],
            }
        )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": RAW_SCHEMA,
                "description": "Tables written by the Python assets (listening_pipeline.tables declares them).",
                "tables": tables,
            }
        ],
    }
    header = "# Generated from listening_pipeline/tables.py by `listening-pipeline dbt-sources`; do not edit.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)
