"""Brand alerts out: each new row of ``marts.brand_alerts`` goes to a webhook once, as Slack JSON.

Framework-free; :func:`listening_pipeline.defs.alerts.sensors.brand_alert_sensor` calls
:func:`deliver_pending` every minute.

Once and only once, as far as a webhook without idempotency allows: an alert is pending while
its ``alert_id`` has no 'delivered' row in the ledger (``raw.alert_deliveries``), and that row
is written right after the webhook accepts the alert, before the next one is posted. A tick
that dies mid-batch therefore re-sends nothing that was accepted, except the one alert whose
POST succeeded when the process died before its ledger row was committed.

Failures: connection errors, 5xx and 429 are retried with exponential backoff (429 honours
``Retry-After``) and, when the attempts or the tick's time run out, leave the alert pending
for the next tick with nothing recorded. Any other answer is a refusal: not retried, recorded
in the ledger as 'failed' with the status and the start of the body, and posted again on later
ticks (a refused URL is usually fixed by configuration; a later success overwrites the row).
The webhook URL is a secret (Slack's carries its token in the path): only its host is stored
or logged, and error messages are scrubbed of it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import polars as pl
import requests

from listening_pipeline.lib.alerts.message import ALERT_COLUMNS, ALERTS_RELATION, Alert, slack_payload
from listening_pipeline.lib.http_retry import retry_after_s
from listening_pipeline.settings import ALERT_WEBHOOK_ENV
from listening_pipeline.warehouse import Warehouse
from listening_pipeline.warehouse.tables import ALERT_DELIVERIES, RAW_SCHEMA

# Answers that say the webhook itself is gone or forbidden: the rest of the batch would be refused too.
WEBHOOK_GONE = frozenset({401, 403, 404, 410})
ERROR_SNIPPET = 500


@dataclass(frozen=True)
class PostOutcome:
    """How one webhook delivery ended, after its retries."""

    ok: bool
    attempts: int
    status: int | None  # HTTP status of the last answer; None when no answer came
    error: str | None = None
    refused: bool = False  # the webhook answered and said no (4xx other than 429): retrying would not help


@dataclass(frozen=True)
class Delivery:
    alert: Alert
    outcome: PostOutcome


@dataclass
class DeliveryReport:
    """What one :func:`deliver_pending` call did."""

    webhook_host: str
    pending: int = 0  # undelivered alerts within the age limit, before this call
    delivered: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    too_old: int = 0  # undelivered alerts older than the age limit: never sent
    stopped: str | None = None  # why the batch stopped before the end, when it did

    @property
    def left(self) -> int:
        """Pending alerts still undelivered after this call."""
        return self.pending - len(self.delivered)


def pending_alerts(store: Warehouse) -> list[Alert]:
    """Alerts of ``marts.brand_alerts`` with no 'delivered' row in the ledger, oldest first.

    A missing mart (dbt has not built it yet) or ledger (nothing delivered yet) reads as empty.
    """
    columns = ", ".join(ALERT_COLUMNS)
    alerts = store.query(f"SELECT {columns} FROM {ALERTS_RELATION} ORDER BY day, brand, alert_id", missing_ok=True)
    if not alerts.height:
        return []
    done = store.query(
        f"SELECT alert_id FROM {RAW_SCHEMA}.{ALERT_DELIVERIES.name} WHERE status = 'delivered'", missing_ok=True
    )
    delivered = set(done["alert_id"].to_list()) if done.height else set()
    return [Alert.from_row(row) for row in alerts.iter_rows(named=True) if row["alert_id"] not in delivered]


def webhook_host(url: str) -> str:
    """The host (and port) of a webhook URL: all of it that may be stored or logged."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the alert webhook URL must be an http(s) URL")
    return parts.hostname + (f":{parts.port}" if parts.port else "")


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 10.0,
    max_attempts: int = 4,
    backoff_s: float = 1.0,
    max_backoff_s: float = 30.0,
    deadline: float | None = None,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PostOutcome:
    """POST ``payload`` as JSON; retry connection errors, 5xx and 429 with exponential backoff.

    ``Retry-After`` (seconds or an HTTP date) replaces the backoff of a 429 or 503. A wait
    longer than ``max_backoff_s`` or past ``deadline`` (``time.monotonic()``) ends the
    attempts: the caller tries again later. Other non-2xx answers are refusals, not retried.
    """
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    http = session or requests.Session()
    attempt = 0
    try:
        while True:
            attempt += 1
            timeout = timeout_s if deadline is None else max(0.5, min(timeout_s, deadline - time.monotonic()))
            wait: float | None = None
            try:
                response = http.post(url, data=body, headers=all_headers, timeout=timeout, allow_redirects=False)
            except requests.RequestException as exc:
                status, error = None, _scrub(f"{type(exc).__name__}: {exc}", url)
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return PostOutcome(ok=True, attempts=attempt, status=status)
                error = _scrub(f"HTTP {status}: {response.text[:ERROR_SNIPPET]}", url)
                if status != 429 and status < 500:
                    return PostOutcome(ok=False, attempts=attempt, status=status, error=error, refused=True)
                wait = retry_after_s(response.headers.get("Retry-After"))
            if attempt >= max_attempts:
                return PostOutcome(
                    ok=False, attempts=attempt, status=status, error=f"{error} (gave up after {attempt} attempts)"
                )
            delay = backoff_s * 2 ** (attempt - 1) if wait is None else wait
            if delay > max_backoff_s or (deadline is not None and time.monotonic() + delay > deadline):
                return PostOutcome(
                    ok=False,
                    attempts=attempt,
                    status=status,
                    error=f"{error} (next attempt in {delay:.0f} s: left for a later tick)",
                )
            sleep(delay)
    finally:
        if session is None:
            http.close()


# --------------------------------------------------------------------------- the batch


def deliver_pending(
    store: Warehouse,
    url: str,
    *,
    timeout_s: float = 10.0,
    max_attempts: int = 4,
    backoff_s: float = 1.0,
    max_backoff_s: float = 30.0,
    max_per_call: int = 20,
    time_budget_s: float = 40.0,
    max_age_days: int = 7,
    today: dt.date | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_delivery: Callable[[Delivery], None] | None = None,
) -> DeliveryReport:
    """Post the pending alerts, oldest first, recording each success in the ledger before the next POST.

    At most ``max_per_call`` alerts and ``time_budget_s`` seconds per call (a sensor tick must
    end within a minute); the rest wait for the next call. Alerts older than ``max_age_days``
    before ``today`` (UTC) are never sent, so a backfill of last year does not flood the
    channel; 0 sends any age. A webhook that stays unreachable or answers that it is gone
    stops the batch. ``on_delivery`` sees each outcome as it happens (the sensor logs them).
    """
    host = webhook_host(url)
    report = DeliveryReport(webhook_host=host)
    alerts = pending_alerts(store)
    if max_age_days > 0:
        oldest = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=max_age_days)
        report.too_old = sum(1 for a in alerts if a.day < oldest)
        alerts = [a for a in alerts if a.day >= oldest]
    report.pending = len(alerts)
    deadline = time.monotonic() + time_budget_s
    with requests.Session() as session:
        for n, alert in enumerate(alerts):
            if n >= max_per_call:
                report.stopped = f"{max_per_call} alerts per tick at most; the rest go next tick"
                break
            if time.monotonic() >= deadline:
                report.stopped = f"out of time ({time_budget_s:.0f} s per tick); the rest go next tick"
                break
            outcome = post_json(
                url,
                slack_payload(alert),
                headers={"Idempotency-Key": alert.alert_id},
                timeout_s=timeout_s,
                max_attempts=max_attempts,
                backoff_s=backoff_s,
                max_backoff_s=max_backoff_s,
                deadline=deadline,
                session=session,
                sleep=sleep,
            )
            delivery = Delivery(alert, outcome)
            if outcome.ok or outcome.refused:
                # Right away, before the next POST: a crash later in the batch re-sends nothing accepted.
                record(store, alert, outcome, host)
            (report.delivered if outcome.ok else report.failed).append(delivery)
            if on_delivery is not None:
                on_delivery(delivery)
            if not outcome.ok and not outcome.refused:
                report.stopped = f"webhook {host} unreachable or overloaded; pending alerts go next tick"
                break
            if outcome.refused and outcome.status in WEBHOOK_GONE:
                report.stopped = f"webhook {host} answered HTTP {outcome.status}: check {ALERT_WEBHOOK_ENV}"
                break
    return report


def record(store: Warehouse, alert: Alert, outcome: PostOutcome, host: str, *, at: dt.datetime | None = None) -> None:
    """Upsert the alert's ledger row: 'delivered' when the webhook accepted it, 'failed' when it refused."""
    at = at or dt.datetime.now(dt.UTC)
    store.upsert_rows(
        ALERT_DELIVERIES,
        pl.DataFrame(
            [
                {
                    "alert_id": alert.alert_id,
                    "brand": alert.brand,
                    "day": alert.day,
                    "status": "delivered" if outcome.ok else "failed",
                    "webhook_host": host,
                    "attempts": outcome.attempts,
                    "http_status": outcome.status,
                    "error": None if outcome.ok else (outcome.error or "")[:ERROR_SNIPPET],
                    "delivered_at": at if outcome.ok else None,
                    "last_attempt_at": at,
                }
            ],
            schema=ALERT_DELIVERIES.schema,
        ),
    )


def _scrub(message: str, url: str) -> str:
    """``message`` without the URL's path and query (a Slack webhook's token lives there)."""
    parts = urlsplit(url)
    message = message.replace(url, f"{parts.scheme}://{parts.hostname}/<redacted>")
    for secret in (parts.path + (f"?{parts.query}" if parts.query else ""), parts.path, parts.query, parts.password):
        if secret and secret != "/":
            message = message.replace(secret, "/<redacted>")
    return message
