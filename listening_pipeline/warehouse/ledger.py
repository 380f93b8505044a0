"""The enrichment ledger: each stage's output per (stage, item, content, version), stored once.

Why it holds the rows themselves rather than pointing at the partition that holds them: the IO
manager writes a stage's partition in its own transaction after the asset body ran, so a pointer
written by the body could outlive the rows it points at (a run killed in between, a partition later
re-materialized with another model). An entry here is complete on its own: whatever happens to the
stage tables, reusing it gives exactly the rows the stage computed for that item, content and version.

Correctness, briefly:

- *Retries and crashes*: an entry is written once the stage has computed it, before the stage's
  partition write; a retry reuses it and computes only the rest.
- *Two runs at once*: both may compute an item and record it; entries for one key are equivalent,
  and :meth:`Ledger.lookup` reads the newest. The write replaces the key's rows in one transaction.
- *Quarantine*: only items a stage completed are recorded; a video that could not be decoded has
  no media row, so no stage ever records (or reuses) it.
- *DuckDB and PostgreSQL*: the same SQL through :class:`~listening_pipeline.warehouse.store.Warehouse`.

The table is internal (not a dbt source, not an asset): it lives in ``raw`` beside the stage tables
and is created on first write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from listening_pipeline.lib.ledger import UNKNOWN, Work, decode, encode, split_work
from listening_pipeline.warehouse.store import Warehouse
from listening_pipeline.warehouse.tables import LOADED_AT, RAW_SCHEMA, Table

LEDGER = Table(
    name="enrichment_ledger",
    description="Work done once: a stage's output for an item (video or text) at a content and a version.",
    columns={
        "stage": (pl.String(), "Stage (asset) that did the work, e.g. 'transcripts'."),
        "item": (pl.String(), "Video id, or the text's digest for sentiment."),
        "content": (pl.String(), "Digest of the input: media file hash + decoder settings, or the text."),
        "version": (pl.String(), "Digest of the stage's version: weights, libraries, code, settings."),
        "described": (pl.String(), "The version in words (what the digest was made of)."),
        "payload": (pl.String(), "The stage's rows for the item as JSON, without hashtag and day."),
        "row_count": (pl.Int64(), "Rows in the payload (for a look at the ledger without parsing it)."),
    },
    key=("stage", "item", "content", "version"),
    not_null=("stage", "item", "content", "version", "described", "payload", "row_count"),
    partitioned=False,
)

_LOOKUP_CHUNK = 500  # items per lookup query: bound parameter lists stay small


@dataclass(frozen=True)
class Outcome:
    """A stage's payload per item, and which items it computed now and which it reused."""

    payloads: dict[str, Any]
    done: list[str]
    reused: list[str]


class Ledger:
    """Reads and records entries of one warehouse's ledger."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def lookup(self, work: Work, contents: Mapping[str, str]) -> dict[str, Any]:
        """Payloads of the items in ``contents`` (item -> content) that ``work`` already did on that content
        (never for an ``UNKNOWN`` content: such items are always done, and never recorded)."""
        found: dict[str, Any] = {}
        items = sorted(item for item, content in contents.items() if content != UNKNOWN)
        p = self.warehouse.param
        for start in range(0, len(items), _LOOKUP_CHUNK):
            chunk = items[start : start + _LOOKUP_CHUNK]
            marks = ", ".join([p] * len(chunk))
            rows = self.warehouse.query(
                f'SELECT item, content, payload, "{LOADED_AT}" FROM {RAW_SCHEMA}."{LEDGER.name}" '
                f"WHERE stage = {p} AND version = {p} AND item IN ({marks})",
                [work.stage, work.version, *chunk],
                missing_ok=True,
            )
            if not rows.height:
                continue
            newest_first = rows.sort(LOADED_AT, descending=True, nulls_last=True)
            for item, content, payload in newest_first.select("item", "content", "payload").iter_rows():
                if item not in found and contents.get(item) == content:
                    found[item] = decode(payload)
        return found

    def record(self, work: Work, done: Mapping[str, tuple[str, Any]]) -> int:
        """Record ``done`` (item -> (content, payload)) for ``work``; returns the entries written."""
        done = {item: entry for item, entry in done.items() if entry[0] != UNKNOWN}
        if not done:
            return 0
        rows = [
            {
                "stage": work.stage,
                "item": item,
                "content": content,
                "version": work.version,
                "described": work.described,
                "payload": encode(payload),
                "row_count": len(payload) if isinstance(payload, Sequence) else 1,
            }
            for item, (content, payload) in done.items()
        ]
        return self.warehouse.upsert_rows(LEDGER, pl.DataFrame(rows, schema=LEDGER.schema))

    def run_once(
        self, work: Work, contents: Mapping[str, str], compute: Callable[[list[str]], Mapping[str, Any]]
    ) -> Outcome:
        """Payloads of ``contents``' items: reused where ``work`` did them before, else ``compute(todo)``
        (called only when something is left to do), whose results are recorded before they are returned.
        An item ``compute`` leaves out (it could not be done) is neither recorded nor returned."""
        plan = split_work(list(contents), self.lookup(work, contents))
        computed = dict(compute(plan.todo)) if plan.todo else {}
        self.record(work, {item: (contents[item], payload) for item, payload in computed.items()})
        return Outcome({**plan.reused, **computed}, done=list(computed), reused=list(plan.reused))
