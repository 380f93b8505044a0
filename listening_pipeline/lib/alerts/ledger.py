"""The alert ledger (``raw.alert_deliveries``): one row per alert, written before and after each POST.

States of a row (``status``), and who writes them:

* ``sending``: the claim, written by the tick that holds the ledger lock right before it posts.
  No other tick can hold the lock meanwhile, so a ``sending`` row seen by a tick that holds it
  belongs to a tick that ended (killed, or its ledger write failed) between the claim and the
  answer's row: it becomes ``unknown``.
* ``delivered``: the webhook answered 2xx (written right after the answer, before the next POST).
* ``failed``: the alert was not accepted: the webhook refused it (a 4xx other than 429) or could not
  be reached before the request was sent. Posted again on later ticks.
* ``unknown``: the request may have reached the webhook but no answer came (a read timeout, a
  connection dropped after sending), or a claim was left behind. Never posted again on its own: a
  plain Slack webhook does not honour ``Idempotency-Key``, so a re-post could be a duplicate.
  Every tick reports these in its summary and logs them as errors until an operator settles
  them with :func:`settle_in_doubt` (after checking the channel): delivered, or post again.

Pending (posted by the next tick): alerts with no row, or with a ``failed`` row.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl

from listening_pipeline.lib.alerts.message import Alert
from listening_pipeline.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from listening_pipeline.warehouse.tables import ALERT_DELIVERIES, RAW_SCHEMA

LEDGER = f"{RAW_SCHEMA}.{ALERT_DELIVERIES.name}"
SENDING, DELIVERED, FAILED, UNKNOWN = "sending", "delivered", "failed", "unknown"
NOT_PENDING = (SENDING, DELIVERED, UNKNOWN)
ORPHANED = (
    "the tick that posted it ended before recording the answer (killed, or its ledger write failed): "
    "it may have been delivered; not posted again until an operator settles it"
)
# The PostgreSQL advisory lock that serialises ticks (any bigint; this one spells the ledger's name).
PG_LOCK_ID = int.from_bytes(b"lpalerts", "big") & 0x7FFF_FFFF_FFFF_FFFF
ERROR_SNIPPET = 500


class LedgerWriteError(RuntimeError):
    """A ledger row could not be written after retries; the message says what the webhook had answered."""


@contextmanager
def ledger_lock(store: Warehouse) -> Iterator[bool]:
    """Hold the lock only one delivering tick can hold; yields False (at once) when another tick holds it.

    DuckDB: an exclusive ``flock`` on ``<file>.alerts.lock`` beside the warehouse file (threads
    and processes on this machine, the only ones that can open the file). PostgreSQL: a
    session advisory lock on a connection kept for the tick. Both end with the process.
    """
    if isinstance(store, DuckDBWarehouse):
        store.path.parent.mkdir(parents=True, exist_ok=True)
        with open(store.path.with_name(store.path.name + ".alerts.lock"), "a+b") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    elif isinstance(store, PostgresWarehouse):
        with store.connect() as con:
            with con.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", [PG_LOCK_ID])
                held = bool(cur.fetchone()[0])
            con.commit()  # the session lock outlives the transaction; the connection is not left idle in one
            try:
                yield held
            finally:
                if held:
                    with con.cursor() as cur:
                        cur.execute("SELECT pg_advisory_unlock(%s)", [PG_LOCK_ID])
                    con.commit()
    else:
        raise TypeError(f"no alert ledger lock for {type(store).__name__}")


def ledger_rows(store: Warehouse) -> dict[str, dict[str, Any]]:
    """The ledger's rows by alert id; a missing ledger reads as empty."""
    return {row["alert_id"]: row for row in store.read_table(ALERT_DELIVERIES).iter_rows(named=True)}


def in_doubt(store: Warehouse) -> list[dict[str, Any]]:
    """The ledger's ``unknown`` rows, oldest day first: alerts an operator has to settle."""
    rows = [r for r in ledger_rows(store).values() if r["status"] == UNKNOWN]
    return sorted(rows, key=lambda r: (r["day"], r["brand"]))


def write(
    store: Warehouse,
    alert: Alert,
    status: str,
    host: str,
    *,
    attempts: int = 1,
    http_status: int | None = None,
    error: str | None = None,
    at: dt.datetime | None = None,
    tries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Upsert the alert's row; a failing write is tried ``tries`` times before :class:`LedgerWriteError`."""
    at = at or dt.datetime.now(dt.UTC)
    row = {
        "alert_id": alert.alert_id,
        "brand": alert.brand,
        "day": alert.day,
        "status": status,
        "webhook_host": host,
        "attempts": max(1, attempts),
        "http_status": http_status,
        "error": None if error is None else error[:ERROR_SNIPPET],
        "delivered_at": at if status == DELIVERED else None,
        "last_attempt_at": at,
    }
    frame = pl.DataFrame([row], schema=ALERT_DELIVERIES.schema)
    for n in range(tries):
        try:
            store.upsert_rows(ALERT_DELIVERIES, frame)
            return
        except Exception as exc:
            if n + 1 >= tries:
                raise LedgerWriteError(
                    f"could not record alert {alert.alert_id} ({alert.brand} {alert.day}) as {status!r} "
                    f"after {tries} tries: {type(exc).__name__}: {exc}"
                ) from exc
            sleep(0.2 * 2**n)


def settle_orphans(store: Warehouse) -> list[str]:
    """Turn every ``sending`` row into ``unknown``; call only while holding :func:`ledger_lock`.

    Returns the alert ids settled.
    """
    orphans = [r for r in ledger_rows(store).values() if r["status"] == SENDING]
    if orphans:
        now = dt.datetime.now(dt.UTC)
        rows = [{**r, "status": UNKNOWN, "error": ORPHANED, "last_attempt_at": now} for r in orphans]
        store.upsert_rows(ALERT_DELIVERIES, pl.DataFrame(rows, schema=ALERT_DELIVERIES.schema))
    return [r["alert_id"] for r in orphans]


def settle_in_doubt(store: Warehouse, alert_id: str, *, delivered: bool) -> None:
    """An operator's verdict on an ``unknown`` alert: seen in the channel (``delivered``) or to post again."""
    with ledger_lock(store) as held:
        if not held:
            raise RuntimeError("an alert tick is delivering right now; try again in a minute")
        row = ledger_rows(store).get(alert_id)
        if row is None or row["status"] != UNKNOWN:
            raise ValueError(f"alert {alert_id} is not in doubt (status {row and row['status']!r})")
        now = dt.datetime.now(dt.UTC)
        verdict = (
            {"status": DELIVERED, "delivered_at": now, "error": "confirmed delivered by an operator"}
            if delivered
            else {"status": FAILED, "error": "an operator asked for it to be posted again"}
        )
        store.upsert_rows(
            ALERT_DELIVERIES, pl.DataFrame([{**row, **verdict, "last_attempt_at": now}], schema=ALERT_DELIVERIES.schema)
        )
